import Core
import Foundation

/// Reading the bot's own ledger entries back: `{"kind": …, "at": …, "data": {…}}`.
package enum LedgerPayload {
    package static func object(_ entry: Data) -> [String: Any]? { try? JSONSerialization.jsonObject(with: entry) as? [String: Any] }
    package static func at(_ entry: Data) -> Date? { (object(entry)?["at"] as? String).flatMap(TimeText.parse) }
    /// The entry's `data` as `type` when its kind is `kind`.
    package static func data<T: Decodable>(_ entry: Data, kind: String, as type: T.Type) -> T? {
        guard let object = object(entry), object["kind"] as? String == kind, let data = object["data"],
              let bytes = try? JSONSerialization.data(withJSONObject: data) else { return nil }
        return try? decoder.decode(T.self, from: bytes)
    }

    /// Ledger entries write dates as ISO 8601 (`CanonicalJSON`).
    package static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = TimeText.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
            }
            return date
        }
        return decoder
    }()
}
