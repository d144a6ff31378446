import Checks
import FactSources
import Core
import Foundation
import Yams

/// A demo scenario: a fictional organisation's systems at the start, and a timeline of changes and people's
/// commands. The format is documented in manifests/demo/README.md; `soc2bot demo --scenario FILE` runs any.
package struct Scenario: Sendable {
    package var name: String
    package var start: Date
    /// How long the scenario runs when `--until` is not given: at most `longestDuration`.
    package var duration: TimeInterval
    /// The longest `duration`, a year as `demo --until` allows: longer would keep the demo busy for hours.
    package static let longestDuration: TimeInterval = 366 * 86_400
    package var world: WorldState
    package var events: [ScenarioEvent]
}

/// One timeline entry: at an offset from the start, change the world, say something, or have a person type a command.
package struct ScenarioEvent: Sendable, Equatable {
    package enum Action: Sendable, Equatable {
        case terminate(email: String)
        case setAccount(system: String, login: String, active: Bool?, mfa: Bool?, admin: Bool?)
        case setBucket(name: String, encryption: Bucket.Encryption?, isPublic: Bool?)
        case setNetworkRule(id: String, sources: [String])
        case setTrail(name: String, logging: Bool?, multiRegion: Bool?)
        case setRepository(name: String, protected: Bool?, requiredReviews: Int?)
        case completeTraining(email: String)
        case setVendor(name: String, reportPeriodEnd: Date?)
        case setDevice(serial: String, encrypted: Bool?, owner: String?, name: String?)
        case addVulnerability(Vulnerability)
        case fixVulnerability(id: String)
        /// Narration printed to the demo's terminal.
        case say(String)
        /// A person types a command; `{alert:CONTROL/RESOURCE}` or `{alert:CONTROL}` is replaced by that alert's id.
        case command(person: PersonID, text: String)
    }
    package var offset: TimeInterval
    package var action: Action
    /// The source's own record of the change (`changed_at`, `by`): when the system says it happened and who made it, as
    /// an audit log (CloudTrail, Okta's System Log) tells it, so the failure is dated from the change, not from when a
    /// run noticed it, and the alert names who did it.
    package var change: SourceChange?
    package init(offset: TimeInterval, action: Action, change: SourceChange? = nil) {
        self.offset = offset; self.action = action; self.change = change
    }
}

/// When a system says a change happened (an offset from the scenario's start) and who made it.
package struct SourceChange: Sendable, Equatable {
    package var offset: TimeInterval
    package var by: String?
    package init(offset: TimeInterval, by: String?) { self.offset = offset; self.by = by }
}

/// The demo organisation's systems: what the demo source serves.
package struct WorldState: Sendable, Equatable {
    package var people: [HRPerson] = []
    package var accounts: [Account] = []
    package var buckets: [Bucket] = []
    package var networkRules: [NetworkRule] = []
    package var auditTrails: [AuditTrail] = []
    package var repositories: [Repository] = []
    package var training: [TrainingRecord] = []
    package var vendors: [Vendor] = []
    package var devices: [Device] = []
    package var vulnerabilities: [Vulnerability] = []
    package var passwordPolicies: [PasswordPolicy] = []
    package var databases: [Database] = []
    package var encryptionKeys: [EncryptionKey] = []
    package var findings: [ImportedFinding] = []
    /// Access reviews certified before the scenario starts; the demo records them in its ledger when it starts on a
    /// fresh database, as `/soc2 certify` would have, so the `access_review` checks read them back.
    package var accessReviews: [AccessReview] = []
    /// Each vendor's owner (a person id) by register id (lower-case): who besides a security lead may record its renewal.
    package var vendorOwners: [String: PersonID] = [:]
    package init() {}

    /// Everything in the world, every kind answered.
    package var facts: Facts {
        var facts = Facts()
        facts.people = people; facts.accounts = accounts; facts.buckets = buckets; facts.networkRules = networkRules
        facts.auditTrails = auditTrails; facts.repositories = repositories; facts.training = training
        facts.vendors = vendors; facts.devices = devices; facts.vulnerabilities = vulnerabilities
        facts.passwordPolicies = passwordPolicies; facts.databases = databases; facts.encryptionKeys = encryptionKeys
        facts.findings = findings
        return facts
    }
}

/// A scenario file that could not be read, with every problem found.
package struct ScenarioError: Error, Sendable, CustomStringConvertible {
    package var file: String
    package var problems: [String]
    package var description: String { problems.map { "\(file): \($0)" }.joined(separator: "\n") }
}
