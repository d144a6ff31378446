import Foundation

/// The kinds of facts sources provide and checks read.
package enum FactKind: String, Codable, Sendable, CaseIterable {
    /// HR records: who works here, who left and when.
    case people
    /// Accounts in identity providers, code hosts and clouds: active, MFA, privileged, last login.
    case accounts
    /// Storage buckets: encryption, public access.
    case buckets
    /// Firewall / security group rules open to the internet.
    case networkRules = "network_rules"
    /// Audit trails (CloudTrail and the like): multi-region, logging.
    case auditTrails = "audit_trails"
    /// Code repositories: default-branch protection and required reviews.
    case repositories
    /// Security awareness training completions.
    case training
    /// Vendors and their SOC 2 reports.
    case vendors
    /// Laptops and desktops: disk encryption, OS version, last check-in.
    case devices
    /// Open vulnerabilities and exposed secrets.
    case vulnerabilities
    /// Access reviews certified from chat (`/soc2 certify`): kept in the bot's own evidence ledger.
    case reviews
    /// Account-wide password policies (IAM's account password policy).
    case passwordPolicies = "password_policies"
    /// Managed databases: storage encryption, public accessibility.
    case databases
    /// Customer-managed encryption keys: automatic rotation.
    case encryptionKeys = "encryption_keys"
    /// Findings imported from another scanner (OCSF Detection Findings, e.g. Prowler's `json-ocsf` output).
    case findings
    /// Whether each configured source could be read lately: the bot's own record of its integrations.
    case integrations
    /// Who attested to which policy when (`/soc2 attest`), for every person who must.
    case attestations

    /// The kinds the bot keeps itself (certified reviews, integration health, attestations): every control may read them.
    package static let botKept: Set<FactKind> = [.reviews, .integrations, .attestations]
    /// The kinds systems under watch provide (the demo world serves all of these).
    package static let external: [FactKind] = allCases.filter { !botKept.contains($0) }
}

/// A check type: what it reads and which parameters it takes. Pure description; the `Checks` module holds each
/// type's descriptor (this plus the factory that builds the check) next to its implementation.
package struct CheckType: Sendable {
    package var name: String
    package var summary: String
    package var reads: [FactKind]
    /// Its parameters: every key of a control's `check:` but `type` and `sources`.
    package var parameters: [SettingSpec]
    /// Criteria it typically serves (documentation; the manifest's control says which it serves).
    package var typicalCriteria: [String]

    package init(name: String, summary: String, reads: [FactKind], parameters: [SettingSpec] = [], typicalCriteria: [String]) {
        self.name = name; self.summary = summary; self.reads = reads; self.parameters = parameters; self.typicalCriteria = typicalCriteria
    }
}

/// A kind of source the manifests may configure: the facts it provides, its credential roles and its settings.
/// Pure description; the `FactSources` module holds each kind's descriptor (this plus its live client's factory) in
/// the source's own folder.
package struct SourceKind: Sendable {
    package var name: String
    /// One line for the reference: what it reads and how.
    package var summary: String
    package var provides: [FactKind]
    /// Its credential roles, each named by an environment variable in the manifests (or its default variable).
    package var credentials: [CredentialRole]
    /// The keys its `settings:` may hold.
    package var settings: [SettingSpec]

    package init(name: String, summary: String, provides: [FactKind], credentials: [CredentialRole] = [], settings: [SettingSpec] = []) {
        self.name = name; self.summary = summary; self.provides = provides; self.credentials = credentials; self.settings = settings
    }

    /// Every role the manifests may name for this kind.
    package var allCredentials: [String] { credentials.map(\.name) }
}

/// The source kinds, check types and chat platforms a build knows: what the manifests are validated against and what
/// the reference (`soc2bot reference`) documents. The shipped one is `Catalog.builtIn` (module `Checks`, with the chat
/// adapters' descriptions from `Chat`); tests may build their own.
package struct Catalog: Sendable {
    package var sourceKinds: [SourceKind]
    package var checkTypes: [CheckType]
    package var chatPlatforms: [ChatPlatformKind]

    package init(sourceKinds: [SourceKind], checkTypes: [CheckType], chatPlatforms: [ChatPlatformKind] = []) {
        self.sourceKinds = sourceKinds; self.checkTypes = checkTypes; self.chatPlatforms = chatPlatforms
    }

    package func chatPlatform(_ platform: ChatPlatform) -> ChatPlatformKind? { chatPlatforms.first { $0.platform == platform } }
    /// The ids routes and chat ids may name.
    package var chatPlatformNames: [String] { chatPlatforms.map(\.platform.rawValue) }
    /// `{a: <id>, b: <id>}` over the known platforms, for fixes.
    package func chatPlatformExample(_ value: String = "<id>") -> String {
        "{" + chatPlatforms.map { "\($0.platform.rawValue): \(value)" }.joined(separator: ", ") + "}"
    }

    package func sourceKind(named name: String) -> SourceKind? { sourceKinds.first { $0.name == name } }
    package func checkType(named name: String) -> CheckType? { checkTypes.first { $0.name == name } }
}
