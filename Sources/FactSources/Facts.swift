import Core
import Foundation

/// A person in the HR system of record.
package struct HRPerson: Codable, Sendable, Equatable {
    package enum Status: String, Codable, Sendable { case active, terminated }
    package var employeeID: String
    package var name: String
    package var email: String
    package var status: Status
    /// The termination date, for `terminated` people.
    package var terminatedAt: Date?
    package var department: String?
    /// The person's manager as the HR system names them (an e-mail where it has one, else a name or employee id).
    package var manager: String?
    package init(employeeID: String, name: String, email: String, status: Status, terminatedAt: Date? = nil, department: String? = nil,
                 manager: String? = nil) {
        self.employeeID = employeeID; self.name = name; self.email = email; self.status = status
        self.terminatedAt = terminatedAt; self.department = department; self.manager = manager
    }
}

/// An account in an identity provider, code host or cloud.
package struct Account: Codable, Sendable, Equatable {
    /// The system's display name, e.g. `GitHub`, `AWS`, `Okta`.
    package var system: String
    package var login: String
    package var email: String?
    package var active: Bool
    /// nil when the source does not report MFA for this account.
    package var mfaEnabled: Bool?
    package var privileged: Bool
    package var roles: [String]
    package var lastLoginAt: Date?
    /// Whether a person can sign in with it (a console password, SSO); API-only accounts (an IAM user with access
    /// keys and no console password) are not, and MFA does not apply to them.
    package var interactive: Bool
    /// When MFA was last turned off, where the source's audit log says (Okta's System Log): when an MFA failure began.
    package var mfaChangedAt: Date?
    /// Long-lived API keys (IAM access keys); empty when the system has none or does not report them.
    package var accessKeys: [AccessKey]
    package init(system: String, login: String, email: String?, active: Bool, mfaEnabled: Bool?, privileged: Bool,
                 roles: [String] = [], lastLoginAt: Date? = nil, interactive: Bool = true, mfaChangedAt: Date? = nil,
                 accessKeys: [AccessKey] = []) {
        self.system = system; self.login = login; self.email = email; self.active = active; self.mfaEnabled = mfaEnabled
        self.privileged = privileged; self.roles = roles; self.lastLoginAt = lastLoginAt; self.interactive = interactive
        self.mfaChangedAt = mfaChangedAt; self.accessKeys = accessKeys
    }
}

extension Account {
    /// The role that marks a cloud account's root user (AWS's root user), which the `root_mfa` check judges.
    package static let rootUserRole = "root user"
}

/// A long-lived API key of an account (an IAM access key). It is known by its account and its creation time, which
/// every read gives (IAM's credential report does not name key ids; its key slots renumber when key 1 is deleted,
/// creation times do not).
package struct AccessKey: Codable, Sendable, Equatable {
    /// The system's key id (`AKIA…`) where the read named it; nil when it did not (IAM's credential report).
    package var id: String?
    package var active: Bool
    package var createdAt: Date
    /// When the key was last used, where the system says (IAM's credential report); nil: never, or not reported.
    package var lastUsedAt: Date?
    package init(id: String? = nil, active: Bool, createdAt: Date, lastUsedAt: Date? = nil) {
        self.id = id; self.active = active; self.createdAt = createdAt; self.lastUsedAt = lastUsedAt
    }

    /// Each key's identity among its account's keys (`AccessKeyIdentity`): its creation time to the second
    /// (`2026-01-02T03:04:05Z`), with `#2` after it for a second key made in the same second.
    package static func identities(_ keys: [AccessKey]) -> [String] {
        var seen: [String: Int] = [:]
        let order = keys.indices.sorted { (keys[$0].createdAt, keys[$0].id ?? "", $0) < (keys[$1].createdAt, keys[$1].id ?? "", $1) }
        var identities = Array(repeating: "", count: keys.count)
        for index in order {
            let stamp = AccessKeyIdentity.stamp(keys[index].createdAt)
            let count = seen[stamp, default: 0] + 1
            seen[stamp] = count
            identities[index] = count == 1 ? stamp : "\(stamp)#\(count)"
        }
        return identities
    }
}

