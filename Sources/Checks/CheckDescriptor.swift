import Core
import FactSources
import Foundation

/// One check type: its description (name, summary, facts read, parameter schema) and the factory that builds the
/// check from a control's validated parameters. Each lives next to its check's implementation and is listed once
/// in `CheckRegistry.descriptors`.
package struct CheckDescriptor: Sendable {
    package let type: CheckType
    /// Builds the check; throws `CheckError.badParameter` for what only the check can judge (a malformed release).
    let factory: @Sendable (CheckParameters) throws -> any ControlCheck

    init(_ type: CheckType, factory: @escaping @Sendable (CheckParameters) throws -> any ControlCheck) {
        self.type = type; self.factory = factory
    }

    /// The check for a control's `check:` spec of this type.
    package func make(_ spec: CheckSpec) throws -> any ControlCheck {
        try factory(CheckParameters(values: spec.parameters))
    }
}

extension SettingSpec {
    /// `systems`: account systems to check (default all), shared by the account checks.
    static let systems = SettingSpec("systems", .strings, help: "account systems to check (default all)")
    /// `min_severity` of the vulnerability and findings checks.
    static func minSeverity(default value: Severity) -> SettingSpec {
        SettingSpec("min_severity", .oneOf(Severity.allCases.map(\.rawValue)), default: value.rawValue, help: "the lowest severity that counts")
    }
}
