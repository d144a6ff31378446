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
    static let defaultTokenURL = "https://oauth2.googleapis.com/token"
    static let defaultBaseURL = "https://admin.googleapis.com"

    /// Reads the key from the variable `config` names for `service_account_key` (else `settings.key_file`) and
    /// checks the settings; throws `SourceError.unavailable` saying what to set. `sleep` waits out throttling.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 now: @escaping @Sendable () -> Date = { Date() },
                 sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { try await Task.sleep(for: .milliseconds(Int64($0 * 1000))) }) throws {
        id = config.id
        func refuse(_ reason: String) -> SourceError { .unavailable(source: config.id, reason: reason) }
        let keyVariable = config.credentialVariables["service_account_key"] ?? Self.defaultKeyVariable
        let keyFile = config.settings["key_file"]?.string
        let key: GoogleServiceAccountKey
        if let json = environment[keyVariable], !json.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            key = try GoogleServiceAccountKey(json: Data(json.utf8), origin: "the variable \(keyVariable)", source: config.id)
        } else if let keyFile {
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw refuse("cannot read the service account key file `\(keyFile)` (settings.key_file); check the path and its permissions")
            }
            key = try GoogleServiceAccountKey(json: data, origin: "the file \(keyFile)", source: config.id)
        } else {
            throw refuse("set the environment variable \(keyVariable) to the service account's JSON key (or settings.key_file to its path)")
        }
        guard let adminEmail = config.settings["admin_email"]?.string, adminEmail.contains("@") else {
            throw refuse("settings.admin_email is required: the e-mail of the Workspace admin the service account acts as (domain-wide delegation)")
        }
        let customer = config.settings["customer"]?.string ?? "my_customer"
        let tokenURL = try Self.url(config.settings["token_url"]?.string ?? key.tokenURI ?? Self.defaultTokenURL, setting: "token_url", source: config.id)
        let baseURL = try Self.url(config.settings["base_url"]?.string ?? Self.defaultBaseURL, setting: "base_url", source: config.id)
        client = GoogleDirectoryClient(source: config.id, key: key, adminEmail: adminEmail, customer: customer, tokenURL: tokenURL, baseURL: baseURL,
                                       sender: ThrottledSender(transport: transport, sleep: sleep, now: now), now: now)
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

    /// An http(s) URL with a host, or an error naming the setting.
    static func url(_ text: String, setting: String, source: SourceID) throws -> URL {
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw SourceError.unavailable(source: source, reason: "\(setting) `\(text)` is not an http(s) URL")
        }
        return url
    }
}