/// Who changed a resource into its current state, and when, as the provider's audit log tells it (CloudTrail
/// `LookupEvents`): the start of a failure for MTTD, and the "who, which API call" an alert shows.
package struct ChangeEvent: Codable, Sendable, Equatable {
    package var at: Date
    /// The principal that made the call (an IAM user name or role session).
    package var actor: String
    /// The API call, e.g. `DeleteBucketEncryption`.
    package var action: String
    package init(at: Date, actor: String, action: String) { self.at = at; self.actor = actor; self.action = action }

    /// `DeleteBucketEncryption by dana-r at 2026-03-02 08:14 UTC`.
    package var summary: String { "\(action) by \(actor) at \(TimeText.human(at))" }
}

/// A storage bucket.
package struct Bucket: Codable, Sendable, Equatable {
    package enum Encryption: String, Codable, Sendable { case none, providerManaged = "provider_managed", customerManaged = "customer_managed" }
    package var provider: String
    package var name: String
    package var encryption: Encryption
    /// How the provider names the encryption, e.g. `SSE-S3`, `SSE-KMS with the AWS managed key aws/s3`,
    /// `SSE-KMS with the customer managed key <key id>`; nil when the source does not say.
    package var encryptionDetail: String?
    package var isPublic: Bool
    package var holdsCustomerData: Bool
    /// The change that left the bucket as it is, where the audit log says.
    package var lastChange: ChangeEvent?
    package init(provider: String, name: String, encryption: Encryption, isPublic: Bool, holdsCustomerData: Bool = false,
                 lastChange: ChangeEvent? = nil, encryptionDetail: String? = nil) {
        self.provider = provider; self.name = name; self.encryption = encryption; self.isPublic = isPublic
        self.holdsCustomerData = holdsCustomerData; self.lastChange = lastChange; self.encryptionDetail = encryptionDetail
    }
}

/// An inbound firewall / security group rule.
package struct NetworkRule: Codable, Sendable, Equatable {
    package var provider: String
    package var id: String
    package var name: String
    /// Inclusive port range; `nil` means all ports.
    package var fromPort: Int?
    package var toPort: Int?
    package var sources: [String]
    /// The change that opened the rule, where the audit log says.
    package var lastChange: ChangeEvent?
    /// The protocol it allows, as people say it: `TCP`, `UDP`, `ICMP`, `ICMPv6`, `all traffic`, `protocol 47`; nil
    /// when the source does not say.
    package var protocolName: String?
    package init(provider: String, id: String, name: String, fromPort: Int?, toPort: Int?, sources: [String], lastChange: ChangeEvent? = nil,
                 protocolName: String? = nil) {
        self.provider = provider; self.id = id; self.name = name; self.fromPort = fromPort; self.toPort = toPort; self.sources = sources
        self.lastChange = lastChange; self.protocolName = protocolName
    }
}

/// An audit trail (CloudTrail and the like).
package struct AuditTrail: Codable, Sendable, Equatable {
    package var provider: String
    package var name: String
    package var multiRegion: Bool
    package var logging: Bool
    /// The change that stopped or narrowed the trail, where the audit log says.
    package var lastChange: ChangeEvent?
    /// What the trail must cover when a source reads several (an AWS account, a GCP project, an Azure subscription):
    /// each scope needs a logging trail of its own. nil: the provider as a whole.
    package var scope: String?
    package init(provider: String, name: String, multiRegion: Bool, logging: Bool, lastChange: ChangeEvent? = nil, scope: String? = nil) {
        self.provider = provider; self.name = name; self.multiRegion = multiRegion; self.logging = logging; self.lastChange = lastChange
        self.scope = scope
    }
}

