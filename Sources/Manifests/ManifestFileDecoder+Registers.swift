import Core
import Foundation
import Yams

extension ManifestFileDecoder {
    static let vendorKeys = ["id", "name", "tier", "owner", "report_period_end", "questionnaire_due", "dpa_signed"]
    static let policyKeys = ["id", "title", "link", "owner", "every", "teams", "published", "grace"]

    /// One `vendors:` item: a vendor of the register, its tier, owner, SOC 2 report period and paperwork dates.
    mutating func decodeVendor(_ node: Node) {
        guard let fields = fields(node, known: Self.vendorKeys, what: "a vendor") else { return }
        let id = identifier(fields, of: "a vendor")
        let owner = Self.describe("vendor", id)
        let name = requiredText(fields, "name", of: owner)
        var tier = 2
        if let tierNode = required(fields, "tier", of: owner), let text = text(tierNode, key: "tier") {
            if let value = Int(text), (1...3).contains(value) { tier = value } else {
                log.report(position(tierNode), "`tier` must be 1, 2 or 3, not `\(text)`",
                           fix: "1: holds customer data or runs production; 2: important; 3: low risk")
            }
        }
        let person = optionalText(fields, "owner")
        if let person { draft.references.append(.init(kind: .person, id: person, field: "owner")) }
        let dpa: Bool
        if let node = fields["dpa_signed"] {
            if let value = node.bool { dpa = value } else {
                log.report(position(node), "`dpa_signed` must be true or false", fix: "write `dpa_signed: true`")
                dpa = false
            }
        } else {
            dpa = false
        }
        let vendor = VendorEntry(id: id?.value ?? "", name: name?.value ?? "", tier: tier, owner: person.map { PersonID($0.value) },
                                 reportPeriodEnd: fields["report_period_end"].flatMap { date($0, key: "report_period_end") },
                                 questionnaireDue: fields["questionnaire_due"].flatMap { date($0, key: "questionnaire_due") },
                                 dpaSigned: dpa)
        draft.vendors.append(.init(value: vendor, id: id, position: fields.position))
    }

    /// One `policies:` item: a policy, who must attest to it and how often.
    mutating func decodePolicy(_ node: Node) {
        guard let fields = fields(node, known: Self.policyKeys, what: "a policy") else { return }
        let id = identifier(fields, of: "a policy")
        let owner = Self.describe("policy", id)
        let title = requiredText(fields, "title", of: owner)
        let link = optionalText(fields, "link")
        if let link, !(link.value.hasPrefix("https://") || link.value.hasPrefix("http://")) {
            log.report(link.position, "`link` must be an http(s) address", fix: "write where the current version is published, e.g. `https://wiki.example/policies/aup`")
        }
        let person = optionalText(fields, "owner")
        if let person { draft.references.append(.init(kind: .person, id: person, field: "owner")) }
        let teams = fields["teams"].flatMap { textList($0, key: "teams") } ?? []
        for team in teams { draft.references.append(.init(kind: .team, id: team, field: "teams")) }
        let policy = PolicyEntry(id: id?.value ?? "", title: title?.value ?? "", link: link?.value, owner: person.map { PersonID($0.value) },
                                 every: fields["every"].flatMap { duration($0, key: "every") } ?? 365 * 86_400,
                                 teams: teams.map { TeamID($0.value) },
                                 publishedAt: required(fields, "published", of: owner).flatMap { date($0, key: "published") },
                                 grace: fields["grace"].flatMap { duration($0, key: "grace") } ?? 30 * 86_400)
        draft.policies.append(.init(value: policy, id: id, position: fields.position))
    }

    /// `auditors: [{name: …, token: VAR, from: 2026-01-01, to: 2026-07-01, expires: 2026-10-01}]`.
    mutating func decodeAuditor(_ node: Node) {
        guard let fields = fields(node, known: ["name", "token", "from", "to", "expires"], what: "an auditor") else { return }
        let name = requiredText(fields, "name", of: "an auditor")
        let owner = name.map { "auditor `\($0.value)`" } ?? "an auditor"
        _ = required(fields, "token", of: owner)
        let token = environmentVariable(fields, "token", of: "auditors", example: "SOC2BOT_AUDITOR_TOKEN")
        let from = required(fields, "from", of: owner).flatMap { date($0, key: "from") }
        let to = required(fields, "to", of: owner).flatMap { date($0, key: "to") }
        let expires = fields["expires"].flatMap { date($0, key: "expires") }
        if let from, let to, from >= to, let node = fields["to"] {
            log.report(position(node), "\(owner): `to` must be after `from`", fix: "the audit period runs from `from` (inclusive) to `to` (exclusive)")
        }
        guard let name, let token, let from, let to else { return }
        draft.auditors.append(AuditorAccess(name: name.value, tokenVariable: token, from: from, to: to, expires: expires))
    }

    /// `digest: {weekday: monday, hour: 9, leadership: {slack: C0LEAD}, also: iso27001}` (UTC).
    mutating func decodeDigest(_ node: Node, keyPosition: ManifestPosition) {
        guard let fields = fields(node, known: ["weekday", "hour", "leadership", "also"], what: "`digest`") else { return }
        var schedule = DigestSchedule()
        if let weekdayNode = fields["weekday"], let text = text(weekdayNode, key: "weekday") {
            if let index = DigestSchedule.weekdays.firstIndex(of: text.lowercased()) { schedule.weekday = index + 1 } else {
                log.report(position(weekdayNode), "`weekday`: `\(text)` is not a day of the week", fix: "write e.g. `weekday: monday`")
            }
        }
        if let hourNode = fields["hour"], let text = text(hourNode, key: "hour") {
            if let hour = Int(text), (0...23).contains(hour) { schedule.hour = hour } else {
                log.report(position(hourNode), "`hour` must be 0 to 23 (UTC), not `\(text)`", fix: "write e.g. `hour: 9`")
            }
        }
        if let leadership = fields["leadership"] { schedule.leadership = platformMap(leadership, key: "leadership") ?? [:] }
        if let alsoNode = fields["also"], let name = text(alsoNode, key: "also") {
            let names = Framework.allCases.filter { $0 != .soc2 }.map(\.rawValue)
            if let framework = Framework(rawValue: name), framework != .soc2 { schedule.also = framework } else {
                log.report(position(alsoNode), "`also`: `\(name)` is not a framework the digest can add to SOC 2",
                           fix: NameSuggestion.fix(for: name, among: names, otherwise: "use one of \(NameSuggestion.list(names))"))
            }
        }
        draft.digest.append(.init(value: schedule, position: keyPosition))
    }

    /// A date (`2026-03-31`) or instant (`2026-03-31T00:00:00Z`); reports anything else.
    mutating func date(_ node: Node, key: String) -> Date? {
        guard let value = text(node, key: key) else { return nil }
        guard let date = TimeText.parse(value) else {
            log.report(position(node), "`\(key)`: `\(value)` is not a date", fix: "write `\(key): 2026-03-31`")
            return nil
        }
        return date
    }
}
