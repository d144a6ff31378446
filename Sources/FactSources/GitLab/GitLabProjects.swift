import Core
import Foundation
import HTTP

/// Each unarchived project of a group (subgroups included): whether its default branch is protected, and the
/// approvals a merge request into it needs (approval rules, else the project's legacy `approvals_before_merge`).
struct GitLabProjects: Sendable {
    let client: GitLabClient
    let group: String

    /// A project as `GET /groups/:id/projects` gives it; only the fields this reads.
    struct Project: Decodable, Sendable {
        let id: Int
        let path_with_namespace: String
        /// nil for a project without a repository (nothing to protect).
        let default_branch: String?
        let archived: Bool?
    }

    struct ProtectedBranch: Decodable, Sendable { let name: String }

    /// A merge-request approval rule (Premium and Ultimate).
    struct ApprovalRule: Decodable, Sendable {
        struct Branch: Decodable, Sendable { let name: String }
        let rule_type: String?
        let approvals_required: Int
        let applies_to_all_protected_branches: Bool?
        let protected_branches: [Branch]?
    }

    /// The project's approval settings (`GET /projects/:id/approvals`).
    struct Approvals: Decodable, Sendable { let approvals_before_merge: Int? }

    func repositories() async throws -> [Repository] {
        let projects = try await client.list("GitLab list group projects", "/groups/\(GitLabClient.segment(group))/projects", query: [
            URLQueryItem(name: "include_subgroups", value: "true"),
            URLQueryItem(name: "archived", value: "false"),
            URLQueryItem(name: "with_shared", value: "false"),
        ], as: Project.self)
        var result: [Repository] = []
        for project in projects where project.archived != true {
            guard let branch = project.default_branch, !branch.isEmpty else { continue }
            let protected = try await client.list("GitLab list protected branches of \(project.path_with_namespace)",
                                                  "/projects/\(project.id)/protected_branches", as: ProtectedBranch.self)
                .contains { Self.matches(pattern: $0.name, branch) }
            let reviews = try await requiredApprovals(project, branch: branch)
            result.append(Repository(host: "GitLab", name: project.path_with_namespace, defaultBranch: branch,
                                     protected: protected, requiredReviews: reviews))
        }
        return result
    }

    /// Whether a protected-branch name (`main`, `release/*`, `*-stable`) covers `branch`; `*` matches any run of
    /// characters, `/` included, as GitLab's wildcards do.
    static func matches(pattern: String, _ branch: String) -> Bool {
        guard pattern.contains("*") else { return pattern == branch }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(branch)
        for (index, part) in parts.enumerated() {
            if index == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if index == parts.count - 1 {
                return part.isEmpty || (rest.count >= part.count && rest.hasSuffix(part))
            } else if !part.isEmpty {
                guard let range = rest.range(of: part) else { return false }
                rest = rest[range.upperBound...]
            }
        }
        return rest.isEmpty
    }

    /// The most approvals any rule covering the default branch requires. Without approval rules (GitLab Free
    /// answers 403 or 404), the legacy `approvals_before_merge`; without that either, none.
    private func requiredApprovals(_ project: Project, branch: String) async throws -> Int {
        let operation = "GitLab list approval rules of \(project.path_with_namespace)"
        switch try await client.listOrRefusal(operation, "/projects/\(project.id)/approval_rules", as: ApprovalRule.self) {
        case .items(let rules):
            return rules.filter { rule in
                rule.rule_type != "report_approver"
                    && (rule.applies_to_all_protected_branches == true || (rule.protected_branches ?? []).isEmpty
                        || (rule.protected_branches ?? []).contains { Self.matches(pattern: $0.name, branch) })
            }.map(\.approvals_required).max() ?? 0
        case .refused(let response) where [403, 404].contains(response.status):
            let legacy = "GitLab read approvals of \(project.path_with_namespace)"
            switch try await client.object(legacy, "/projects/\(project.id)/approvals", as: Approvals.self) {
            case .success(let approvals): return approvals.approvals_before_merge ?? 0
            case .failure(let failure) where [403, 404].contains(failure.response.status): return 0
            case .failure(let failure): throw client.failure(legacy, failure.response)
            }
        case .refused(let response): throw client.failure(operation, response)
        }
    }
}