/// An account-wide password policy for console users (IAM's account password policy). `exists == false` means
/// the account has none, so the provider's weak defaults apply.
package struct PasswordPolicy: Codable, Sendable, Equatable {
    package var provider: String
    /// The account it governs (an AWS account id or alias).
    package var account: String
    package var exists: Bool
    package var minimumLength: Int
    package var requireSymbols: Bool
    package var requireNumbers: Bool
    package var requireUppercase: Bool
    package var requireLowercase: Bool
    /// Days before a password must change; nil when passwords never expire.
    package var maxAgeDays: Int?
    /// How many previous passwords may not be reused; nil when reuse is not prevented.
    package var reusePrevention: Int?
    package init(provider: String, account: String, exists: Bool, minimumLength: Int = 0, requireSymbols: Bool = false,
                 requireNumbers: Bool = false, requireUppercase: Bool = false, requireLowercase: Bool = false,
                 maxAgeDays: Int? = nil, reusePrevention: Int? = nil) {
        self.provider = provider; self.account = account; self.exists = exists; self.minimumLength = minimumLength
        self.requireSymbols = requireSymbols; self.requireNumbers = requireNumbers; self.requireUppercase = requireUppercase
        self.requireLowercase = requireLowercase; self.maxAgeDays = maxAgeDays; self.reusePrevention = reusePrevention
    }
}

/// A managed database instance (RDS and the like).
package struct Database: Codable, Sendable, Equatable {
    package var provider: String
    package var id: String
    package var engine: String
    package var storageEncrypted: Bool
    package var publiclyAccessible: Bool
    package init(provider: String, id: String, engine: String, storageEncrypted: Bool, publiclyAccessible: Bool) {
        self.provider = provider; self.id = id; self.engine = engine; self.storageEncrypted = storageEncrypted
        self.publiclyAccessible = publiclyAccessible
    }
}

/// A customer-managed encryption key (KMS and the like). Provider-managed keys are rotated by the provider and not
/// reported.
package struct EncryptionKey: Codable, Sendable, Equatable {
    package var provider: String
    package var id: String
    /// An alias or description that a person recognises, where the key has one.
    package var label: String?
    /// Symmetric keys can rotate automatically; asymmetric and HMAC keys cannot and are not judged on rotation.
    package var rotatable: Bool
    package var rotationEnabled: Bool
    package init(provider: String, id: String, label: String? = nil, rotatable: Bool = true, rotationEnabled: Bool) {
        self.provider = provider; self.id = id; self.label = label; self.rotatable = rotatable; self.rotationEnabled = rotationEnabled
    }
}

/// A finding imported from another scanner (an OCSF Detection Finding, e.g. from Prowler): its own check, resource,
/// status and severity, carried through the bot's lifecycle as one result.
package struct ImportedFinding: Codable, Sendable, Equatable {
    package enum Status: String, Codable, Sendable { case pass, fail, manual, unknown }
    /// The scanner's check id (OCSF `metadata.event_code`, Prowler's `CheckID`).
    package var checkID: String
    package var title: String
    package var status: Status
    /// nil for informational findings.
    package var severity: Severity?
    package var resource: String
    package var resourceName: String?
    /// Compliance mappings, e.g. `["SOC2": ["cc_6_1"], "CIS-2.0": ["1.10"]]`.
    package var compliance: [String: [String]]
    /// Provider region / account, where the finding says.
    package var provider: String?
    package var statusDetail: String?
    package var remediation: String?
    /// When the scanner first saw it failing, where the finding says.
    package var firstSeenAt: Date?
    package init(checkID: String, title: String, status: Status, severity: Severity?, resource: String, resourceName: String? = nil,
                 compliance: [String: [String]] = [:], provider: String? = nil, statusDetail: String? = nil, remediation: String? = nil,
                 firstSeenAt: Date? = nil) {
        self.checkID = checkID; self.title = title; self.status = status; self.severity = severity; self.resource = resource
        self.resourceName = resourceName; self.compliance = compliance; self.provider = provider; self.statusDetail = statusDetail
        self.remediation = remediation; self.firstSeenAt = firstSeenAt
    }
}

