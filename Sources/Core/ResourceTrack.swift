import Foundation

/// What the engine remembers about a resource that is currently failing a control (passing ones are forgotten),
/// so tolerance windows, minimum counts and MTTD survive restarts.
package struct ResourceTrack: Codable, Sendable, Equatable {
    package var resource: ResourceRef
    /// First run that saw it failing in this streak.
    package var firstSeenAt: Date
    /// When the failure began: the source's word if it has one, else `firstSeenAt`.
    package var failingSince: Date
    /// Failing runs in a row, counted up to `Control.minFailuresLimit` (no control may ask for more).
    package var consecutiveFailures: Int
    package var observed: String
    package var expected: String
    /// The policy's own deadline for this resource, when its check enforces one (`CheckResult.policyDeadline`).
    package var policyDeadline: Date?

    package init(resource: ResourceRef, firstSeenAt: Date, failingSince: Date, consecutiveFailures: Int, observed: String, expected: String) {
        self.resource = resource; self.firstSeenAt = firstSeenAt; self.failingSince = failingSince
        self.consecutiveFailures = consecutiveFailures; self.observed = observed; self.expected = expected
    }
}
