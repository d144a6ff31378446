import Core

/// The checks that need every file at once — single top-level keys, duplicate ids, references, whether each
/// check's facts have a source, whether each team's alerts have somewhere to go — and the assembly of `BotConfig`.
struct ManifestLinker {
    let draft: ManifestDraft
    var log = ProblemLog()

    /// The source kinds the checks' facts are looked up in.
    let catalog: Catalog

    init(draft: ManifestDraft, catalog: Catalog) { self.draft = draft; self.catalog = catalog }

    /// Checks the draft and returns the configuration, or nil when any problem was reported (see `log`).
    mutating func link() -> BotConfig? {
        let organisation = single(draft.organisation, key: "organisation")
        let routing = single(draft.routing, key: "routing")
        let escalation = single(draft.escalation, key: "escalation")
        let chat = single(draft.chat, key: "chat")
        let server = single(draft.server, key: "server")
        let digest = single(draft.digest, key: "digest")
        let ledgerAnchor = single(draft.ledger, key: "ledger") ?? nil
        checkLedgerAnchor(ledgerAnchor, server: server)
        if draft.organisation.isEmpty, let first = draft.files.first {
            log.report(.start(of: first), "no manifest sets `organisation`",
                       fix: "add `organisation: <company name>` to one file (organisation.yaml by convention)")
        }

        let people = declaredIDs(draft.people, kind: "person")
        let teams = declaredIDs(draft.teams, kind: "team")
        _ = declaredIDs(draft.controls, kind: "control")
        let sources = declaredIDs(draft.sources, kind: "source")
        _ = declaredIDs(draft.vendors, kind: "vendor")
        _ = declaredIDs(draft.policies, kind: "policy")
        for reference in draft.references {
            let known: [String] = switch reference.kind {
            case .person: people
            case .team: teams
            case .source: sources
            }
            checkReference(reference, known: known)
        }

        if draft.securityLeads.isEmpty, let first = draft.files.first {
            let position = draft.organisation.first?.position ?? .start(of: first)
            log.report(position, "no `security_leads`: nobody may accept risks and the top escalation level reaches no one",
                       fix: "add `security_leads: [<person id>]` next to `organisation`")
        }
        checkFactSources()
        checkTeamChannels(hasDefaultRoute: !(routing?.isEmpty ?? true))

        guard log.isEmpty else { return nil }
        var seenLeads = Set<String>()
        var config = BotConfig(
            organisation: organisation ?? "",
            people: draft.people.map(\.value),
            teams: draft.teams.map(\.value),
            defaultChannels: routing ?? [:],
            securityLeads: draft.securityLeads.map(\.value).filter { seenLeads.insert($0).inserted }.map(PersonID.init),
            policy: escalation ?? .standard,
            controls: draft.controls.map(\.value),
            sources: draft.sources.map(\.value),
            chat: chat ?? ChatConfig(), server: server,
            vendors: draft.vendors.map(\.value), policies: draft.policies.map(\.value), digest: digest,
            auditors: draft.auditors)
        config.ledgerAnchor = ledgerAnchor
        return config
    }

    /// The value of a key that may appear once across all files; reports every later occurrence.
    private mutating func single<Value>(_ occurrences: [Located<Value>], key: String) -> Value? {
        guard let first = occurrences.first else { return nil }
        for later in occurrences.dropFirst() {
            log.report(later.position, "`\(key)` is set again; it was first set at \(first.position.shortDescription)",
                       fix: "keep one `\(key)` across all manifest files")
        }
        return first.value
    }

    /// The declared ids of one kind, in order; reports each id declared again at the later declaration.
    private mutating func declaredIDs<Value>(_ declarations: [Declared<Value>], kind: String) -> [String] {
        var first: [String: ManifestPosition] = [:]
        var ids: [String] = []
        for declaration in declarations {
            guard let id = declaration.id else { continue }
            if let earlier = first[id.value] {
                log.report(id.position, "duplicate \(kind) id `\(id.value)`; first declared at \(earlier.shortDescription)",
                           fix: "give each \(kind) its own id, or merge the two entries")
            } else {
                first[id.value] = id.position
                ids.append(id.value)
            }
        }
        return ids
    }

