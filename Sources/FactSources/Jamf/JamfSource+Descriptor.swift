import Core
import Foundation

extension JamfSource {
    /// Kind `jamf`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "jamf",
        summary: "computers from the Jamf Pro API inventory: serial, name, owner, FileVault, macOS version, last check-in, applications; OAuth client credentials (role: Read Computers); no screen-lock field",
        provides: [.devices],
        credentials: [
            CredentialRole("client_id", default: "JAMF_CLIENT_ID", help: "the API client's id"),
            CredentialRole("client_secret", default: "JAMF_CLIENT_SECRET", help: "its secret"),
        ],
        settings: [
            SettingSpec("base_url", .url, required: true, help: "your server, `https://ORG.jamfcloud.com`"),
        ]), factory: { try JamfSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
