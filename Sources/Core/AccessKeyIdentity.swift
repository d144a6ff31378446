import Foundation

/// How an API access key (an IAM access key) is known in check results, tracks and alerts: its account and its
/// creation time to the second, `aws:key:alice/2026-01-02T03:04:05Z`. Both are what IAM's credential report gives
/// for every key (it names no key ids), and neither changes while the key lives: the report's slot numbers do
/// (key 2 becomes key 1 when key 1 is deleted), and a user's ARN changes with its path.
///
/// Until `v7-aws-key-identity` keys were known by their id (`aws:key:AKIA…`); `formerKey` gives such a key's id
/// from what its track or alert kept, so the store re-keys them instead of resolving them and opening new ones.
package enum AccessKeyIdentity {
    /// `2026-01-02T03:04:05Z`: a creation time to the second, as the credential report gives it (a fraction of a
    /// second that `ListAccessKeys` may give is cut, not rounded, so both reads name the key alike).
    package static func stamp(_ date: Date) -> String {
        String(TimeText.iso(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))).dropLast(5)) + "Z"
    }

    /// `aws:key:alice/2026-01-02T03:04:05Z`; `identity` is the key's `stamp`, with `#2` after it for a second key
    /// of the account made in the same second.
    package static func resourceID(system: String, login: String, identity: String) -> String {
        "\(system.lowercased()):key:\(login)/\(identity)"
    }

    /// The expected text of the `access_key_age` check, which states its maximum age.
    package static let expectedPrefix = "active access keys rotated within "

    /// The id a key judged under its former id (`aws:key:AKIA…`, named `AKIA… of alice (AWS)`) has now, from what
    /// its track or alert finding kept: the login from its name, and its creation time as the moment it became due
    /// (`failingSince`) less the maximum age its check stated (`expected`), checked against the creation time its
    /// `observed` text shows (`created 2026-01-02 03:04 UTC, …`). nil when it is not such a key or the texts do not
    /// agree.
    package static func formerKey(_ resource: ResourceRef, observed: String, failingSince: Date, expected: String) -> String? {
        guard resource.kind == "access_key", let cut = resource.id.range(of: ":key:") else { return nil }
        let system = resource.id[..<cut.lowerBound], keyID = resource.id[cut.upperBound...]
        guard !system.isEmpty, !keyID.isEmpty, keyID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        let prefix = "\(keyID) of "
        guard resource.name.hasPrefix(prefix), let open = resource.name.range(of: " (", options: .backwards),
              open.lowerBound >= resource.name.index(resource.name.startIndex, offsetBy: prefix.count), resource.name.hasSuffix(")") else { return nil }
        let login = resource.name[resource.name.index(resource.name.startIndex, offsetBy: prefix.count)..<open.lowerBound]
        guard !login.isEmpty, expected.hasPrefix(expectedPrefix),
              let maxAge = DurationText.parse(String(expected.dropFirst(expectedPrefix.count))) else { return nil }
        // A millisecond's margin: the difference of two doubles may fall just short of a whole second.
        let created = Date(timeIntervalSince1970: (failingSince.timeIntervalSince1970 - maxAge + 0.001).rounded(.down))
        guard observed.hasPrefix("created \(TimeText.human(created))") else { return nil }
        return resourceID(system: String(system), login: String(login), identity: stamp(created))
    }
}
