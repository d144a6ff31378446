import Foundation

/// One page of a Microsoft Graph collection: `value`, and `@odata.nextLink` while more pages follow.
struct GraphPage<Item: Decodable>: Decodable {
    var value: [Item]
    var nextLink: String?

    enum CodingKeys: String, CodingKey {
        case value
        case nextLink = "@odata.nextLink"
    }
}

/// A user from `GET /v1.0/users` with the properties the bot selects.
struct GraphUser: Decodable, Sendable {
    struct SignInActivity: Decodable, Sendable {
        /// The last interactive sign-in, successful or not; null when the user never signed in (or before April 2020).
        var lastSignInDateTime: String?
    }
    var id: String
    var userPrincipalName: String
    var mail: String?
    var accountEnabled: Bool?
    var signInActivity: SignInActivity?
}

/// A row of the authentication-methods registration report
/// (`GET /v1.0/reports/authenticationMethods/userRegistrationDetails`); `id` is the user's object id.
struct GraphRegistrationDetails: Decodable, Sendable {
    var id: String
    var isMfaRegistered: Bool?
    var isAdmin: Bool?
}

/// An activated directory role (`GET /v1.0/directoryRoles?$expand=members`) and the members Graph included.
struct GraphDirectoryRole: Decodable, Sendable {
    var id: String
    var displayName: String
    var members: [GraphDirectoryObject]?
}

/// A directory object reference: a user, group or service principal, by id.
struct GraphDirectoryObject: Decodable, Sendable {
    var id: String
}
