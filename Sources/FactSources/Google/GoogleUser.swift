import Core
import Foundation

/// A user as the Admin SDK Directory API's `users.list` returns it (`projection=basic`): only the fields the
/// access controls read.
struct GoogleUser: Decodable, Sendable {
    var primaryEmail: String
    var suspended: Bool?
    var archived: Bool?
    var isAdmin: Bool?
    var isDelegatedAdmin: Bool?
    var isEnrolledIn2Sv: Bool?
    var lastLoginTime: String?

    /// The account the checks see: active unless suspended or archived, MFA = enrolled in 2-Step Verification
    /// (nil when Google leaves the field out), privileged for super and delegated admins. Google reports
    /// `1970-01-01T00:00:00.000Z` for a user who never signed in: that is no login (nil), not a login in 1970.
    /// Throws when `lastLoginTime` is not a date.
    func account(source: SourceID) throws -> Account {
        var roles: [String] = []
        if isAdmin == true { roles.append("super admin") }
        if isDelegatedAdmin == true { roles.append("delegated admin") }
        var lastLogin: Date?
        if let lastLoginTime {
            guard let date = RFC3339Timestamp.parse(lastLoginTime) else {
                throw SourceError.unavailable(source: source, reason: "users.list: lastLoginTime `\(lastLoginTime)` of \(primaryEmail) is not a date")
            }
            lastLogin = date.timeIntervalSince1970 <= 0 ? nil : date
        }
        return Account(system: "Google", login: primaryEmail, email: primaryEmail, active: suspended != true && archived != true,
                       mfaEnabled: isEnrolledIn2Sv, privileged: !roles.isEmpty, roles: roles, lastLoginAt: lastLogin)
    }
}

/// One page of `users.list`. Google leaves `users` out of an empty page but always sends `kind`.
struct GoogleUsersPage: Decodable {
    var kind: String?
    var users: [GoogleUser]?
    var nextPageToken: String?
}
