import Core
import Foundation

extension AzureSource {
    /// Kind `azure`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "azure",
        summary: "storage accounts (key source, public blob access), network security group inbound allow rules, Activity Log diagnostic settings; Reader role on each subscription; accounts and MFA come from `entra`",
        provides: [.buckets, .networkRules, .auditTrails],
        credentials: [
            CredentialRole("client_id", default: "AZURE_CLIENT_ID", help: "the app registration's client id"),
            CredentialRole("client_secret", default: "AZURE_CLIENT_SECRET", help: "its client secret"),
        ],
        settings: [
            SettingSpec("tenant_id", .string, required: true, help: "the directory (tenant) id"),
            SettingSpec("subscriptions", .strings, required: true, help: "subscription ids to read"),
            SettingSpec("authority", .url, default: .string("https://login.microsoftonline.com"), help: "the identity platform"),
            SettingSpec("management_url", .url, default: .string("https://management.azure.com"), help: "Azure Resource Manager"),
        ]), factory: { try AzureSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
