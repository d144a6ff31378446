import Foundation

/// A source or check read its settings in a way its descriptor does not allow: a programmer error, thrown by
/// `DescribedSettings` so a test (and the factories' callers) see it at once instead of a key validation would refuse.
package enum SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The specs declare no such key: declare it in the descriptor (then `validate` accepts it and the reference shows it).
    case undeclared(owner: String, key: String)
    /// The key is declared as another kind than it was read as.
    case wrongKind(owner: String, key: String, declared: String, asked: String)
    /// Read as always present, but the spec has neither a default nor `required`: read it with `ifSet:`.
    case noDefault(owner: String, key: String)
    /// The spec's own default does not fit its kind.
    case badDefault(owner: String, key: String, reason: String)

    package var description: String {
        switch self {
        case .undeclared(let owner, let key):
            "\(owner) read the setting `\(key)`, which its descriptor does not declare; add a SettingSpec for it"
        case .wrongKind(let owner, let key, let declared, let asked):
            "\(owner) read the setting `\(key)` as \(asked), but its descriptor declares it \(declared)"
        case .noDefault(let owner, let key):
            "\(owner) read the setting `\(key)` as always set, but its descriptor gives it no default; read it with `ifSet:`"
        case .badDefault(let owner, let key, let reason):
            "\(owner): the default of the setting `\(key)` \(reason)"
        }
    }
}
