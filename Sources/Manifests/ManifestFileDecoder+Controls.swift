import Core
import Foundation
import Yams

extension ManifestFileDecoder {
    static let controlKeys = ["id", "title", "description", "criteria", "owner", "severity", "cadence", "check", "manual",
                              "remediation", "sla", "tolerance", "min_failures", "grouping", "frameworks"]

    /// One `controls:` item: an automated check or a manual evidence duty, its owner, severity and cadence.
    mutating func decodeControl(_ node: Node) {
        guard let fields = fields(node, known: Self.controlKeys, what: "a control") else { return }
        let id = identifier(fields, of: "a control")
        let owner = Self.describe("control", id)
        let title = requiredText(fields, "title", of: owner)
        let description = optionalText(fields, "description")
        let criteria = criteriaList(fields, of: owner)
        let team = requiredText(fields, "owner", of: owner)
        if let team { draft.references.append(.init(kind: .team, id: team, field: "owner")) }
        let severity = required(fields, "severity", of: owner).flatMap { self.severity($0, key: "severity") }
        var cadence = required(fields, "cadence", of: owner).flatMap { duration($0, key: "cadence") }
        if let seconds = cadence, seconds < Self.shortestCadence, let node = fields["cadence"] {
            // Every run reads the control's sources; a run a second would hammer them, and a demo at --speed max
            // would take an hour of real time per simulated hour.
            log.report(position(node), "`cadence` of \(DurationText.format(seconds)) is shorter than 1m",
                       fix: "run a control at most once a minute: `cadence: 1m` or longer")
            cadence = nil
        }
        let remediation = requiredText(fields, "remediation", of: owner)

        var check: CheckSpec?
        var evidence: String?
        switch (fields.has("check"), fields.has("manual")) {
        case (true, true):
            log.report(fields.keyNode("manual").map(position) ?? fields.position, "\(owner) has both `check` and `manual`",
                       fix: "keep `check` for an automated test or `manual` for evidence a person records, not both")
        case (false, false):
            log.report(fields.position, "\(owner) has neither `check` nor `manual`",
                       fix: "add `check: {type: …}` for an automated test, or `manual: {evidence: …}` for evidence a person records")
        case (true, false):
            if let value = required(fields, "check", of: owner) { check = checkSpec(value, controlID: id?.value ?? "") }
        case (false, true):
            if let value = required(fields, "manual", of: owner),
               let manual = self.fields(value, known: ["evidence"], what: "`manual`") {
                evidence = requiredText(manual, "evidence", of: "`manual` of \(owner)")?.value
            }
        }

        var control = Control(id: ControlID(id?.value ?? ""), title: title?.value ?? "", description: description?.value ?? "",
                              criteria: criteria, owner: TeamID(team?.value ?? ""), severity: severity ?? .medium,
                              cadence: cadence ?? 0, check: check, remediation: remediation?.value ?? "",
                              evidenceExpected: evidence)
        if let value = fields["sla"] { control.slaOverride = duration(value, key: "sla") }
        if let value = fields["tolerance"] { control.tolerance = duration(value, key: "tolerance", allowZero: true) ?? 0 }
        if let value = fields["min_failures"] {
            if value.tagName == .int, let count = value.integer, count >= 1, count <= Control.minFailuresLimit {
                control.minFailures = count
            } else {
                log.report(position(value), "`min_failures` must be a whole number from 1 to \(Control.minFailuresLimit)",
                           fix: "write `min_failures: 1` to alert on the first failing run, or more to wait for repeats")
            }
        }
        if let value = fields["frameworks"] { control.frameworkCriteria = frameworkCriteria(value, of: owner) }
        if let value = fields["grouping"], let name = text(value, key: "grouping") {
            let known = AlertGrouping.allCases.map(\.rawValue)
            if let grouping = AlertGrouping(rawValue: name) {
                control.grouping = grouping
            } else {
                log.report(position(value), "unknown grouping `\(name)`",
                           fix: NameSuggestion.fix(for: name, among: known, otherwise: "use \(NameSuggestion.list(known))"))
            }
        }
        draft.controls.append(.init(value: control, id: id, position: fields.position))
    }

    /// `criteria: [CC6.1, CC6.7]`: at least one Trust Services Criterion, each one the TSC lists (`FrameworkCatalog`).
    private mutating func criteriaList(_ fields: Fields, of owner: String) -> [Criterion] {
        guard let node = required(fields, "criteria", of: owner), let texts = textList(node, key: "criteria") else { return [] }
        if texts.isEmpty, case .sequence(let items) = node, items.isEmpty {
            log.report(position(node), "`criteria` of \(owner) is empty", fix: "list the criteria it serves, e.g. `[CC6.1]`")
        }
        return texts.compactMap { text in
            if let criterion = Criterion(text.value) {
                if Framework.soc2.criterion(criterion.rawValue) != nil { return criterion }
                let known = Framework.soc2.criteria.map(\.id)
                log.report(text.position, "`\(text.value)` is not a criterion of \(Framework.soc2.title)",
                           fix: NameSuggestion.closest(to: criterion.rawValue, among: known).map { "did you mean `\($0)` (\(Framework.soc2.criterion($0)?.title ?? $0))?" }
                               ?? "write a criterion the TSC lists, e.g. `CC6.1`; docs/frameworks.md names the source")
                return nil
            }
            log.report(text.position, "`\(text.value)` is not a Trust Services Criterion",
                       fix: "write <prefix><series>.<point> with prefix CC, A, C, PI or P, e.g. `CC6.1`")
            return nil
        }
    }