    private mutating func checkReference(_ reference: Reference, known: [String]) {
        guard !known.contains(reference.id.value) else { return }
        let kind = reference.kind.rawValue
        log.report(reference.id.position, "`\(reference.field)` names unknown \(kind) `\(reference.id.value)`",
                   fix: NameSuggestion.fix(for: reference.id.value, among: known,
                                           otherwise: "declare a \(kind) with id `\(reference.id.value)` under `\(reference.kind.listKey)`, or correct the id"))
    }

    /// Every fact kind a check reads must come from one of its sources: the ones it names, else every configured one.
    private mutating func checkFactSources() {
        var kinds: [String: SourceKind] = [:]
        for source in draft.sources {
            if let id = source.id, let kind = catalog.sourceKind(named: source.value.kind) { kinds[id.value] = kind }
        }
        let allKnown = draft.sources.allSatisfy { catalog.sourceKind(named: $0.value.kind) != nil }
        for use in draft.checkUses {
            // The bot's own facts (certified reviews, integration health) need no configured source.
            let reads = use.type.reads.filter { !FactKind.botKept.contains($0) }
            if reads.isEmpty { continue }
            var provided = Set<FactKind>()
            var allNamedUseful = true
            for source in use.sources {
                guard let kind = kinds[source.value] else { allNamedUseful = false; continue }
                provided.formUnion(kind.provides)
                if Set(kind.provides).isDisjoint(with: reads) {
                    allNamedUseful = false
                    log.report(source.position,
                               "source `\(source.value)` (kind `\(kind.name)`) provides none of the facts check `\(use.type.name)` reads (\(Self.list(reads)))",
                               fix: "name a source of kind \(sourceKinds(providingAny: reads)), or remove it")
                }
            }
            if use.sources.isEmpty {
                guard allKnown else { continue }
                provided = Set(kinds.values.flatMap(\.provides))
            } else if !allNamedUseful {
                continue  // an unknown or useless source is already reported; the list is being fixed anyway
            }
            let missing = reads.filter { !provided.contains($0) }
            guard !missing.isEmpty else { continue }
            if use.sources.isEmpty {
                log.report(use.position, "no configured source provides the \(Self.list(missing)) facts check `\(use.type.name)` of control `\(use.controlID)` reads",
                           fix: "add a source of kind \(sourceKinds(providingAny: missing)) under `sources`")
            } else {
                log.report(use.sources[0].position, "none of the sources of control `\(use.controlID)` provides the \(Self.list(missing)) facts check `\(use.type.name)` reads",
                           fix: "add a source of kind \(sourceKinds(providingAny: missing)) to `check.sources`, or leave `sources` out to read every source")
            }
        }
    }

    /// A team's alerts go to its channel for the severity, else its default, else `routing.default`; with none, nowhere.
    private mutating func checkTeamChannels(hasDefaultRoute: Bool) {
        guard !hasDefaultRoute else { return }
        for team in draft.teams where team.id != nil {
            let uncovered = Severity.allCases.filter { team.value.channels.channels(for: $0).isEmpty }
            guard !uncovered.isEmpty else { continue }
            let which = uncovered.count == Severity.allCases.count
                ? "has no channel"
                : "has no channel for severity \(uncovered.map(\.rawValue).joined(separator: ", "))"
            log.report(team.position, "team `\(team.value.id)` \(which) and `routing.default` is not set, so its alerts would go nowhere",
                       fix: "add `channels: {default: {\(catalog.chatPlatformNames.first ?? "<platform>"): <channel id>}}` to the team, or `routing: {default: …}` to organisation.yaml")
        }
    }

    private static func list(_ facts: [FactKind]) -> String { facts.map { "`\($0.rawValue)`" }.joined(separator: ", ") }

    /// Source kinds providing at least one of `facts`, as "`a`, `b` or `c`".
    private func sourceKinds(providingAny facts: [FactKind]) -> String {
        let names = catalog.sourceKinds.filter { !Set($0.provides).isDisjoint(with: facts) }.map { "`\($0.name)`" }
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