/// A code repository's default-branch protection.
package struct Repository: Codable, Sendable, Equatable {
    package var host: String
    package var name: String
    package var defaultBranch: String
    package var protected: Bool
    package var requiredReviews: Int
    package init(host: String, name: String, defaultBranch: String = "main", protected: Bool, requiredReviews: Int) {
        self.host = host; self.name = name; self.defaultBranch = defaultBranch; self.protected = protected; self.requiredReviews = requiredReviews
    }
}

/// A person's security-awareness training: the most recent completion, and the deadline the training platform set
/// for the current assignment where it has one.
package struct TrainingRecord: Codable, Sendable, Equatable {
    package var email: String
    package var completedAt: Date?
    /// The assignment's due date, where the platform reports one (KnowBe4's Reporting API puts none on an enrollment).
    package var dueAt: Date?
    /// The course or campaign, for messages.
    package var course: String?
    package init(email: String, completedAt: Date?, dueAt: Date? = nil, course: String? = nil) {
        self.email = email; self.completedAt = completedAt; self.dueAt = dueAt; self.course = course
    }
}

/// A vendor and its SOC 2 report.
package struct Vendor: Codable, Sendable, Equatable {
    package var name: String
    package var tier: Int
    /// End of the period the latest SOC 2 Type II report covers.
    package var reportPeriodEnd: Date?
    /// The register's id (typed in `/soc2 vendor renew`); nil for vendors from elsewhere.
    package var id: String?
    /// When the next security questionnaire is due.
    package var questionnaireDue: Date?
    /// nil when the source does not track DPAs.
    package var dpaSigned: Bool?
    /// The evidence of the latest renewal recorded from chat, and who recorded it.
    package var renewal: String?
    /// The person accountable for the relationship (the register's `owner`), by e-mail: reminded before the report lapses.
    package var ownerEmail: String?
    package init(name: String, tier: Int, reportPeriodEnd: Date?, id: String? = nil, questionnaireDue: Date? = nil, dpaSigned: Bool? = nil,
                 renewal: String? = nil) {
        self.name = name; self.tier = tier; self.reportPeriodEnd = reportPeriodEnd; self.id = id
        self.questionnaireDue = questionnaireDue; self.dpaSigned = dpaSigned; self.renewal = renewal
    }
}

/// A managed laptop or desktop.
package struct Device: Codable, Sendable, Equatable {
    package var serial: String
    package var name: String
    package var ownerEmail: String?
    package var encrypted: Bool
    /// As the management system reports it, e.g. `macOS 15.1.1`, `Windows 10.0.22631.4460`, `Ubuntu 24.04`.
    package var osVersion: String
    package var lastCheckIn: Date?
    /// `macOS`, `Windows`, `Linux`, `iOS`, … (nil when the system does not say).
    package var platform: String?
    /// The management system, e.g. `Jamf`, `Intune`, `Fleet`.
    package var managedBy: String?
    /// Screen lock (password after sleep / idle lock) enforced; nil when the system does not report it.
    package var screenLock: Bool?
    /// Installed applications or agents by name, where the system reports them (EDR presence).
    package var apps: [String]?
    /// Compliance or policy results by name (Fleet policies, Intune compliance state as `compliance`).
    package var policies: [String: Bool]?
    package init(serial: String, name: String, ownerEmail: String?, encrypted: Bool, osVersion: String, lastCheckIn: Date? = nil,
                 platform: String? = nil, managedBy: String? = nil, screenLock: Bool? = nil, apps: [String]? = nil, policies: [String: Bool]? = nil) {
        self.serial = serial; self.name = name; self.ownerEmail = ownerEmail; self.encrypted = encrypted
        self.osVersion = osVersion; self.lastCheckIn = lastCheckIn; self.platform = platform; self.managedBy = managedBy
        self.screenLock = screenLock; self.apps = apps; self.policies = policies
    }
}

/// An open vulnerability or exposed secret.
package struct Vulnerability: Codable, Sendable, Equatable {
    package var id: String
    package var title: String
    package var severity: Severity
    package var resource: String
    package var openedAt: Date
    package init(id: String, title: String, severity: Severity, resource: String, openedAt: Date) {
        self.id = id; self.title = title; self.severity = severity; self.resource = resource; self.openedAt = openedAt
    }
}

