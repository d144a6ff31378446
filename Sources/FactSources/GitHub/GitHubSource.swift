import Core
import Foundation
import HTTP

/// Facts from a GitHub organization (github.com or GitHub Enterprise Server): members, admins, 2FA and outside
/// collaborators (accounts; CC6.1–CC6.3), default-branch protection from classic rules and rulesets
/// (repositories; CC8.1), open secret-scanning and Dependabot alerts (vulnerabilities; CC7.1).
///
/// Manifest: `credentials: {token: VAR}` (default `GITHUB_TOKEN`; a classic token with `read:org`, `repo` and
/// `security_events`, or a fine-grained one with Members, Administration, Secret scanning alerts and Dependabot
/// alerts read); `settings`: `organization` (required), `base_url` (default `https://api.github.com`; GitHub
/// Enterprise Server: `https://HOST/api/v3`), `repositories` (names; default every unarchived repository),
/// `secret_scanning: false` / `dependabot: false` to skip an alert feature the organization does not use.
package struct GitHubSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { Set(Self.descriptor.kind.provides) }
    let client: GitHubClient
    let organization: String
    /// Repositories to read (`settings.repositories`); nil means every unarchived repository of the organization.
    let repositories: [String]?
    let readsSecretScanning: Bool
    let readsDependabot: Bool

    /// Reads the token from `environment` by the variable name in `config`; throws when it or the organization
    /// is missing, or `base_url` is not an http(s) URL. `clock` waits out rate limits (tests pass a `TestClock`).
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let tokenVariable = config.credentialVariables["token"] ?? "GITHUB_TOKEN"
        guard let token = environment[tokenVariable], !token.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "set the environment variable \(tokenVariable) to a GitHub token "
                                          + "(or name another variable in the source's `credentials.token`)")
        }
        let settings = Self.descriptor.settings(config)
        guard let organization = try settings.string(ifSet: "organization")?.trimmingCharacters(in: .whitespaces), !organization.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "settings.organization is missing; set it to the GitHub organization's login "
                                          + "(as in https://github.com/<organization>)")
        }
        let baseURL = try settings.url("base_url")
        self.organization = organization
        let names = try settings.strings(ifSet: "repositories") ?? []
        repositories = names.isEmpty ? nil : names
        readsSecretScanning = try settings.bool("secret_scanning")
        readsDependabot = try settings.bool("dependabot")
        client = GitHubClient(source: config.id, baseURL: baseURL, token: token, tokenVariable: tokenVariable, transport: transport,
                              now: clock.nowFunction, sleep: clock.sleepFunction)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        for kind in kinds.sorted(by: { $0.rawValue < $1.rawValue }) {
            switch kind {
            case .accounts:
                facts.accounts = try await GitHubMembers(client: client, organization: organization).accounts()
            case .repositories:
                facts.repositories = try await GitHubRepositories(client: client, organization: organization, names: repositories).repositories()
            case .vulnerabilities:
                let alerts = GitHubAlerts(client: client, organization: organization)
                var found: [Vulnerability] = []
                if readsSecretScanning { found += try await alerts.secretScanning() }
                if readsDependabot { found += try await alerts.dependabot() }
                facts.vulnerabilities = found
            default:
                throw SourceError.unavailable(source: id, reason: "GitHub does not provide \(kind.rawValue)")
            }
        }
        return facts
    }
}
