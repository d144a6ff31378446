import Foundation

/// A thing a control is tested on: a person, an account, a bucket, a repository, a vendor.
package struct ResourceRef: Codable, Sendable, Hashable {
    /// Stable key within the control, e.g. `github:jsmith` or `s3:acme-exports`.
    package var id: String
    /// What people read, e.g. `j.smith (GitHub)`.
    package var name: String
    package var kind: String

    package init(id: String, name: String? = nil, kind: String) {
        self.id = id; self.name = name ?? id; self.kind = kind
    }
}

/// The outcome of testing one resource.
package enum CheckStatus: Codable, Sendable, Equatable {
    case pass
    case fail
    /// The source could not be read or answered nonsense: never a pass.
    case error(String)

    package var label: String {
        switch self {
        case .pass: "pass"
        case .fail: "fail"
        case .error: "error"
        }
    }
}

/// One control's verdict on one resource at one time.
package struct CheckResult: Codable, Sendable, Equatable {
    package var resource: ResourceRef
    package var status: CheckStatus
    /// What the control requires, e.g. "disabled within 24h of termination".
    package var expected: String
    /// What the source reported, e.g. "active in GitHub (admin), 72h after termination".
    package var observed: String
    /// When the failure began, if the source can tell (a termination date, a CloudTrail event); drives MTTD.
    package var failingSince: Date?
    /// A passing resource with a deadline a person must meet (training, an attestation): whom to remind, when.
    package var reminder: Reminder?
    /// For a check that enforces a policy's own deadline (offboarding within N of termination, training by its due
    /// date, a vendor report's validity, access reviews and attestations by their due dates): the moment the policy is
    /// (or was) broken. An alert for such a failure takes this as its SLA deadline, and a miss is a policy exception.
    package var policyDeadline: Date?

    package init(resource: ResourceRef, status: CheckStatus, expected: String, observed: String, failingSince: Date? = nil,
                 reminder: Reminder? = nil, policyDeadline: Date? = nil) {
        self.resource = resource; self.status = status; self.expected = expected
        self.observed = observed; self.failingSince = failingSince; self.reminder = reminder; self.policyDeadline = policyDeadline
    }
}

/// A deadline a person must meet before a control fails: they get a direct message from `remindAt`, and their
/// manager too from `escalateAt` (the seed's rule: the manager three days before). Once the deadline passes the
/// resource fails and the usual alert takes over.
package struct Reminder: Codable, Sendable, Equatable {
    /// What is due, for the message: "Security awareness training".
    package var what: String
    /// The person who must act, by e-mail (matched to the manifests' people; else reached by e-mail on Slack).
    package var email: String
    package var dueAt: Date
    package var remindAt: Date
    package var escalateAt: Date
    /// How to do it, e.g. "Complete it in KnowBe4" or "/soc2 attest aup".
    package var how: String?
    /// The people who must act, by person id, where the manifests name them rather than an e-mail (an access review's
    /// reviewers): each is reminded, and their managers near the deadline. Empty with an empty `email`: the security leads.
    package var people: [PersonID]?
    package init(what: String, email: String, dueAt: Date, remindAt: Date, escalateAt: Date, how: String? = nil, people: [PersonID]? = nil) {
        self.what = what; self.email = email; self.dueAt = dueAt; self.remindAt = remindAt; self.escalateAt = escalateAt; self.how = how
        self.people = people
    }
}
