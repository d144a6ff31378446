import Core
import Yams

extension ManifestFileDecoder {
    static let personKeys = ["id", "name", "email", "team", "manager", "chat", "accounts"]
    static let teamKeys = ["id", "name", "manager", "channels", "escalation_contacts", "security_admins"]

    /// One `people:` item: who someone is, their team and manager, and their chat user ids.
    mutating func decodePerson(_ node: Node) {
        guard let fields = fields(node, known: Self.personKeys, what: "a person") else { return }
        let id = identifier(fields, of: "a person")
        let owner = Self.describe("person", id)
        let name = requiredText(fields, "name", of: owner)
        let email = requiredText(fields, "email", of: owner)
        if let email, !Self.looksLikeEmail(email.value) {
            log.report(email.position, "`\(email.value)` is not an email address", fix: "write it as `name@domain`")
        }
        let team = optionalText(fields, "team")
        let manager = optionalText(fields, "manager")
        if let team { draft.references.append(.init(kind: .team, id: team, field: "team")) }
        if let manager {
            if manager.value == id?.value {
                log.report(manager.position, "\(owner) is their own manager",
                           fix: "name the person they report to, or remove `manager`")
            } else {
                draft.references.append(.init(kind: .person, id: manager, field: "manager"))
            }
        }
        let chat = fields["chat"].flatMap { platformMap($0, key: "chat") } ?? [:]
        var person = Person(id: PersonID(id?.value ?? ""), name: name?.value ?? "", email: email?.value ?? "",
                            team: team.map { TeamID($0.value) }, manager: manager.map { PersonID($0.value) }, chatIDs: chat)
        if let accountsNode = fields["accounts"] { person.accounts = accountAliases(accountsNode, owner: owner) }
        draft.people.append(.init(value: person, id: id, position: fields.position))
    }

    /// One `teams:` item: its manager, channels per platform and severity, and who it escalates to.
    mutating func decodeTeam(_ node: Node) {
        guard let fields = fields(node, known: Self.teamKeys, what: "a team") else { return }
        let id = identifier(fields, of: "a team")
        let owner = Self.describe("team", id)
        let name = requiredText(fields, "name", of: owner)
        let manager = optionalText(fields, "manager")
        if let manager { draft.references.append(.init(kind: .person, id: manager, field: "manager")) }
        let channels = fields["channels"].map { channelRoutes($0) } ?? ChannelRoutes()
        var lists: [String: [PersonID]] = [:]
        for key in ["escalation_contacts", "security_admins"] {
            guard let value = fields[key] else { continue }
            let people = textList(value, key: key) ?? []
            for person in people { draft.references.append(.init(kind: .person, id: person, field: key)) }
            lists[key] = people.map { PersonID($0.value) }
        }
        let team = Team(id: TeamID(id?.value ?? ""), name: name?.value ?? "", manager: manager.map { PersonID($0.value) },
                        channels: channels, escalationContacts: lists["escalation_contacts"] ?? [],
                        securityAdmins: lists["security_admins"] ?? [])
        draft.teams.append(.init(value: team, id: id, position: fields.position))
    }

    /// `channels: {default: {…}, critical: {…}}`: a team's default channel per platform, and overrides per severity.
    private mutating func channelRoutes(_ node: Node) -> ChannelRoutes {
        let known = ["default"] + Severity.allCases.map(\.rawValue)
        guard let fields = fields(node, known: known, what: "`channels`") else { return ChannelRoutes() }
        var routes = ChannelRoutes()
        for key in fields.keys {
            guard let value = fields[key], let map = platformMap(value, key: "channels.\(key)") else { continue }
            if let severity = Severity(rawValue: key) { routes.bySeverity[severity] = map } else { routes.defaults = map }
        }
        return routes
    }

    /// `accounts: {github: dana-r, okta: [dana.reyes, d.reyes]}`: logins per system, one or a list.
    mutating func accountAliases(_ node: Node, owner: String) -> [String: [String]] {
        guard case .mapping(let mapping) = node else {
            log.report(position(node), "`accounts` of \(owner) must be a mapping of system to login, not \(node.kindName)",
                       fix: "write e.g. `accounts: {github: dana-r, gitlab: dreyes}`")
            return [:]
        }
        var result: [String: [String]] = [:]
        for (keyNode, valueNode) in mapping {
            guard let system = text(keyNode, key: "accounts") else { continue }
            let logins: [String]
            if case .scalar = valueNode, let login = text(valueNode, key: system) {
                logins = [login]
            } else {
                logins = (textList(valueNode, key: system) ?? []).map(\.value)
            }
            if logins.contains(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) {
                log.report(position(valueNode), "`accounts.\(system)` of \(owner) has an empty login or one with spaces",
                           fix: "write the login exactly as \(system) shows it, e.g. `dana-r`")
                continue
            }
            result[system.lowercased(), default: []] += logins
        }
        return result
    }

    /// A loose check that catches names and chat handles written where an address belongs.
    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(" ")
    }
}
