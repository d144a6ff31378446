import Core
import Foundation
import HTTP

/// Facts from AWS: IAM users and the root user (accounts), S3 buckets (encryption, public access), EC2
/// security-group rules per region, CloudTrail trails. Every kind the `aws` source kind declares is read.
///
/// Manifest: `credentials: {access_key_id: VAR, secret_access_key: VAR, session_token: VAR?}` name environment
/// variables; `settings.endpoint` (or `AWS_ENDPOINT_URL`) points every service at an emulator.
package struct AWSSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { Set(SourceKind.named("aws")?.provides ?? []) }
    let client: AWSClient
    /// Regions to read regional services in (`settings.regions`, default `us-east-1`).
    let regions: [String]

    /// Reads credentials from `environment` by the variable names in `config`; throws when one is missing.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 now: @escaping @Sendable () -> Date = { Date() }) throws {
        id = config.id
        let keyVariable = config.credentialVariables["access_key_id"] ?? "AWS_ACCESS_KEY_ID"
        let secretVariable = config.credentialVariables["secret_access_key"] ?? "AWS_SECRET_ACCESS_KEY"
        let tokenVariable = config.credentialVariables["session_token"] ?? "AWS_SESSION_TOKEN"
        guard let credentials = AWSCredentials.fromEnvironment(environment, accessKeyVariable: keyVariable,
                                                               secretVariable: secretVariable, tokenVariable: tokenVariable) else {
            throw SourceError.unavailable(source: config.id, reason: "set the environment variables \(keyVariable) and \(secretVariable)")
        }
        let endpointText = config.settings["endpoint"]?.string ?? environment["AWS_ENDPOINT_URL"]
        var endpoint: URL?
        if let endpointText {
            guard let url = URL(string: endpointText), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw SourceError.unavailable(source: config.id, reason: "endpoint `\(endpointText)` is not an http(s) URL")
            }
            endpoint = url
        }
        client = AWSClient(source: config.id, credentials: credentials, endpoint: endpoint, transport: transport, now: now)
        let configured = config.settings["regions"]?.strings ?? []
        regions = configured.isEmpty ? ["us-east-1"] : configured
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        for kind in kinds {
            switch kind {
            case .buckets:
                facts.buckets = try await S3Inventory(client: client).buckets()
            case .networkRules:
                facts.networkRules = try await EC2SecurityGroups(client: client, regions: regions).rules()
            case .accounts:
                facts.accounts = try await IAMUsers(client: client).accounts()
            case .auditTrails:
                facts.auditTrails = try await CloudTrailStatus(client: client, region: regions[0]).trails()
            default:
                throw SourceError.unavailable(source: id, reason: "reading AWS \(kind.rawValue) is not built yet (IAM users, S3 buckets, security groups and CloudTrail are)")
            }
        }
        return facts
    }
}
