import Core
import Foundation
import HTTP

/// The live client for each source kind that has one in this build. Each client reads its credentials from
/// `environment` by the variable names in the manifests and throws `SourceError.unavailable` (with what to set)
/// when it cannot be set up; `Bot.sources` turns that into an `UnavailableSource` whose checks report `error`.
package enum LiveSources {
    /// The client for `config`, or nil when this build has no client for its kind.
    package static func client(for config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                               now: @escaping @Sendable () -> Date = { Date() }) throws -> (any FactSource)? {
        switch config.kind {
        case "aws": return try AWSSource(config: config, environment: environment, transport: transport, now: now)
        case "github": return try GitHubSource(config: config, environment: environment, transport: transport, now: now)
        case "gitlab": return try GitLabSource(config: config, environment: environment, transport: transport, now: now)
        case "google_workspace": return try GoogleWorkspaceSource(config: config, environment: environment, transport: transport, now: now)
        case "entra": return try EntraSource(config: config, environment: environment, transport: transport, now: now)
        case "azure": return try AzureSource(config: config, environment: environment, transport: transport, now: now)
        case "okta": return try OktaSource(config: config, environment: environment, transport: transport, now: now)
        case "bamboohr": return try BambooHRSource(config: config, environment: environment, transport: transport, now: now)
        case "csv_hr": return try CSVHRSource(config: config, environment: environment, transport: transport, now: now)
        case "csv_training": return try CSVTrainingSource(config: config, environment: environment, transport: transport, now: now)
        case "ocsf": return try OCSFSource(config: config, environment: environment, transport: transport, now: now)
        case "gcp": return try GCPSource(config: config, environment: environment, transport: transport, now: now)
        case "jamf": return try JamfSource(config: config, environment: environment, transport: transport, now: now)
        case "intune": return try IntuneSource(config: config, environment: environment, transport: transport, now: now)
        case "fleet": return try FleetSource(config: config, environment: environment, transport: transport, now: now)
        case "knowbe4": return try KnowBe4Source(config: config, environment: environment, transport: transport, now: now)
        // One line per source kind, each `try <Kind>Source(config:environment:transport:now:)`.
        default: return nil
        }
    }

    /// The kinds with a live client in this build.
    package static let kinds: Set<String> = ["aws", "github", "gitlab", "google_workspace", "entra", "okta", "bamboohr", "csv_hr", "ocsf",
                                             "gcp", "azure", "jamf", "intune", "fleet", "knowbe4", "csv_training"]
}
