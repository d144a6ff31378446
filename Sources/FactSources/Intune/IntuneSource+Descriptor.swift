import Core
import Foundation

extension IntuneSource {
    /// Kind `intune`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "intune",
        summary: "Graph `managedDevices`: serial, name, owner, encryption, OS and version, last sync, compliance state as policy `compliance`; app permission DeviceManagementManagedDevices.Read.All; apps not read",
        provides: [.devices],
        credentials: [
            CredentialRole("client_id", default: "INTUNE_CLIENT_ID", help: "the app registration's client id"),
            CredentialRole("client_secret", default: "INTUNE_CLIENT_SECRET", help: "its client secret"),
        ],
        settings: [
            SettingSpec("tenant_id", .string, required: true, help: "the directory (tenant) id"),
            SettingSpec("authority", .url, default: .string("https://login.microsoftonline.com"), help: "the identity platform"),
            SettingSpec("graph_url", .url, default: .string("https://graph.microsoft.com"), help: "Microsoft Graph"),
        ]), factory: { try IntuneSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
