import Foundation

/// A SOC 2 control the bot watches: what it tests, who owns it, how loud a failure is.
package struct Control: Codable, Sendable, Equatable {
    package var id: ControlID
    package var title: String
    package var description: String
    /// The Trust Services Criteria this control serves, e.g. `[CC6.2]`.
    package var criteria: [Criterion]
    package var owner: TeamID
    package var severity: Severity
    /// Seconds between runs of an automated control; for a manual control, how often evidence is due.
    package var cadence: TimeInterval
    /// What the automated test is; nil for a manual control.
    package var check: CheckSpec?
    /// What to do when it fails: the console path or CLI command, written for the person on call.
    package var remediation: String
    /// Replaces the policy's remediation SLA for this control's alerts, in seconds.
    package var slaOverride: TimeInterval?
    /// How long a resource must keep failing before it alerts ("failing for 2 h before it alerts"); 0 alerts at once.
    package var tolerance: TimeInterval
    /// Consecutive failing runs needed before a resource alerts; 1 alerts on the first failing run.
    package var minFailures: Int
    /// The most `minFailures` may be (the manifests refuse more): failing runs in a row are counted up to it.
    package static let minFailuresLimit = 1_000
    /// One alert per failing resource, or one per control listing its failing resources.
    package var grouping: AlertGrouping
    /// For manual controls: the evidence the owner records each cadence.
    package var evidenceExpected: String?
    /// Criteria of other frameworks this control serves (`frameworks: {iso27001: [A.5.18]}`), replacing its check type's
    /// default mapping for each framework named; see `Framework.criteria(of:)`.
    package var frameworkCriteria: [Framework: [String]] = [:]

    package init(id: ControlID, title: String, description: String = "", criteria: [Criterion], owner: TeamID,
                 severity: Severity, cadence: TimeInterval, check: CheckSpec?, remediation: String,
                 slaOverride: TimeInterval? = nil, tolerance: TimeInterval = 0, minFailures: Int = 1,
                 grouping: AlertGrouping = .perResource, evidenceExpected: String? = nil) {
        self.id = id; self.title = title; self.description = description; self.criteria = criteria
        self.owner = owner; self.severity = severity; self.cadence = cadence; self.check = check
        self.remediation = remediation; self.slaOverride = slaOverride; self.tolerance = tolerance
        self.minFailures = minFailures; self.grouping = grouping; self.evidenceExpected = evidenceExpected
    }

    /// Whether the bot tests this control itself (otherwise a person records evidence).
    package var isAutomated: Bool { check != nil }
}

/// How a control's failing resources become alerts.
package enum AlertGrouping: String, Codable, Sendable, CaseIterable {
    /// One alert per failing resource: "j.smith remains active in GitHub".
    case perResource = "per_resource"
    /// One alert for the control listing every failing resource: "8 employees have not completed training".
    case perControl = "per_control"
}

/// The automated test behind a control: a check type from the catalog, the source it reads, and its parameters.
package struct CheckSpec: Codable, Sendable, Equatable {
    package var type: String
    /// The configured sources the check reads (e.g. `[bamboohr, github, aws]`); empty means every source of the needed kind.
    package var sources: [SourceID]
    package var parameters: [String: ConfigValue]

    package init(type: String, sources: [SourceID] = [], parameters: [String: ConfigValue] = [:]) {
        self.type = type; self.sources = sources; self.parameters = parameters
    }
}

extension Control {
    /// Ledger subject and kind of a manual control's evidence recorded from chat (`/soc2 evidence <control> …`).
    package var manualEvidenceSubject: String { "manual:\(id.rawValue.lowercased())" }
    package static let manualEvidenceKind = "manual_evidence"
}
