import Core
import FactSources
import Foundation

/// One check type: its description (name, summary, facts read, parameter schema) and the factory that builds the
/// check from a control's validated parameters. Each lives next to its check's implementation and is listed once
/// in `CheckRegistry.descriptors`.
package struct CheckDescriptor: Sendable {
    package let type: CheckType
    /// Builds the check; throws `CheckError.badParameter` for what only the check can judge (a malformed release).
    let factory: @Sendable (DescribedSettings) throws -> any ControlCheck

    init(_ type: CheckType, factory: @escaping @Sendable (DescribedSettings) throws -> any ControlCheck) {
        self.type = type; self.factory = factory
    }

    /// The check for a control's `check:` spec of this type. Its parameters are read only through `parameters(of:)`.
    package func make(_ spec: CheckSpec) throws -> any ControlCheck {
        try factory(parameters(of: spec))
    }

    /// A control's parameters read through this type's specs, defaults included.
    package func parameters(of spec: CheckSpec) -> DescribedSettings {
        .parameters(of: type, values: spec.parameters)
    }
}

extension SettingSpec {
    /// `systems`: account systems to check (default all), shared by the account checks.
    static let systems = SettingSpec("systems", .strings, help: "account systems to check (default all)")
    /// `min_severity` of the vulnerability and findings checks.
    static func minSeverity(default value: Severity) -> SettingSpec {
        SettingSpec("min_severity", .oneOf(Severity.allCases.map(\.rawValue)), default: .string(value.rawValue), help: "the lowest severity that counts")
    }
}
