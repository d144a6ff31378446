import Core
import FactSources
import Foundation

/// A check type turned into a runnable test: facts in, one result per resource out. Pure.
package protocol ControlCheck: Sendable {
    /// The fact kinds the check needs.
    var reads: Set<FactKind> { get }
    /// Judges every resource in `facts` at time `now`. A missing kind in `facts` is a programming error upstream:
    /// the runner supplies every kind in `reads` or records an error without calling this.
    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult]
    /// Why a run that judged no resource at all is an error rather than a pass; nil (the default) when judging
    /// nothing is a pass (no bucket, no public bucket).
    var nothingToJudge: String? { get }
}

extension ControlCheck {
    package var nothingToJudge: String? { nil }
}

/// Builds the check for a control's `check:` spec, through its type's descriptor (`CheckRegistry`).
package enum CheckFactory {
    package static func make(_ spec: CheckSpec) throws -> any ControlCheck {
        guard let descriptor = CheckRegistry.descriptor(named: spec.type) else { throw CheckError.unknownCheckType(spec.type) }
        return try descriptor.make(spec)
    }
}
