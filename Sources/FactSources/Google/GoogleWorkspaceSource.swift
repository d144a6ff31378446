import Core
import Foundation
import HTTP

/// Accounts from Google Workspace (Admin SDK Directory API `users.list`): who is active, enrolled in 2-Step
/// Verification, a super or delegated admin, and when they last signed in. Serves CC6.1–CC6.3.
///
/// Manifest:
/// ```yaml
/// kind: google_workspace
/// credentials: {service_account_key: GOOGLE_SERVICE_ACCOUNT_KEY}   # the variable holds the JSON key file itself
/// settings:
///   admin_email: it-admin@example.com   # required: the admin the service account acts as (domain-wide delegation)
///   customer: my_customer               # default
///   key_file: /run/secrets/google.json  # optional: read the key from a file when the variable is not set
///   token_url: …                        # default: the key's token_uri, else https://oauth2.googleapis.com/token
///   base_url: https://admin.googleapis.com   # default
/// ```
/// The service account's client id needs domain-wide delegation for
/// `https://www.googleapis.com/auth/admin.directory.user.readonly` and nothing more.
package struct GoogleWorkspaceSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.accounts] }
    let client: GoogleDirectoryClient

    static let defaultKeyVariable = "GOOGLE_SERVICE_ACCOUNT_KEY"

    /// Reads the key from the variable `config` names for `service_account_key` (else `settings.key_file`) and
    /// checks the settings; throws `SourceError.unavailable` saying what to set. `clock` waits out throttling.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let settings = Self.descriptor.settings(config)
        let key = try GoogleServiceAccountKey.load(config: config, settings: settings, environment: environment, defaultVariable: Self.defaultKeyVariable)
        guard let adminEmail = try settings.string(ifSet: "admin_email"), adminEmail.contains("@") else {
            throw SourceError.unavailable(source: config.id, reason: "settings.admin_email is required: "
                                          + "the e-mail of the Workspace admin the service account acts as (domain-wide delegation)")
        }
        let customer = try settings.string("customer")
        let baseURL = try settings.url("base_url")
        let auth = GoogleServiceAccountAuth(source: config.id, key: key, subject: adminEmail, scopes: [GoogleDirectoryClient.scope],
                                            tokenURL: try key.tokenURL(settings, source: config.id), sender: ThrottledSender(transport: transport, sleep: clock.sleepFunction, now: clock.nowFunction),
                                            now: clock.nowFunction, refusalHints: GoogleDirectoryClient.refusalHints(scope: GoogleDirectoryClient.scope))
        client = GoogleDirectoryClient(source: config.id, auth: auth, customer: customer, baseURL: baseURL)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        for kind in kinds {
            guard kind == .accounts else {
                throw SourceError.unavailable(source: id, reason: "Google Workspace provides accounts, not \(kind.rawValue)")
            }
            facts.accounts = try await client.users().map { try $0.account(source: id) }
        }
        return facts
    }
}
