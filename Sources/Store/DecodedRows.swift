import Foundation
import Synchronization

/// Values decoded from stored JSON bodies, each kept with the exact bytes it was decoded from, so a body read again
/// unchanged — a live alert or a failing resource's track, which every step reads — is not decoded again. The row
/// stays the one source of truth: a kept value is used only when the bytes read now are the bytes it came from, so a
/// write by anyone (a person's action, another process, a step rolled back) is simply a miss and is decoded afresh.
/// Nothing is ever invalidated; at most `limit` values are kept (all are dropped when it is reached).
package final class DecodedRows: Sendable {
    private struct Entry: @unchecked Sendable {
        var bytes: Data
        /// Decoded from `bytes` (a value type: the caller gets its own copy).
        var value: Any
    }
    private let entries = Mutex<[String: Entry]>([:])
    private let limit: Int

    package init(limit: Int = 4_096) { self.limit = limit }

    /// The value decoded earlier from `bytes` under `key`, if those were exactly its bytes.
    package func value<T>(_ key: String, bytes: Data, as type: T.Type) -> T? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.bytes == bytes else { return nil }
            return entry.value as? T
        }
    }

    /// Keeps `value`, decoded from (or encoded as) `bytes`, under `key`.
    package func keep<T>(_ key: String, bytes: Data, value: T) {
        entries.withLock { entries in
            if entries.count >= limit && entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(bytes: bytes, value: value)
        }
    }

    /// How many values are kept (tests).
    package var count: Int { entries.withLock { $0.count } }
}
