import Core
import Foundation

extension KnowBe4Source {
    /// Kind `knowbe4`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "knowbe4",
        summary: "training enrollments reduced to one record per person (latest completion, the open course); pages of 500; 429 `Retry-After` honoured; no due date (the API has none)",
        provides: [.training],
        credentials: [
            CredentialRole("token", default: "KNOWBE4_API_TOKEN", help: "a Reporting API token"),
        ],
        settings: [
            SettingSpec("region", .oneOf(regions), default: .string("us"), help: "the region of your KnowBe4 account"),
            SettingSpec("base_url", .url, help: "the Reporting API, instead of `region`"),
            SettingSpec("campaigns", .strings, help: "campaign names to read (default all)"),
        ]), factory: { try KnowBe4Source(config: $0, environment: $1, transport: $2, clock: $3) })
}
