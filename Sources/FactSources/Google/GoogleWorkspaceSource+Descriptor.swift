import Core
import Foundation

extension GoogleWorkspaceSource {
    /// Kind `google_workspace`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "google_workspace",
        summary: "users with 2-Step Verification, admin, suspension, last login; service-account JWT (RS256) with domain-wide delegation",
        provides: [.accounts],
        credentials: [
            CredentialRole("service_account_key", default: "GOOGLE_SERVICE_ACCOUNT_KEY", help: "the service account's JSON key (or set `key_file`)"),
        ],
        settings: [
            SettingSpec("admin_email", .string, required: true, help: "the admin impersonated"),
            SettingSpec("key_file", .path, help: "the JSON key's file, when the variable is unset"),
            SettingSpec("customer", .string, default: .string("my_customer"), help: "the customer id"),
            SettingSpec("token_url", .url, help: "the OAuth token endpoint (default: the key's `token_uri`)"),
            SettingSpec("base_url", .url, default: .string("https://admin.googleapis.com"), help: "the Directory API"),
        ]), factory: { try GoogleWorkspaceSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
