import Core
import FactSources
import Foundation

/// Errors from running checks.
package enum CheckError: Error, Sendable, CustomStringConvertible, Equatable {
    case noSourceFor(kind: FactKind)
    case unknownCheckType(String)
    case badParameter(name: String, reason: String)

    package var description: String {
        switch self {
        case .noSourceFor(let kind): "no configured source provides \(kind.rawValue)"
        case .unknownCheckType(let name): "unknown check type \(name)"
        case .badParameter(let name, let reason): "parameter \(name): \(reason)"
        }
    }
}
