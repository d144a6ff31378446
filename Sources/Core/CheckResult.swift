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

    package init(resource: ResourceRef, status: CheckStatus, expected: String, observed: String, failingSince: Date? = nil) {
        self.resource = resource; self.status = status; self.expected = expected
        self.observed = observed; self.failingSince = failingSince
    }
}
