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

/// How the bot reaches each chat platform. Secrets are named by environment variable, never stored.
package struct ChatConfig: Codable, Sendable, Equatable {
    /// Slack, when the manifests configure it.
    package struct Slack: Codable, Sendable, Equatable {
        /// How Slack reaches the bot with commands, button clicks and modal submissions.
        package enum Mode: String, Codable, Sendable, CaseIterable {
            /// A WebSocket the bot opens to Slack (`apps.connections.open`): no public URL needed. The default.
            case socket
            /// Slack POSTs signed requests to the bot's inbound server (`server.listen`), behind a public URL.
            case http
        }
        /// Environment variable holding the bot token (`xoxb-…`).
        package var botTokenVariable: String
        /// Environment variable holding the app-level token (`xapp-…`) for Socket Mode.
        package var appTokenVariable: String?
        /// Environment variable holding the signing secret for HTTP mode.
        package var signingSecretVariable: String?
        /// The Web API base URL; `https://slack.com/api/` when nil (tests and proxies set it).
        package var apiBaseURL: String?
        package var mode: Mode
        /// The workspace (`T…`) allowed to send commands; requests from any other team are refused. Nil: any.
        package var teamID: String?
        /// The app (`A…`) whose requests are accepted; requests for another app are refused. Nil: any.
        package var appID: String?

        package init(botTokenVariable: String, appTokenVariable: String? = nil, signingSecretVariable: String? = nil, apiBaseURL: String? = nil,
                     mode: Mode = .socket, teamID: String? = nil, appID: String? = nil) {
            self.botTokenVariable = botTokenVariable; self.appTokenVariable = appTokenVariable
            self.signingSecretVariable = signingSecretVariable; self.apiBaseURL = apiBaseURL
            self.mode = mode; self.teamID = teamID; self.appID = appID
        }
    }
    package var slack: Slack?

    /// Matrix, when the manifests configure it: one bot account on one homeserver.
    package struct Matrix: Codable, Sendable, Equatable {
        /// The homeserver's client-server API base, e.g. `https://matrix.example.org`.
        package var homeserver: String
        /// The bot's full user id, `@soc2bot:example.org`.
        package var userID: String
        /// Environment variable holding an access token (preferred), or nil when the bot logs in with a password.
        package var accessTokenVariable: String?
        /// Environment variable holding the bot account's password, used when there is no access token.
        package var passwordVariable: String?
        /// The device the bot logs in as; fixed, so transaction ids stay meaningful across restarts.
        package var deviceID: String

        package init(homeserver: String, userID: String, accessTokenVariable: String? = nil, passwordVariable: String? = nil,
                     deviceID: String = "SOC2BOT") {
            self.homeserver = homeserver; self.userID = userID; self.accessTokenVariable = accessTokenVariable
            self.passwordVariable = passwordVariable; self.deviceID = deviceID
        }
    }
    package var matrix: Matrix?

    package init(slack: Slack? = nil, matrix: Matrix? = nil) { self.slack = slack; self.matrix = matrix }

    /// Every environment variable the chat configuration names.
    package var variables: [String] {
        [slack?.botTokenVariable, slack?.appTokenVariable, slack?.signingSecretVariable,
         matrix?.accessTokenVariable, matrix?.passwordVariable].compactMap { $0 }
    }
}

/// The inbound HTTP server (Slack HTTP mode, health checks, later webhooks and the dashboard).
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
    /// Where the inbound server listens, when the manifests say. The server runs when this is set or Slack is in
    /// HTTP mode (then on `ServerConfig.standard` unless set).
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
        server ?? (chat.slack?.mode == .http ? .standard : nil)
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
