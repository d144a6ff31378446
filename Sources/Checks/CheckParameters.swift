import Core
import FactSources
import Foundation

extension DescribedSettings {
    /// A check's parameters read through its type's specs: a value that does not fit is `CheckError.badParameter`
    /// (validation reports it first, at its line); a key the specs do not declare is `SettingsError.undeclared`.
    static func parameters(of type: CheckType, values: [String: ConfigValue]) -> DescribedSettings {
        DescribedSettings(specs: type.parameters, values: values, owner: "check type `\(type.name)`") { key, reason in
            CheckError.badParameter(name: key, reason: reason)
        }
    }

    /// The `min_severity` parameter (`SettingSpec.minSeverity`, whose default is the check type's).
    func severity() throws -> Severity {
        let name = try string("min_severity")
        guard let severity = Severity(rawValue: name) else { throw CheckError.badParameter(name: "min_severity", reason: "expected critical, high, medium or low") }
        return severity
    }
}

extension String {
    /// Case-insensitive membership of a system name in an optional filter list.
    func isSelected(by filter: [String]?) -> Bool {
        guard let filter else { return true }
        return filter.contains { $0.caseInsensitiveCompare(self) == .orderedSame }
    }

}