    /// `frameworks: {iso27001: [A.5.18, A.8.2], hipaa: ["164.308(a)(3)(ii)(C)"]}`: the criteria of other frameworks
    /// this control serves, replacing its check type's default mapping for each framework named. Every id must exist in
    /// its framework (`FrameworkCatalog`); a near miss is suggested.
    private mutating func frameworkCriteria(_ node: Node, of owner: String) -> [Framework: [String]] {
        let names = Framework.allCases.filter { $0 != .soc2 }.map(\.rawValue)
        guard case .mapping(let mapping) = node else {
            log.report(position(node), "`frameworks` of \(owner) must be a mapping, not \(node.kindName)",
                       fix: "write `frameworks: {iso27001: [A.5.18]}` with keys among \(NameSuggestion.list(names))")
            return [:]
        }
        var result: [Framework: [String]] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? ""
            guard let framework = Framework(rawValue: key) else {
                log.report(position(keyNode), "unknown framework `\(key)` in `frameworks` of \(owner)",
                           fix: NameSuggestion.fix(for: key, among: names, otherwise: "use \(NameSuggestion.list(names))"))
                continue
            }
            guard framework != .soc2 else {
                log.report(position(keyNode), "`frameworks` of \(owner) names soc2",
                           fix: "list SOC 2 criteria under the control's `criteria:`; `frameworks` is for the others")
                continue
            }
            guard let texts = textList(value, key: "frameworks.\(key)") else { continue }
            var ids: [String] = []
            for text in texts {
                if let criterion = framework.criterion(text.value) {
                    if !ids.contains(criterion.id) { ids.append(criterion.id) }
                    continue
                }
                let known = framework.criteria.map(\.id)
                let canonical = FrameworkCatalog.canonical(text.value, in: framework)
                let suggestion = NameSuggestion.closest(to: canonical, among: known)
                let example = known.first { $0 == FrameworkMapping.rows["mfa"]?.criteria(in: framework).first } ?? known[0]
                log.report(text.position, "`\(text.value)` is not a criterion of \(framework.title)",
                           fix: suggestion.map { "did you mean `\($0)` (\(framework.criterion($0)?.title ?? $0))?" }
                               ?? "write an id the framework lists, e.g. `\(example)`; docs/frameworks.md lists them")
            }
            result[framework] = ids
        }
        return result
    }

    /// `check: {type: offboarding, sources: [hr, github], sla: 24h}`: every key but `type` and `sources` is a parameter
    /// of the check type, validated against the catalog's schema.
    private mutating func checkSpec(_ node: Node, controlID: String) -> CheckSpec? {
        guard case .mapping(let mapping) = node else {
            log.report(position(node), "`check` must be a mapping, not \(node.kindName)",
                       fix: "write `check: {type: <check type>, sources: [<source id>], <parameter>: <value>}`")
            return nil
        }
        let typeNames = catalog.checkTypes.map(\.name)
        let entries = mapping.map { (key: $0.key.scalar?.string ?? "", keyNode: $0.key, value: $0.value) }
        guard let typeEntry = entries.first(where: { $0.key == "type" }), !typeEntry.value.isNull else {
            log.report(position(node), "`check` has no `type`", fix: "add `type:` with one of \(NameSuggestion.list(typeNames))")
            return nil
        }
        guard let typeName = text(typeEntry.value, key: "type") else { return nil }
        guard let type = catalog.checkType(named: typeName) else {
            let known = "known types: \(typeNames.joined(separator: ", "))"
            let fix = NameSuggestion.closest(to: typeName, among: typeNames).map { "did you mean `\($0)`? \(known)" } ?? "use one of the \(known)"
            log.report(position(typeEntry.value), "unknown check type `\(typeName)`", fix: fix)
            return nil
        }

        var sources: [Located<String>] = []
        if let entry = entries.first(where: { $0.key == "sources" }), !entry.value.isNull {
            sources = textList(entry.value, key: "sources") ?? []
        }
        let block = SchemaBlock(
            subject: { "check parameter `\($0)`" }, unknown: { "unknown parameter `\($0)` for check type `\(type.name)`" },
            missing: { "check type `\(type.name)` needs parameter `\($0)`" }, owner: "`\(type.name)`", fullOwner: "check type `\(type.name)`", noun: "parameters",
            otherKeys: ["type", "sources"], add: { "add `\($0):`" })
        let parameters = schemaValues(entries, specs: type.parameters, block: block, missingPosition: position(node))
        for source in sources { draft.references.append(.init(kind: .source, id: source, field: "check.sources")) }
        draft.checkUses.append(.init(controlID: controlID, type: type, sources: sources, position: position(node)))
        return CheckSpec(type: type.name, sources: sources.map { SourceID($0.value) }, parameters: parameters)
    }

    /// The shortest `cadence`: one minute.
    static let shortestCadence: TimeInterval = 60

    /// The largest magnitude a numeric check parameter may have: ports, tiers, counts and lengths are far
    /// below it, and a check can take any number up to it as a whole number without overflow.
    static let largestNumber = SettingSpec.largestNumber
}
