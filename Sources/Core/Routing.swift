import Foundation

/// Who hears about an alert: pure functions of the configuration.
package enum Routing {
    /// The owning team's channels for the alert's severity, one per platform the team uses;
    /// the organisation's default channels when the team has none.
    package static func teamChannels(team: TeamID, severity: Severity, config: BotConfig) -> [ChatDestination] {
        var channels = config.team(team)?.channels.channels(for: severity) ?? [:]
        if channels.isEmpty { channels = config.defaultChannels }
        return channels.sorted { $0.key < $1.key }.map { .channel($0.key, $0.value) }
    }

    /// The people told at `level` of the escalation policy (level 0 is the team channel: nobody by DM).
    package static func escalationPeople(team: TeamID, level: Int, config: BotConfig) -> [Person] {
        let levels = config.policy.levels
        guard level > 0, !levels.isEmpty else { return [] }
        let target = levels[min(level, levels.count - 1)]
        let ids: [PersonID]
        switch target {
        case .teamChannel:
            ids = []
        case .teamManager:
            ids = config.team(team)?.manager.map { [$0] } ?? config.securityLeads
        case .securityLeads:
            let contacts = config.team(team)?.escalationContacts ?? []
            ids = contacts.isEmpty ? config.securityLeads : contacts
        }
        var seen = Set<PersonID>()
        return ids.filter { seen.insert($0).inserted }.compactMap { config.person($0) }
    }

    /// Direct-message destinations for `people` on every platform they have a chat id on.
    package static func directMessages(to people: [Person]) -> [ChatDestination] {
        people.flatMap { person in
            person.chatIDs.sorted { $0.key < $1.key }.map { ChatDestination.direct($0.key, $0.value) }
        }
    }

    /// Whether `person` may take `action` on an alert of `team`. Anyone in the manifests may acknowledge,
    /// snooze, escalate and close; accepting a risk takes a security lead or one of the team's security admins.
    package static func mayPerform(_ action: AlertAction, person: PersonID, team: TeamID, config: BotConfig) -> Bool {
        guard config.person(person) != nil else { return false }
        if case .acceptRisk = action {
            return config.securityLeads.contains(person) || (config.team(team)?.securityAdmins.contains(person) ?? false)
        }
        return true
    }
}
