import Core
import Foundation

extension BambooHRSource {
    /// Kind `bamboohr`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "bamboohr",
        summary: "employees including terminated ones, with department, manager and termination date",
        provides: [.people],
        credentials: [
            CredentialRole("api_key", default: "BAMBOOHR_API_KEY", help: "the API key of a user who may read employment status and termination dates"),
        ],
        settings: [
            SettingSpec("subdomain", .string, required: true, help: "your company's BambooHR subdomain"),
            SettingSpec("base_url", .url, default: .string("https://api.bamboohr.com/api/gateway.php"), help: "the API gateway"),
            SettingSpec("timezone", .string, default: .string("UTC"), help: "the IANA time zone of termination dates"),
            SettingSpec("skip_bad_rows", .bool, default: .bool(false), help: "count the good rows when some are malformed (each bad one is still reported)"),
        ]), factory: { try BambooHRSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
