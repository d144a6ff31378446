import Core
import Foundation
import HTTP

/// Each repository's default branch and how it is protected: classic branch protection and repository rulesets
/// (organization rulesets included, as GitHub reports every active rule that applies to the branch). Protected
/// when either protects it; the required approving reviews are the larger of the two.
struct GitHubRepositories: Sendable {
    let client: GitHubClient
    let organization: String
    /// Repository names (`api` or `acme/api`) to read; nil reads every unarchived repository of the organization.
    let names: [String]?

    /// A repository as `GET /orgs/{org}/repos` and `GET /repos/{owner}/{repo}` give it.
    struct RepositoryBody: Decodable, Sendable {
        let full_name: String
        let default_branch: String?
        let archived: Bool?
    }

    /// Classic branch protection (`GET …/branches/{branch}/protection`); only the part this reads.
    struct ProtectionBody: Decodable, Sendable {
        struct Reviews: Decodable, Sendable { let required_approving_review_count: Int? }
        let required_pull_request_reviews: Reviews?
    }

    /// An active rule that applies to a branch (`GET …/rules/branches/{branch}`).
    struct RuleBody: Decodable, Sendable {
        struct Parameters: Decodable, Sendable { let required_approving_review_count: Int? }
        let type: String
        let parameters: Parameters?
    }

    func repositories() async throws -> [Repository] {
        var result: [Repository] = []
        for repository in try await listed() {
            guard let branch = repository.default_branch, !branch.isEmpty else {
                throw SourceError.unavailable(source: client.source, reason: "GitHub list repositories: \(repository.full_name) has no default branch in the answer")
            }
            let classic = try await classicProtection(repository.full_name, branch)
            let rules = try await rulesetProtection(repository.full_name, branch)
            result.append(Repository(host: "GitHub", name: repository.full_name, defaultBranch: branch,
                                     protected: classic.protected || rules.protected,
                                     requiredReviews: max(classic.reviews, rules.reviews)))
        }
        return result
    }

    /// The configured repositories, or every unarchived one in the organization.
    private func listed() async throws -> [RepositoryBody] {
        guard let names else {
            let all = try await client.list("GitHub list organization repositories", "/orgs/\(GitHubClient.segment(organization))/repos",
                                            query: [URLQueryItem(name: "type", value: "all")], as: RepositoryBody.self)
            return all.filter { $0.archived != true }
        }
        var found: [RepositoryBody] = []
        for name in names {
            let fullName = name.contains("/") ? name : "\(organization)/\(name)"
            let path = "/repos/" + fullName.split(separator: "/", maxSplits: 1).map { GitHubClient.segment(String($0)) }.joined(separator: "/")
            switch try await client.object("GitHub read repository \(fullName)", path, as: RepositoryBody.self) {
            case .success(let repository): found.append(repository)
            case .failure(let failure):
                throw client.failure("GitHub read repository \(fullName)", failure.response,
                                     hint: failure.response.status == 404 ? "check settings.repositories, and that the token can see it" : nil)
            }
        }
        return found
    }

    private func path(_ fullName: String, _ tail: String, branch: String) -> String {
        "/repos/" + fullName.split(separator: "/", maxSplits: 1).map { GitHubClient.segment(String($0)) }.joined(separator: "/")
            + "/\(tail)/" + GitHubClient.segment(branch)
    }

    /// Classic protection. 404 "Branch not protected" (or "Branch not found", an empty repository) and the
    /// free-plan 403 ("Upgrade to GitHub Pro…") mean unprotected; any other refusal — typically a token without
    /// admin access to the repository, which GitHub answers with a bare 404 — is an error, never "unprotected".
    private func classicProtection(_ fullName: String, _ branch: String) async throws -> (protected: Bool, reviews: Int) {
        let operation = "GitHub read branch protection of \(fullName):\(branch)"
        switch try await client.object(operation, path(fullName, "branches", branch: branch) + "/protection", as: ProtectionBody.self) {
        case .success(let protection):
            return (true, protection.required_pull_request_reviews?.required_approving_review_count ?? 0)
        case .failure(let failure):
            let message = failure.message ?? ""
            if failure.response.status == 404, message == "Branch not protected" || message == "Branch not found" { return (false, 0) }
            if failure.response.status == 403, message.hasPrefix("Upgrade to GitHub Pro") { return (false, 0) }
            throw client.failure(operation, failure.response,
                                 hint: "reading branch protection needs admin access to the repository (classic token: `repo` scope; "
                                     + "fine-grained: Administration read)")
        }
    }

    /// Ruleset rules for the branch. Any active rule except `creation` guards the branch; a `pull_request` rule
    /// carries the required approvals. A 404 (a GitHub Enterprise Server without rulesets) or the free-plan 403
    /// means no rules.
    private func rulesetProtection(_ fullName: String, _ branch: String) async throws -> (protected: Bool, reviews: Int) {
        let operation = "GitHub read rulesets of \(fullName):\(branch)"
        let rules: [RuleBody]
        switch try await client.listOrRefusal(operation, path(fullName, "rules/branches", branch: branch), as: RuleBody.self) {
        case .items(let items): rules = items
        case .refused(let response) where response.status == 404: return (false, 0)
        case .refused(let response) where response.status == 403 && (GitHubClient.message(response) ?? "").hasPrefix("Upgrade to GitHub Pro"):
            return (false, 0)
        case .refused(let response): throw client.failure(operation, response)
        }
        let guarding = rules.filter { $0.type != "creation" }
        let reviews = rules.filter { $0.type == "pull_request" }.compactMap { $0.parameters?.required_approving_review_count }.max() ?? 0
        return (!guarding.isEmpty, reviews)
    }
}
