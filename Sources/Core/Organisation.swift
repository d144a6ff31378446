import Foundation

/// A person the bot knows: an owner, a manager, someone who may act on alerts.
package struct Person: Codable, Sendable, Equatable {
    package var id: PersonID
    package var name: String
    package var email: String
    package var team: TeamID?
    package var manager: PersonID?
    /// Logins in systems where the person's account does not carry their e-mail, by system (lower-case, e.g.
    /// `github: [dana-r]`): the offboarding and matching checks treat those accounts as this person's.
    package var accounts: [String: [String]] = [:]
    /// Chat user ids per platform, e.g. `slack: U024BE7LH`, `matrix: @dana:example.org`, `terminal: dana`.
    package var chatIDs: [ChatPlatform: String]

    package init(id: PersonID, name: String, email: String, team: TeamID? = nil, manager: PersonID? = nil,
                 chatIDs: [ChatPlatform: String] = [:]) {
        self.id = id; self.name = name; self.email = email; self.team = team; self.manager = manager; self.chatIDs = chatIDs
    }
}

/// A team that owns controls and receives their alerts.
package struct Team: Codable, Sendable, Equatable {
    package var id: TeamID
    package var name: String
    /// Escalation level 1: told by direct message when an alert is not acknowledged in time.
    package var manager: PersonID?
    /// Channel per platform and severity; `nil` severity key is the team's default channel.
    package var channels: ChannelRoutes
    /// Escalation level 2 for this team's alerts; empty means the organisation's security leads.
    package var escalationContacts: [PersonID]
    /// People of this team who may accept risk on its alerts, besides the organisation's security leads.
    package var securityAdmins: [PersonID]

    package init(id: TeamID, name: String, manager: PersonID? = nil, channels: ChannelRoutes = .init(),
                 escalationContacts: [PersonID] = [], securityAdmins: [PersonID] = []) {
        self.id = id; self.name = name; self.manager = manager; self.channels = channels
        self.escalationContacts = escalationContacts; self.securityAdmins = securityAdmins
    }
}

/// Channels by platform and severity, with a default per platform.
package struct ChannelRoutes: Codable, Sendable, Equatable {
    package var defaults: [ChatPlatform: String]
    package var bySeverity: [Severity: [ChatPlatform: String]]

    package init(defaults: [ChatPlatform: String] = [:], bySeverity: [Severity: [ChatPlatform: String]] = [:]) {
        self.defaults = defaults; self.bySeverity = bySeverity
    }

    /// The channel for `severity` on each platform the team uses: the severity's own channel, else the default.
    package func channels(for severity: Severity) -> [ChatPlatform: String] {
        var result = defaults
        for (platform, channel) in bySeverity[severity] ?? [:] { result[platform] = channel }
        return result
    }
}
