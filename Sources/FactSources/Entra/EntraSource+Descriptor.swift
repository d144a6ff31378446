import Core
import Foundation

extension EntraSource {
    /// Kind `entra`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "entra",
        summary: "users, sign-in activity, MFA registration, directory roles; client credentials (app permissions User.Read.All, AuditLog.Read.All, RoleManagement.Read.Directory)",
        provides: [.accounts],
        credentials: [
            CredentialRole("client_id", default: "ENTRA_CLIENT_ID", help: "the app registration's client id"),
            CredentialRole("client_secret", default: "ENTRA_CLIENT_SECRET", help: "its client secret"),
        ],
        settings: [
            SettingSpec("tenant_id", .string, required: true, help: "the directory (tenant) id"),
            SettingSpec("authority", .url, default: .string("https://login.microsoftonline.com"), help: "the identity platform"),
            SettingSpec("graph_url", .url, default: .string("https://graph.microsoft.com"), help: "Microsoft Graph"),
        ]), factory: { try EntraSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