/// An access review certified by its reviewer (`/soc2 certify <system>`), from the bot's evidence ledger.
package struct AccessReview: Codable, Sendable, Equatable {
    package var system: String
    package var certifiedBy: String
    package var certifiedAt: Date
    package var note: String?
    package init(system: String, certifiedBy: String, certifiedAt: Date, note: String? = nil) {
        self.system = system; self.certifiedBy = certifiedBy; self.certifiedAt = certifiedAt; self.note = note
    }
}

/// One person's attestation to one policy, as the bot's ledger records it.
package struct PolicyAttestation: Codable, Sendable, Equatable {
    package var policy: String
    package var title: String
    package var email: String
    package var name: String
    /// The latest attestation to the current version (after `publishedAt`); nil: none.
    package var attestedAt: Date?
    package var publishedAt: Date
    package var every: TimeInterval
    package var grace: TimeInterval
    package init(policy: String, title: String, email: String, name: String, attestedAt: Date?, publishedAt: Date, every: TimeInterval, grace: TimeInterval) {
        self.policy = policy; self.title = title; self.email = email; self.name = name; self.attestedAt = attestedAt
        self.publishedAt = publishedAt; self.every = every; self.grace = grace
    }
}

/// How reading one configured source went lately, as the bot recorded it.
package struct SourceHealth: Codable, Sendable, Equatable {
    package var source: SourceID
    package var kind: String
    /// The outcome of the latest read.
    package var healthy: Bool
    package var lastSuccessAt: Date?
    /// When the current run of failures began (nil while healthy).
    package var failingSince: Date?
    /// The latest failure's reason (never a credential: sources' errors do not carry them).
    package var lastError: String?
    /// False when nothing has read the source since the bot started (the record lives in memory): its health is
    /// unknown, neither healthy nor failing.
    package var read: Bool
    package init(source: SourceID, kind: String, healthy: Bool, lastSuccessAt: Date? = nil, failingSince: Date? = nil, lastError: String? = nil,
                 read: Bool = true) {
        self.source = source; self.kind = kind; self.healthy = healthy; self.lastSuccessAt = lastSuccessAt
        self.failingSince = failingSince; self.lastError = lastError; self.read = read
    }
}

