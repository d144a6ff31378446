import Core
import Foundation
import HTTP

/// Facts from a GitLab group (gitlab.com or self-managed), subgroups included: members with their access levels
/// (accounts; CC6.1–CC6.3) and each project's default-branch protection and required approvals (repositories;
/// CC8.1).
///
/// Manifest: `credentials: {token: VAR}` (default `GITLAB_TOKEN`; a personal, group or project access token with
/// `read_api`); `settings`: `group` (required: numeric id or full path such as `acme/platform`), `base_url`
/// (default `https://gitlab.com`; a self-managed instance's URL without `/api/v4`).
package struct GitLabSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { Set(Self.descriptor.kind.provides) }
    let client: GitLabClient
    /// The group's numeric id or full path, as configured.
    let group: String

    /// Reads the token from `environment` by the variable name in `config`; throws when it or the group is
    /// missing, or `base_url` is not an http(s) URL. `clock` waits out rate limits (tests pass a `TestClock`).
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let tokenVariable = config.credentialVariables["token"] ?? "GITLAB_TOKEN"
        guard let token = environment[tokenVariable], !token.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "set the environment variable \(tokenVariable) to a GitLab access token with "
                                          + "`read_api` (or name another variable in the source's `credentials.token`)")
        }
        let settings = Self.descriptor.settings(config)
        guard let configuredGroup = try settings.string(ifSet: "group")?.trimmingCharacters(in: CharacterSet(charactersIn: " /")),
              !configuredGroup.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "settings.group is missing; set it to the GitLab group's numeric id or full path "
                                          + "(as in https://gitlab.com/<group>)")
        }
        let baseURL = try settings.url("base_url")
        group = configuredGroup
        client = GitLabClient(source: config.id, baseURL: baseURL, token: token, tokenVariable: tokenVariable, transport: transport,
                              now: clock.nowFunction, sleep: clock.sleepFunction)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        for kind in kinds.sorted(by: { $0.rawValue < $1.rawValue }) {
            switch kind {
            case .accounts:
                facts.accounts = try await GitLabMembers(client: client, group: group).accounts()
            case .repositories:
                facts.repositories = try await GitLabProjects(client: client, group: group).repositories()
            default:
                throw SourceError.unavailable(source: id, reason: "GitLab does not provide \(kind.rawValue)")
            }
        }
        return facts
    }
}
