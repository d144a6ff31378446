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

/// The inbound HTTP server (platforms that call the bot, health checks, webhooks and the dashboard).
package struct ServerConfig: Codable, Sendable, Equatable {
    package var host: String
    package var port: Int
    /// The environment variable holding the trust-center feed's Ed25519 signing key (base64 of the 32-byte raw
    /// private key); nil: no trust-center feed.
    package var trustCenterKeyVariable: String?
    /// The environment variable holding the dashboard's access token; nil: no dashboard.
    package var dashboardTokenVariable: String?
    /// Loopback by default: put a TLS-terminating reverse proxy in front, or set `0.0.0.0` deliberately.
    package static let standard = ServerConfig(host: "127.0.0.1", port: 8080)
    package init(host: String, port: Int, trustCenterKeyVariable: String? = nil) {
        self.host = host; self.port = port; self.trustCenterKeyVariable = trustCenterKeyVariable
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
    package var chat: ChatConfig
    /// Where the inbound server listens, when the manifests say. The server runs when this is set or a configured
    /// platform calls the bot (then on `ServerConfig.standard` unless set).
    package var server: ServerConfig?
    /// The vendor register (`vendors:`), read by `vendor_register` sources.
    package var vendors: [VendorEntry]
    /// Policies people attest to (`policies:`).
    package var policies: [PolicyEntry]
    /// The weekly digest (`digest:`); nil: none.
    package var digest: DigestSchedule?
    /// Auditors' period-scoped access to the dashboard (`auditors:`).
    package var auditors: [AuditorAccess]
    /// Anchoring the ledger head outside the bot (`ledger: {anchor: …}`); nil: no anchors.
    package var ledgerAnchor: LedgerAnchorSettings? = nil

    package init(organisation: String, people: [Person], teams: [Team], defaultChannels: [ChatPlatform: String] = [:],
                 securityLeads: [PersonID] = [], policy: EscalationPolicy = .standard, controls: [Control],
                 sources: [SourceConfig] = [], chat: ChatConfig = ChatConfig(), server: ServerConfig? = nil,
                 vendors: [VendorEntry] = [], policies: [PolicyEntry] = [], digest: DigestSchedule? = nil, auditors: [AuditorAccess] = []) {
        self.organisation = organisation; self.people = people; self.teams = teams
        self.defaultChannels = defaultChannels; self.securityLeads = securityLeads; self.policy = policy
        self.controls = controls; self.sources = sources; self.chat = chat; self.server = server
        self.vendors = vendors; self.policies = policies; self.digest = digest; self.auditors = auditors
    }

    /// Where the inbound HTTP server listens, or nil when nothing needs it.
    package var inboundServer: ServerConfig? {
        server ?? (chat.platforms.values.contains(where: \.needsInboundServer) ? .standard : nil)
    }

    /// The person with this e-mail address (case-insensitive), if the manifests list one.
    package func person(email: String) -> Person? {
        let wanted = email.lowercased()
        return people.first { $0.email.lowercased() == wanted }
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
    /// nothing waits for a platform that is not there).
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
