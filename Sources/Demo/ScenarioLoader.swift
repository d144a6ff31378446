import Checks
import FactSources
import Core
import Foundation
import Manifests
import Yams

/// Reads scenario YAML. Dates may be absolute (`2026-03-02`, ISO 8601) or relative to `start` (`-30d`, `+2h`).
package enum ScenarioLoader {
    /// - Parameter start: replaces the file's `start` (relative dates and offsets follow it): `check` and `run`
    ///   on the demo organisation see its systems as they are at the scenario's start, but today.
    package static func load(file: URL, start: Date? = nil) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory)
            throw ScenarioError(file: file.path, problems: [!exists ? "the scenario file does not exist" : isDirectory.boolValue ? "is a directory, not a scenario file" : "cannot read the file"])
        }
        return try parse(data, file: file.path, start: start)
    }

    /// `parse` of a file's bytes: refuses bytes that are not UTF-8 rather than reading replacement characters.
    package static func parse(_ data: Data, file: String, start: Date? = nil) throws -> Scenario {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: file, problems: ["the file is not UTF-8 text; save it as UTF-8"])
        }
        return try parse(text, file: file, start: start)
    }

    package static func parse(_ text: String, file: String, start: Date? = nil) throws -> Scenario {
        let root: Node
        do {
            guard let node = try YamlLimits.compose(text) else { throw ScenarioError(file: file, problems: ["the file is empty"]) }
            root = node
        } catch let error as ScenarioError { throw error } catch let refusal as YamlLimits.Refusal {
            throw ScenarioError(file: file, problems: ["\(refusal)"])
        } catch {
            throw ScenarioError(file: file, problems: ["YAML syntax: \(error)"])
        }
        var reader = Reader(file: file, startOverride: start)
        let scenario = reader.scenario(root)
        if !reader.problems.isEmpty { throw ScenarioError(file: file, problems: reader.problems) }
        return scenario!
    }

    private struct Reader {
        let file: String
        let startOverride: Date?
        var problems: [String] = []
        var start = Date(timeIntervalSince1970: 0)

        mutating func problem(_ node: Node?, _ message: String) {
            let position = node?.mark.map { "\($0.line):\($0.column): " } ?? ""
            problems.append(position + message)
        }

        func map(_ node: Node?) -> [(String, Node)]? {
            guard let mapping = node?.mapping else { return nil }
            return mapping.compactMap { key, value in key.string.map { ($0, value) } }
        }

        mutating func scenario(_ root: Node) -> Scenario? {
            guard let top = map(root) else { problem(root, "the scenario must be a mapping with name, start, world and events"); return nil }
            allow(top, ["name", "start", "duration", "world", "events"], in: "scenario", parent: root)
            let fields = Dictionary(top, uniquingKeysWith: { a, _ in a })
            let name = fields["name"]?.string ?? "scenario"
            guard let startText = fields["start"]?.string, let fileStart = TimeText.parse(startText) else {
                problem(fields["start"] ?? root, "`start` must be a date such as 2026-03-02T08:00:00Z"); return nil
            }
            let startDate = startOverride ?? fileStart
            start = startDate
            var duration: TimeInterval = 14 * 86_400
            if let node = fields["duration"] {
                switch node.string.map(DurationText.read) {
                case .success(let d)? where d > Scenario.longestDuration:
                    problem(node, "`duration` is out of range: a scenario lasts at most 366d (the demo's `--until` limit)")
                case .success(let d)?: duration = d
                case .failure(.outOfRange)?: problem(node, "`duration` is out of range: at most \(DurationText.maximumText)")
                default: problem(node, "`duration` must be a duration such as 14d")
                }
            }
            let world = self.world(fields["world"])
            var events: [ScenarioEvent] = []
            for node in fields["events"]?.sequence ?? [] { if let event = event(node) { events.append(event) } }
            events.sort { $0.offset < $1.offset }   // stable: same-time events keep file order
            return Scenario(name: name, start: startDate, duration: duration, world: world, events: events)
        }

        mutating func allow(_ entries: [(String, Node)], _ keys: Set<String>, in context: String, parent: Node? = nil) {
            for (key, node) in entries where !keys.contains(key) {
                let keyNode = parent?.mapping?.first { $0.key.string == key }?.key
                problem(keyNode ?? node, "unknown key `\(key)` in \(context); expected one of \(keys.sorted().joined(separator: ", "))")
            }
        }

        mutating func date(_ node: Node?) -> Date? {
            guard let node else { return nil }
            guard let text = node.string else { problem(node, "expected a date"); return nil }
            if text.hasPrefix("-") || text.hasPrefix("+") {
                switch DurationText.read(String(text.dropFirst())) {
                case .success(let seconds):
                    return start.addingTimeInterval(text.hasPrefix("-") ? -seconds : seconds)
                case .failure(.outOfRange):
                    problem(node, "`\(excerpt(text))`: date out of range; an offset from `start` may be at most \(DurationText.maximumText)")
                case .failure(.malformed):
                    problem(node, "`\(excerpt(text))` is not an offset such as -30d")
                }
                return nil
            }
            guard let date = TimeText.parse(text) else { problem(node, "`\(excerpt(text))` is not a date"); return nil }
            return date
        }

        func bool(_ node: Node?) -> Bool? { node?.bool }
        func int(_ node: Node?) -> Int? { node?.integer }

        /// `text` cut to 60 characters for a problem message.
        func excerpt(_ text: String) -> String { text.count <= 60 ? text : String(text.prefix(59)) + "…" }

        mutating func world(_ node: Node?) -> WorldState {
            var world = WorldState()
            guard let node else { return world }
            guard let entries = map(node) else { problem(node, "`world` must be a mapping"); return world }
            allow(entries, ["people", "accounts", "buckets", "network_rules", "audit_trails", "repositories", "training", "vendors", "devices", "vulnerabilities",
                           "password_policies", "databases", "encryption_keys", "findings", "access_reviews"], in: "world", parent: node)
            for (key, list) in entries {
                for item in list.sequence ?? [] {
                    guard let f = map(item).map({ Dictionary($0, uniquingKeysWith: { a, _ in a }) }) else { problem(item, "expected a mapping"); continue }
                    switch key {
                    case "people":
                        let terminated = date(f["terminated"])
                        world.people.append(HRPerson(employeeID: f["id"]?.string ?? "", name: f["name"]?.string ?? "", email: f["email"]?.string ?? "",
                                                     status: terminated == nil ? .active : .terminated, terminatedAt: terminated,
                                                     department: f["department"]?.string))
                    case "accounts":
                        world.accounts.append(Account(system: f["system"]?.string ?? "", login: f["login"]?.string ?? "", email: f["email"]?.string,
                                                      active: bool(f["active"]) ?? true, mfaEnabled: bool(f["mfa"]), privileged: bool(f["admin"]) ?? false,
                                                      roles: f["roles"]?.sequence?.compactMap(\.string) ?? [], lastLoginAt: date(f["last_login"])))
                    case "buckets":
                        world.buckets.append(Bucket(provider: f["provider"]?.string ?? "AWS S3", name: f["name"]?.string ?? "",
                                                    encryption: Bucket.Encryption(rawValue: f["encryption"]?.string ?? "provider_managed") ?? .none,
                                                    isPublic: bool(f["public"]) ?? false, holdsCustomerData: bool(f["customer_data"]) ?? false))
                    case "network_rules":
                        world.networkRules.append(NetworkRule(provider: f["provider"]?.string ?? "AWS", id: f["id"]?.string ?? "", name: f["name"]?.string ?? "",
                                                              fromPort: int(f["from"]), toPort: int(f["to"]), sources: f["sources"]?.sequence?.compactMap(\.string) ?? []))
                    case "audit_trails":
                        world.auditTrails.append(AuditTrail(provider: f["provider"]?.string ?? "AWS", name: f["name"]?.string ?? "",
                                                            multiRegion: bool(f["multi_region"]) ?? true, logging: bool(f["logging"]) ?? true))
                    case "repositories":
                        world.repositories.append(Repository(host: f["host"]?.string ?? "GitHub", name: f["name"]?.string ?? "",
                                                             defaultBranch: f["branch"]?.string ?? "main", protected: bool(f["protected"]) ?? true,
                                                             requiredReviews: int(f["required_reviews"]) ?? 1))
                    case "training":
                        world.training.append(TrainingRecord(email: f["email"]?.string ?? "", completedAt: date(f["completed"]), dueAt: date(f["due"]),
                                                             course: f["course"]?.string))
                    case "vendors":
                        world.vendors.append(Vendor(name: f["name"]?.string ?? "", tier: int(f["tier"]) ?? 2, reportPeriodEnd: date(f["report_period_end"]),
                                                    id: f["id"]?.string, questionnaireDue: date(f["questionnaire_due"]), dpaSigned: bool(f["dpa_signed"])))
                        if let owner = f["owner"]?.string {
                            guard let id = f["id"]?.string else { problem(f["owner"], "a vendor's `owner` records renewals by its register `id`: give the vendor an id"); continue }
                            world.vendorOwners[id.lowercased()] = PersonID(owner)
                        }
                    case "access_reviews":
                        guard let system = f["system"]?.string, let by = f["by"]?.string, let certified = date(f["certified"]) else {
                            problem(item, "an access review needs system, by (who certified) and certified (a date)"); continue
                        }
                        guard certified <= start else { problem(f["certified"], "`certified` is after the start: certify later reviews with a `command` event"); continue }
                        world.accessReviews.append(AccessReview(system: system, certifiedBy: by, certifiedAt: certified, note: f["note"]?.string))
                    case "devices":
                        world.devices.append(Device(serial: f["serial"]?.string ?? "", name: f["name"]?.string ?? "", ownerEmail: f["owner"]?.string,
                                                    encrypted: bool(f["encrypted"]) ?? true, osVersion: f["os"]?.string ?? "macOS 15"))
                    case "vulnerabilities":
                        if let v = vulnerability(f, item) { world.vulnerabilities.append(v) }
                    case "password_policies":
                        world.passwordPolicies.append(PasswordPolicy(
                            provider: f["provider"]?.string ?? "AWS", account: f["account"]?.string ?? "", exists: bool(f["exists"]) ?? true,
                            minimumLength: int(f["min_length"]) ?? 14, requireSymbols: bool(f["complexity"]) ?? true, requireNumbers: bool(f["complexity"]) ?? true,
                            requireUppercase: bool(f["complexity"]) ?? true, requireLowercase: bool(f["complexity"]) ?? true,
                            maxAgeDays: int(f["max_age_days"]), reusePrevention: int(f["reuse_prevention"]) ?? 24))
                    case "databases":
                        world.databases.append(Database(provider: f["provider"]?.string ?? "AWS RDS", id: f["id"]?.string ?? "", engine: f["engine"]?.string ?? "postgres",
                                                        storageEncrypted: bool(f["encrypted"]) ?? true, publiclyAccessible: bool(f["public"]) ?? false))
                    case "encryption_keys":
                        world.encryptionKeys.append(EncryptionKey(provider: f["provider"]?.string ?? "AWS KMS", id: f["id"]?.string ?? "", label: f["label"]?.string,
                                                                  rotationEnabled: bool(f["rotation"]) ?? true))
                    case "findings":
                        world.findings.append(ImportedFinding(checkID: f["check"]?.string ?? "", title: f["title"]?.string ?? "", 
                                                      status: ImportedFinding.Status(rawValue: f["status"]?.string ?? "fail") ?? .unknown,
                                                      severity: f["severity"]?.string.flatMap(Severity.init(rawValue:)), resource: f["resource"]?.string ?? ""))
                    default:
                        break
                    }
                }
            }
            return world
        }

        mutating func vulnerability(_ f: [String: Node], _ node: Node) -> Vulnerability? {
            guard let id = f["id"]?.string, let opened = date(f["opened"]) else { problem(node, "a vulnerability needs id and opened"); return nil }
            return Vulnerability(id: id, title: f["title"]?.string ?? id, severity: Severity(rawValue: f["severity"]?.string ?? "critical") ?? .critical,
                                 resource: f["resource"]?.string ?? "", openedAt: opened)
        }

        mutating func event(_ node: Node) -> ScenarioEvent? {
            guard let entries = map(node) else { problem(node, "an event must be a mapping with `at` and one action"); return nil }
            let f = Dictionary(entries, uniquingKeysWith: { a, _ in a })
            if let atText = f["at"]?.string, DurationText.read(atText) == .failure(.outOfRange) {
                problem(f["at"], "`at`: `\(excerpt(atText))` is out of range: at most \(DurationText.maximumText) from the start"); return nil
            }
            guard let atNode = f["at"], let atText = atNode.string else {
                problem(f["at"] ?? node, "an event needs `at`, an offset from the start such as 30h or a date such as 2026-04-02T09:00:00Z"); return nil
            }
            let offset: TimeInterval
            if let relative = atText == "0" ? 0 : DurationText.parse(atText) {
                offset = relative
            } else if let absolute = TimeText.parse(atText) {
                guard absolute >= start else {
                    problem(atNode, "`at`: \(atText) is before the scenario's start (\(TimeText.iso(start)))"); return nil
                }
                guard absolute.timeIntervalSince(start) <= DurationText.maximum else {
                    problem(atNode, "`at`: `\(excerpt(atText))` is out of range: at most \(DurationText.maximumText) from the start"); return nil
                }
                offset = absolute.timeIntervalSince(start)
            } else {
                problem(atNode, "`at`: `\(excerpt(atText))` is neither an offset from the start such as 30h nor a date such as 2026-04-02T09:00:00Z")
                return nil
            }
            let actions = entries.filter { !Self.eventKeys.contains($0.0) }
            guard actions.count == 1, let (verb, body) = actions.first else {
                problem(node, "an event needs exactly one action besides `at` (terminate, set_account, set_bucket, set_network_rule, set_trail, set_repository, complete_training, set_vendor, set_device, add_vulnerability, fix_vulnerability, say, command)")
                return nil
            }
            let b = map(body).map { Dictionary($0, uniquingKeysWith: { a, _ in a }) } ?? [:]
            func required(_ key: String) -> String? {
                if let value = b[key]?.string { return value }
                problem(body, "`\(verb)` needs `\(key)`"); return nil
            }
            let action: ScenarioEvent.Action?
            switch verb {
            case "terminate": action = required("email").map { .terminate(email: $0) }
            case "set_account":
                guard let system = required("system"), let login = required("login") else { return nil }
                action = .setAccount(system: system, login: login, active: bool(b["active"]), mfa: bool(b["mfa"]), admin: bool(b["admin"]))
            case "set_bucket":
                action = required("name").map { .setBucket(name: $0, encryption: b["encryption"]?.string.flatMap(Bucket.Encryption.init(rawValue:)), isPublic: bool(b["public"])) }
            case "set_network_rule":
                action = required("id").map { .setNetworkRule(id: $0, sources: b["sources"]?.sequence?.compactMap(\.string) ?? []) }
            case "set_trail":
                action = required("name").map { .setTrail(name: $0, logging: bool(b["logging"]), multiRegion: bool(b["multi_region"])) }
            case "set_repository":
                action = required("name").map { .setRepository(name: $0, protected: bool(b["protected"]), requiredReviews: int(b["required_reviews"])) }
            case "complete_training": action = required("email").map { .completeTraining(email: $0) }
            case "set_vendor":
                action = required("name").map { .setVendor(name: $0, reportPeriodEnd: date(b["report_period_end"])) }
            case "set_device":
                action = required("serial").map { .setDevice(serial: $0, encrypted: bool(b["encrypted"]), owner: b["owner"]?.string, name: b["name"]?.string) }
            case "add_vulnerability": action = vulnerability(b, body).map { .addVulnerability($0) }
            case "fix_vulnerability": action = required("id").map { .fixVulnerability(id: $0) }
            case "say":
                guard let text = body.string else { problem(body, "`say` takes the text to print"); return nil }
                action = .say(text)
            case "command":
                guard let person = required("as"), let text = required("text") else { return nil }
                action = .command(person: PersonID(person), text: text)
            default:
                problem(node, "unknown event action `\(verb)`"); return nil
            }
            var change: SourceChange?
            if f["changed_at"] != nil || f["by"] != nil {
                guard Self.changeVerbs.contains(verb) else {
                    let key = f["changed_at"] != nil ? "changed_at" : "by"
                    problem(node.mapping?.first { $0.key.string == key }?.key ?? node,
                            "`\(key)` belongs to a change a system records (\(Self.changeVerbs.sorted().joined(separator: ", "))), not `\(verb)`")
                    return nil
                }
                var changedAt = offset
                if let changedNode = f["changed_at"] {
                    guard let text = changedNode.string else { problem(changedNode, "`changed_at` must be an offset from the event such as -13m, or a date"); return nil }
                    if text.hasPrefix("-") || text.hasPrefix("+"), let seconds = DurationText.parse(String(text.dropFirst())) {
                        changedAt = offset + (text.hasPrefix("-") ? -seconds : seconds)
                    } else if let date = TimeText.parse(text) {
                        changedAt = date.timeIntervalSince(start)
                    } else {
                        problem(changedNode, "`changed_at`: `\(excerpt(text))` is neither an offset from the event such as -13m nor a date"); return nil
                    }
                    if changedAt > offset { problem(changedNode, "`changed_at` is after the event: a system records a change when it happens, not later"); return nil }
                }
                if let byNode = f["by"], byNode.string?.isEmpty != false { problem(byNode, "`by` names who made the change, e.g. `by: dana`"); return nil }
                change = SourceChange(offset: changedAt, by: f["by"]?.string)
            }
            return action.map { ScenarioEvent(offset: offset, action: $0, change: change) }
        }

        /// The keys an event has besides its one action.
        static let eventKeys: Set<String> = ["at", "changed_at", "by"]
        /// The actions a system's audit log records with a time and an actor.
        static let changeVerbs: Set<String> = ["set_account", "set_bucket", "set_network_rule", "set_trail"]
    }
}
