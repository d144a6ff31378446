import Core
import Foundation
import HTTP

/// Open security alerts across an organization: secret-scanning alerts (every one is critical: a live credential
/// may be exposed) and Dependabot alerts of every severity (the check's `min_severity` chooses). A feature that is
/// off, or a token that may not read it, is an error naming the fix — an empty list would look like a pass.
struct GitHubAlerts: Sendable {
    let client: GitHubClient
    let organization: String

    struct RepositoryRef: Decodable, Sendable { let full_name: String }

    /// An organization secret-scanning alert; only the fields this reads.
    struct SecretAlert: Decodable, Sendable {
        let number: Int
        let created_at: String
        let secret_type: String?
        let secret_type_display_name: String?
        let repository: RepositoryRef
    }

    /// An organization Dependabot alert; only the fields this reads.
    struct DependabotAlert: Decodable, Sendable {
        struct Dependency: Decodable, Sendable {
            struct Package: Decodable, Sendable { let ecosystem: String; let name: String }
            let package: Package?
        }
        struct Advisory: Decodable, Sendable { let ghsa_id: String; let summary: String; let severity: String }
        let number: Int
        let created_at: String
        let dependency: Dependency?
        let security_advisory: Advisory
        let repository: RepositoryRef
    }

    func secretScanning() async throws -> [Vulnerability] {
        let operation = "GitHub list secret-scanning alerts"
        let alerts = try await read(operation, "/orgs/\(GitHubClient.segment(organization))/secret-scanning/alerts",
                                    query: [URLQueryItem(name: "state", value: "open")], as: SecretAlert.self,
                                    hint: "secret scanning must be enabled and the token needs the `security_events` scope (fine-grained: "
                                        + "Secret scanning alerts read) as an organization owner or security manager; or set `secret_scanning: false`")
        return try alerts.map { alert in
            Vulnerability(id: "github-secret-scanning:\(alert.repository.full_name)#\(alert.number)",
                          title: "secret exposed: \(alert.secret_type_display_name ?? alert.secret_type ?? "unknown type")",
                          severity: .critical, resource: alert.repository.full_name,
                          openedAt: try date(alert.created_at, operation))
        }
    }

    func dependabot() async throws -> [Vulnerability] {
        let operation = "GitHub list Dependabot alerts"
        let alerts = try await read(operation, "/orgs/\(GitHubClient.segment(organization))/dependabot/alerts",
                                    query: [URLQueryItem(name: "state", value: "open"),
                                            URLQueryItem(name: "severity", value: "critical,high,medium,low")],
                                    as: DependabotAlert.self,
                                    hint: "Dependabot alerts must be enabled and the token needs the `security_events` scope (fine-grained: "
                                        + "Dependabot alerts read) as an organization owner or security manager; or set `dependabot: false`")
        return try alerts.map { alert in
            let package = alert.dependency?.package.map { "\($0.ecosystem) \($0.name): " } ?? ""
            return Vulnerability(id: "github-dependabot:\(alert.repository.full_name)#\(alert.number)",
                                 title: "\(package)\(alert.security_advisory.summary) (\(alert.security_advisory.ghsa_id))",
                                 severity: Severity(rawValue: alert.security_advisory.severity) ?? .critical,
                                 resource: alert.repository.full_name, openedAt: try date(alert.created_at, operation))
        }
    }

    /// Every alert; a 403 or 404 on the first page means the feature is off or the token may not read it.
    private func read<Alert: Decodable & Sendable>(_ operation: String, _ path: String, query: [URLQueryItem], as: Alert.Type,
                                                   hint: String) async throws -> [Alert] {
        switch try await client.listOrRefusal(operation, path, query: query, as: Alert.self) {
        case .items(let alerts): return alerts
        case .refused(let response): throw client.failure(operation, response, hint: [403, 404].contains(response.status) ? hint : nil)
        }
    }

    private func date(_ text: String, _ operation: String) throws -> Date {
        guard let date = JSONBody.date(text) else {
            throw SourceError.unavailable(source: client.source, reason: "\(operation): `created_at` is not an ISO 8601 time")
        }
        return date
    }
}