/// Facts gathered for one control run. A kind is `nil` when it was not asked for.
package struct Facts: Sendable, Equatable {
    package var people: [HRPerson]?
    package var accounts: [Account]?
    package var buckets: [Bucket]?
    package var networkRules: [NetworkRule]?
    package var auditTrails: [AuditTrail]?
    package var repositories: [Repository]?
    package var training: [TrainingRecord]?
    package var vendors: [Vendor]?
    package var devices: [Device]?
    package var vulnerabilities: [Vulnerability]?
    package var reviews: [AccessReview]?
    package var passwordPolicies: [PasswordPolicy]?
    package var databases: [Database]?
    package var encryptionKeys: [EncryptionKey]?
    package var findings: [ImportedFinding]?
    package var integrations: [SourceHealth]?
    package var attestations: [PolicyAttestation]?
    /// What a source could not read but skipped (a CSV's bad rows with their line numbers): each becomes an `error`
    /// result of the control beside the results of what it did read, so nothing is dropped in silence.
    package var problems: [String] = []
    package init() {}

    /// Whether these facts answer `kind` (an empty list answers; a missing one does not).
    package func has(_ kind: FactKind) -> Bool {
        switch kind {
        case .people: people != nil
        case .accounts: accounts != nil
        case .buckets: buckets != nil
        case .networkRules: networkRules != nil
        case .auditTrails: auditTrails != nil
        case .repositories: repositories != nil
        case .training: training != nil
        case .vendors: vendors != nil
        case .devices: devices != nil
        case .vulnerabilities: vulnerabilities != nil
        case .reviews: reviews != nil
        case .passwordPolicies: passwordPolicies != nil
        case .databases: databases != nil
        case .encryptionKeys: encryptionKeys != nil
        case .findings: findings != nil
        case .integrations: integrations != nil
        case .attestations: attestations != nil
        }
    }

    /// Only the kinds asked for: what a source returns for `facts(kinds)` when it holds everything.
    package func selecting(_ kinds: Set<FactKind>) -> Facts {
        var out = Facts()
        // The kinds asked, one by one (a step asks for one kind at a time: asking the set for each kind was most of this).
        for kind in kinds {
            switch kind {
            case .people: out.people = people
            case .accounts: out.accounts = accounts
            case .buckets: out.buckets = buckets
            case .networkRules: out.networkRules = networkRules
            case .auditTrails: out.auditTrails = auditTrails
            case .repositories: out.repositories = repositories
            case .training: out.training = training
            case .vendors: out.vendors = vendors
            case .devices: out.devices = devices
            case .vulnerabilities: out.vulnerabilities = vulnerabilities
            case .reviews: out.reviews = reviews
            case .passwordPolicies: out.passwordPolicies = passwordPolicies
            case .databases: out.databases = databases
            case .encryptionKeys: out.encryptionKeys = encryptionKeys
            case .findings: out.findings = findings
            case .integrations: out.integrations = integrations
            case .attestations: out.attestations = attestations
            }
        }
        out.problems = problems
        return out
    }

    /// Adds `other`'s facts to these (several sources of one kind are concatenated).
    package mutating func merge(_ other: Facts) {
        func join<T>(_ a: [T]?, _ b: [T]?) -> [T]? { (a == nil && b == nil) ? nil : (a ?? []) + (b ?? []) }
        people = join(people, other.people); accounts = join(accounts, other.accounts)
        buckets = join(buckets, other.buckets); networkRules = join(networkRules, other.networkRules)
        auditTrails = join(auditTrails, other.auditTrails); repositories = join(repositories, other.repositories)
        training = join(training, other.training); vendors = join(vendors, other.vendors)
        devices = join(devices, other.devices); vulnerabilities = join(vulnerabilities, other.vulnerabilities)
        reviews = join(reviews, other.reviews); passwordPolicies = join(passwordPolicies, other.passwordPolicies)
        databases = join(databases, other.databases); encryptionKeys = join(encryptionKeys, other.encryptionKeys)
        findings = join(findings, other.findings); integrations = join(integrations, other.integrations)
        attestations = join(attestations, other.attestations)
        problems += other.problems
    }
}

/// A system the bot reads facts from. Live clients talk to the network; the demo world serves a fictional company.
package protocol FactSource: Sendable {
    var id: SourceID { get }
    /// The fact kinds this source can answer.
    var provides: Set<FactKind> { get }
    /// Reads the requested kinds as of now. Throws when the system cannot be read or answers nonsense:
    /// the control then records an `error`, never a pass.
    func facts(_ kinds: Set<FactKind>) async throws -> Facts
    /// True when a read is answered in this process without waiting on another system (the demo world, the bot's
    /// own records): a step reads such sources one after another rather than each in a task of its own.
    var answersLocally: Bool { get }
}

extension FactSource {
    package var answersLocally: Bool { false }
}

/// A configured source that cannot be read: this build has no client for its kind, or its client could not be
/// set up (a credential variable is not set). Reading it always fails loudly, with the reason.
package struct UnavailableSource: FactSource {
    package let id: SourceID
    package let kind: String
    package let provides: Set<FactKind>
    let reason: String

    package init(config: SourceConfig, reason: String? = nil) {
        id = config.id
        kind = config.kind
        provides = Set(SourceRegistry.kind(named: config.kind)?.provides ?? [])
        self.reason = reason ?? "this build has no client for source kind `\(config.kind)` yet"
    }
    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        throw SourceError.unavailable(source: id, reason: reason)
    }
}

/// Errors reading a source. Descriptions name the source and never carry a credential.
package enum SourceError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The source cannot be read at all (no client, unreachable, refused).
    case unavailable(source: SourceID, reason: String)

    package var description: String {
        switch self {
        case .unavailable(let source, let reason): "source \(source) could not be read: \(reason)"
        }
    }
}
