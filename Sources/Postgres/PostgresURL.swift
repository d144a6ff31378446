import Foundation

/// Connection strings as people write them — a URL (`postgresql://user@host:5432/db?sslmode=require`) or libpq's
/// `key=value` form — with any password taken out for messages and logs.
package enum PostgresURL {
    /// `target` with the password replaced by `***`: in a URL's user info (`user:secret@`), in a `password=` query
    /// parameter, or in a `password=` key of the `key=value` form. Everything else is kept, to say which server.
    package static func redacted(_ target: String) -> String {
        var text = target
        if let scheme = text.range(of: "://") {
            // User info ends at the last `@` before the path.
            let rest = text[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
        }
        // `password=…` up to the next separator (`&` in a URL, whitespace in key=value; a quoted value up to its quote).
        var out = ""
        var index = text.startIndex
        while let match = text[index...].range(of: "password=", options: .caseInsensitive) {
            out += text[index..<match.upperBound]
            var end = match.upperBound
            if end < text.endIndex, text[end] == "'" {
                end = text.index(after: end)
                while end < text.endIndex, text[end] != "'" {
                    if text[end] == "\\", text.index(after: end) < text.endIndex { end = text.index(after: end) }
                    end = text.index(after: end)
                }
                if end < text.endIndex { end = text.index(after: end) }
            } else {
                while end < text.endIndex, text[end] != "&", !text[end].isWhitespace { end = text.index(after: end) }
            }
            out += "***"
            index = end
        }
        return out + text[index...]
    }
}

// What holds a server's address describes itself with the password replaced by `***` and without libpq's keywords
// (which may hold one): a log that prints a service, a pool or a lock (swift-service-lifecycle prints its services at
// debug level) never shows the password.
extension PostgresPool: CustomStringConvertible {
    package var description: String { "PostgresPool(\(PostgresURL.redacted(url)))" }
}

extension PostgresAdvisoryLock: CustomStringConvertible {
    package var description: String { "PostgresAdvisoryLock(\(PostgresURL.redacted(url)))" }
}
