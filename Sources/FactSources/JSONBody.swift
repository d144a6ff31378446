import Foundation

/// Decoding of JSON API answers (GitHub, GitLab) into the client's `Decodable` shapes. A body that does not decode
/// is an error with a short reason that names a field, never the body's content (which may hold personal data).
enum JSONBody {
    /// Why a body did not decode.
    struct Malformed: Error, Sendable {
        let reason: String
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(Malformed) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw Malformed(reason: describe(error))
        } catch {
            throw Malformed(reason: "not JSON")
        }
    }

    /// An ISO 8601 timestamp as GitHub (`2024-05-01T12:00:00Z`) and GitLab (`2024-05-01T12:00:00.000Z`) write them.
    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A string field trimmed of whitespace; nil when absent or blank (APIs send `""` for "not known").
    static func text(_ value: String?) -> String? {
        guard let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ key: CodingKey? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : "`\(text.hasPrefix(".") ? String(text.dropFirst()) : text)`"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field \(path(context, key))"
        case .typeMismatch(_, let context): return "\(path(context)) has an unexpected type"
        case .valueNotFound(_, let context): return "\(path(context)) is null"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not JSON" : "\(path(context)) is malformed"
        @unknown default: return "unreadable JSON"
        }
    }
}
