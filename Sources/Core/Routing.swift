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

    /// Direct-message destinations for `people` on every platform they have a chat id on. On a configured platform
    /// that directs by e-mail (`ChatPlatformKind.directsByEmail`) a person with no id there is addressed by e-mail
    /// (`mailto:dana@example.com`): the surface finds the user at delivery time.
    package static func directMessages(to people: [Person], config: BotConfig) -> [ChatDestination] {
        people.flatMap { person in
            var ids = person.chatIDs
            for (platform, settings) in config.chat.platforms where settings.directsByEmail && ids[platform] == nil && !person.email.isEmpty {
                ids[platform] = ChatDestination.emailAddressPrefix + person.email
            }
            return ids.sorted { $0.key < $1.key }.map { ChatDestination.direct($0.key, $0.value) }
        }
    }

    /// Where the bot tells that a message could not be delivered for good: the organisation's default channels
    /// (`routing.default`, the security channel in the starter manifests) on every platform, and the security leads
    /// by direct message on every platform they are reachable on, so the news finds a surface that works.
    package static func deliveryFailureDestinations(config: BotConfig) -> [ChatDestination] {
        let channels = config.defaultChannels.sorted { $0.key < $1.key }.map { ChatDestination.channel($0.key, $0.value) }
        return channels + directMessages(to: config.securityLeads.compactMap { config.person($0) }, config: config)
    }

    /// Whether `person` may take `action` on an alert of `team`: the team's members, its manager, its security
    /// admins and escalation contacts, and the security leads may acknowledge, snooze, escalate and close; accepting
    /// a risk takes a security lead or one of the team's security admins. Everyone else — people of other teams
    /// and people not in the manifests — is refused.
    package static func mayPerform(_ action: AlertAction, person: PersonID, team: TeamID, config: BotConfig) -> Bool {
        guard let someone = config.person(person) else { return false }
        let owning = config.team(team)
        let isLead = config.securityLeads.contains(person)
        let isAdmin = owning?.securityAdmins.contains(person) ?? false
        if case .acceptRisk = action { return isLead || isAdmin }
        return isLead || isAdmin || someone.team == team || owning?.manager == person
            || (owning?.escalationContacts.contains(person) ?? false)
    }
}
