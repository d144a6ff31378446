import Core
import Foundation

extension FleetSource {
    /// Kind `fleet`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "fleet",
        summary: "hosts as devices: serial, name, owner, disk encryption, OS, last seen, Fleet policy results by name; pages of 100; 429/503 `Retry-After` honoured",
        provides: [.devices],
        credentials: [
            CredentialRole("token", default: "FLEET_API_TOKEN", help: "an API token (Observer role)"),
        ],
        settings: [
            SettingSpec("base_url", .url, required: true, help: "the Fleet server"),
        ]), factory: { try FleetSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
