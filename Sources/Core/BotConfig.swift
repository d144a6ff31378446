import Foundation

/// A configured system the bot reads facts from. Credentials are named by environment variable, never stored.
package struct SourceConfig: Codable, Sendable, Equatable {
    package var id: SourceID
    /// The system's kind, e.g. `github`, `aws`, `okta`, `bamboohr`, `demo`.
    package var kind: String
    /// Environment variables holding credentials, by role (`token: GITHUB_TOKEN`).
    package var credentialVariables: [String: String]
    package var settings: [String: ConfigValue]

    package init(id: SourceID, kind: String, credentialVariables: [String: String] = [:], settings: [String: ConfigValue] = [:]) {
        self.id = id; self.kind = kind; self.credentialVariables = credentialVariables; self.settings = settings
    }
}

/// Everything the manifests say, validated: the organisation, routing, escalation, controls and sources.
package struct BotConfig: Codable, Sendable, Equatable {
    package var organisation: String
    package var people: [Person]
    package var teams: [Team]
    /// Where an alert goes when its team has no channel on any platform.
    package var defaultChannels: [ChatPlatform: String]
    /// Organisation-wide escalation level 2 and risk approvers.
    package var securityLeads: [PersonID]
    package var policy: EscalationPolicy
    package var controls: [Control]
    package var sources: [SourceConfig]

    package init(organisation: String, people: [Person], teams: [Team], defaultChannels: [ChatPlatform: String] = [:],
                 securityLeads: [PersonID] = [], policy: EscalationPolicy = .standard, controls: [Control],
                 sources: [SourceConfig] = []) {
        self.organisation = organisation; self.people = people; self.teams = teams
        self.defaultChannels = defaultChannels; self.securityLeads = securityLeads; self.policy = policy
        self.controls = controls; self.sources = sources
    }

    package func person(_ id: PersonID) -> Person? { people.first { $0.id == id } }
    package func team(_ id: TeamID) -> Team? { teams.first { $0.id == id } }
    package func control(_ id: ControlID) -> Control? { controls.first { $0.id == id } }

    /// The person whose chat id on `platform` is `chatID`, if the manifests map one.
    package func person(platform: ChatPlatform, chatID: String) -> Person? {
        people.first { $0.chatIDs[platform] == chatID }
    }

    /// The remediation SLA for a control's alerts, in seconds.
    package func sla(for control: Control) -> TimeInterval {
        control.slaOverride ?? policy.sla(for: control.severity)
    }

    /// The same configuration with chat limited to `platforms` (the demo keeps only its terminal surface, so
    /// nothing waits for a Slack or Matrix that is not there).
    package func restrictingChat(to platforms: Set<ChatPlatform>) -> BotConfig {
        var copy = self
        copy.defaultChannels = defaultChannels.filter { platforms.contains($0.key) }
        for i in copy.teams.indices {
            copy.teams[i].channels.defaults = teams[i].channels.defaults.filter { platforms.contains($0.key) }
            copy.teams[i].channels.bySeverity = teams[i].channels.bySeverity.mapValues { $0.filter { platforms.contains($0.key) } }
        }
        for i in copy.people.indices { copy.people[i].chatIDs = people[i].chatIDs.filter { platforms.contains($0.key) } }
        return copy
    }
}
