import Foundation
import HTTP
import Synchronization

/// An in-process GitLab REST API v4 (`{baseURL}/api/v4`) that speaks the documented wire format for the endpoints
/// soc2bot reads:
/// - every request needs `PRIVATE-TOKEN: <token>`; anything else gets 401 `{"message":"401 Unauthorized"}`.
/// - lists are paginated with `page`/`per_page`, pages of at most `pageSize` items (default 2), and the headers
///   GitLab sends: `x-page`, `x-per-page`, `x-next-page` (empty on the last page), `x-total`, `x-total-pages`, and
///   `Link` (`rel="next"`, `"prev"`, `"first"`, `"last"`) unless `sendsLinkHeader` is false.
/// - `GET /groups/:id/members/all` (`:id` numeric or the URL-encoded full path); `GET /users/:id`, with
///   `two_factor_enabled` only when `tokenIsAdmin`; `GET /groups/:id/projects` (`include_subgroups`, `archived`).
/// - `GET /projects/:id/protected_branches`; `GET /projects/:id/approval_rules` (403 on the Free tier, see
///   `premium`); `GET /projects/:id/approvals` (`approvals_before_merge`).
/// Failure modes on cue (optionally only for paths containing a string): 429 with `Retry-After` and
/// `RateLimit-Reset`, 5xx, a malformed body. The group is mutable between reads.
package final class FakeGitLab: HTTPTransport {
    package enum Failure: Sendable {
        case tooManyRequests(retryAfter: Int)
        case serverError(Int)
        case malformed
    }

    package struct Member: Sendable {
        package var id: Int
        package var username: String
        /// 10 guest, 20 reporter, 30 developer, 40 maintainer, 50 owner.
        package var accessLevel: Int
        /// `active`, `blocked`, `deactivated`.
        package var state: String
        package var twoFactor: Bool
        package init(id: Int, username: String, accessLevel: Int, state: String = "active", twoFactor: Bool = true) {
            self.id = id; self.username = username; self.accessLevel = accessLevel; self.state = state; self.twoFactor = twoFactor
        }
    }

    package struct ApprovalRule: Sendable {
        package var name: String
        package var ruleType: String
        package var approvalsRequired: Int
        /// Branch names the rule is scoped to; empty means every branch.
        package var protectedBranches: [String]
        package init(name: String, ruleType: String = "regular", approvalsRequired: Int, protectedBranches: [String] = []) {
            self.name = name; self.ruleType = ruleType; self.approvalsRequired = approvalsRequired; self.protectedBranches = protectedBranches
        }
    }

    package struct Project: Sendable {
        package var id: Int
        /// Full path, e.g. `acme/platform/api`.
        package var path: String
        /// nil for a project without a repository.
        package var defaultBranch: String?
        package var archived: Bool
        /// Protected branch names (wildcards allowed: `release/*`).
        package var protectedBranches: [String]
        package var approvalRules: [ApprovalRule]
        package var approvalsBeforeMerge: Int
        package init(id: Int, path: String, defaultBranch: String? = "main", archived: Bool = false, protectedBranches: [String] = [],
                     approvalRules: [ApprovalRule] = [], approvalsBeforeMerge: Int = 0) {
            self.id = id; self.path = path; self.defaultBranch = defaultBranch; self.archived = archived
            self.protectedBranches = protectedBranches; self.approvalRules = approvalRules; self.approvalsBeforeMerge = approvalsBeforeMerge
        }
    }

    /// Everything the fake serves; tests change it between reads with `update`.
    package struct Group: Sendable {
        package var id: Int
        package var fullPath: String
        package var members: [Member]
        /// The group's and its subgroups' projects.
        package var projects: [Project]
        /// Whether the instance has approval rules (Premium/Ultimate); on Free `approval_rules` answers 403.
        package var premium = true
        /// Whether the token belongs to an instance administrator (who sees `two_factor_enabled`).
        package var tokenIsAdmin = false
        package init(id: Int, fullPath: String, members: [Member] = [], projects: [Project] = []) {
            self.id = id; self.fullPath = fullPath; self.members = members; self.projects = projects
        }
    }

    struct State {
        var group: Group
        var failures: [(failure: Failure, pathContains: String?)] = []
        var paths: [String] = []
    }

    package let baseURL: URL
    package let token: String
    package let pageSize: Int
    /// Whether list answers carry a `Link` header (older instances and some endpoints send only `x-next-page`).
    package let sendsLinkHeader: Bool
    /// The fake's time (token expiry, rate-limit resets): the test's clock, so it moves with the source's; by
    /// default `TestClock.start`, never the wall clock.
    let now: @Sendable () -> Date
    private let state: Mutex<State>

    package init(group: Group, token: String = "glpat-fakeTokenValue0123", baseURL: URL = URL(string: "https://gitlab.test")!,
                 pageSize: Int = 2, sendsLinkHeader: Bool = true, now: @escaping @Sendable () -> Date = { TestClock.start }) {
        self.baseURL = baseURL; self.token = token; self.pageSize = pageSize; self.sendsLinkHeader = sendsLinkHeader; self.now = now
        state = Mutex(State(group: group))
    }

    package func update(_ change: (inout Group) -> Void) { state.withLock { change(&$0.group) } }
    package func failNext(_ failures: [Failure], pathContains: String? = nil) {
        state.withLock { $0.failures += failures.map { ($0, pathContains) } }
    }
    /// Percent-encoded paths (below `/api/v4`) with their query, as received, in order.
    package var paths: [String] { state.withLock { $0.paths } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in answer(request, &s) }
    }

    private func answer(_ request: HTTPRequest, _ s: inout State) -> HTTPResponse {
        let prefix = baseURL.path + "/api/v4"
        guard request.url.host == baseURL.host, request.url.port == baseURL.port,
              let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false),
              components.percentEncodedPath.hasPrefix(prefix) else {
            return Self.json(404, ["error": "404 Not Found"])
        }
        let path = String(components.percentEncodedPath.dropFirst(prefix.count))
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        s.paths.append(path + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))

        guard request.header("private-token") == token else { return Self.json(401, ["message": "401 Unauthorized"]) }
        if let index = s.failures.firstIndex(where: { $0.pathContains.map(path.contains) ?? true }) {
            switch s.failures.remove(at: index).failure {
            case .tooManyRequests(let retryAfter):
                let reset = Int(now().timeIntervalSince1970) + retryAfter
                return HTTPResponse(status: 429, headers: ["retry-after": "\(retryAfter)", "ratelimit-limit": "2000", "ratelimit-remaining": "0",
                                                           "ratelimit-reset": "\(reset)", "content-type": "text/plain"],
                                    body: Data("Retry later".utf8))
            case .serverError(let status):
                return HTTPResponse(status: status, headers: ["content-type": "text/html"], body: Data("<html>GitLab is not responding</html>".utf8))
            case .malformed:
                return HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: Data("[{\"id\": 1, \"username\"".utf8))
            }
        }
        guard request.method == "GET" else { return Self.json(405, ["message": "405 Method Not Allowed"]) }

        // Path segments stay percent-encoded until matched: a full path arrives as one segment, `acme%2Fplatform`.
        let segments = path.split(separator: "/").map(String.init)
        let group = s.group
        func isGroup(_ segment: String) -> Bool {
            let decoded = segment.removingPercentEncoding ?? segment
            return decoded == "\(group.id)" || decoded == group.fullPath
        }
        func project(_ segment: String) -> Project? {
            let decoded = segment.removingPercentEncoding ?? segment
            return group.projects.first { "\($0.id)" == decoded || $0.path == decoded }
        }
        let notFound = { (what: String) in Self.json(404, ["message": "404 \(what) Not Found"]) }

        switch segments.count {
        case 4 where segments[0] == "groups" && segments[2] == "members" && segments[3] == "all":
            guard isGroup(segments[1]) else { return notFound("Group") }
            return page(group.members.map { member in
                ["id": member.id, "username": member.username, "name": member.username.capitalized, "state": member.state, "locked": false,
                 "avatar_url": "https://gitlab.test/uploads/\(member.id).png", "web_url": "https://gitlab.test/\(member.username)",
                 "access_level": member.accessLevel, "created_at": "2024-01-10T09:00:00.000Z", "expires_at": NSNull(),
                 "membership_state": "active"]
            }, request.url, query)
        case 2 where segments[0] == "users":
            guard let member = group.members.first(where: { "\($0.id)" == segments[1] }) else { return notFound("User") }
            var body: [String: Any] = ["id": member.id, "username": member.username, "name": member.username.capitalized, "state": member.state,
                                       "locked": false, "web_url": "https://gitlab.test/\(member.username)", "created_at": "2024-01-10T09:00:00.000Z",
                                       "bio": "", "public_email": NSNull()]
            if group.tokenIsAdmin {
                body["is_admin"] = false
                body["two_factor_enabled"] = member.twoFactor
                body["email"] = "\(member.username)@example.test"
                body["last_sign_in_at"] = "2026-02-20T08:00:00.000Z"
            }
            return Self.json(200, body)
        case 3 where segments[0] == "groups" && segments[2] == "projects":
            guard isGroup(segments[1]) else { return notFound("Group") }
            var projects = group.projects
            if query["include_subgroups"] != "true" {
                projects = projects.filter { $0.path.split(separator: "/").dropLast().joined(separator: "/") == group.fullPath }
            }
            if let archived = query["archived"] { projects = projects.filter { $0.archived == (archived == "true") } }
            return page(projects.map { project in
                let name = String(project.path.split(separator: "/").last ?? "")
                return ["id": project.id, "name": name, "path": name, "path_with_namespace": project.path,
                        "name_with_namespace": project.path.replacingOccurrences(of: "/", with: " / "),
                        "default_branch": project.defaultBranch ?? NSNull(), "archived": project.archived, "visibility": "private",
                        "web_url": "https://gitlab.test/\(project.path)", "empty_repo": project.defaultBranch == nil,
                        "namespace": ["full_path": project.path.split(separator: "/").dropLast().joined(separator: "/"), "kind": "group"]]
            }, request.url, query)
        case 3 where segments[0] == "projects" && segments[2] == "protected_branches":
            guard let project = project(segments[1]) else { return notFound("Project") }
            return page(project.protectedBranches.enumerated().map { index, name in
                let level: [String: Any] = ["id": index + 1, "access_level": 40, "access_level_description": "Maintainers",
                                            "user_id": NSNull(), "group_id": NSNull()]
                return ["id": index + 1, "name": name, "push_access_levels": [level], "merge_access_levels": [level],
                        "unprotect_access_levels": [level], "allow_force_push": false, "code_owner_approval_required": false]
            }, request.url, query)
        case 3 where segments[0] == "projects" && segments[2] == "approval_rules":
            guard let project = project(segments[1]) else { return notFound("Project") }
            guard group.premium else { return Self.json(403, ["message": "403 Forbidden"]) }
            return page(project.approvalRules.enumerated().map { index, rule in
                ["id": index + 1, "name": rule.name, "rule_type": rule.ruleType, "approvals_required": rule.approvalsRequired,
                 "eligible_approvers": [], "users": [], "groups": [], "contains_hidden_groups": false,
                 "applies_to_all_protected_branches": false,
                 "protected_branches": rule.protectedBranches.enumerated().map { ["id": $0.offset + 1, "name": $0.element] }] as [String: Any]
            }, request.url, query)
        case 3 where segments[0] == "projects" && segments[2] == "approvals":
            guard let project = project(segments[1]) else { return notFound("Project") }
            return Self.json(200, ["approvers": [], "approver_groups": [], "approvals_before_merge": project.approvalsBeforeMerge,
                                   "reset_approvals_on_push": true, "disable_overriding_approvers_per_merge_request": false,
                                   "merge_requests_author_approval": false, "merge_requests_disable_committers_approval": false])
        default:
            return Self.json(404, ["error": "404 Not Found"])
        }
    }

    /// One page of `items` with GitLab's pagination headers.
    private func page(_ items: [[String: Any]], _ url: URL, _ query: [String: String]) -> HTTPResponse {
        let perPage = min(max(Int(query["per_page"] ?? "") ?? 20, 1), pageSize)
        let number = max(Int(query["page"] ?? "") ?? 1, 1)
        let pages = max(1, (items.count + perPage - 1) / perPage)
        let slice = Array(items.dropFirst((number - 1) * perPage).prefix(perPage))
        var headers = ["content-type": "application/json", "x-page": "\(number)", "x-per-page": "\(perPage)", "x-total": "\(items.count)",
                       "x-total-pages": "\(pages)", "x-next-page": number < pages ? "\(number + 1)" : "",
                       "x-prev-page": number > 1 ? "\(number - 1)" : "", "x-request-id": "01HREQUESTID"]
        if sendsLinkHeader {
            func link(_ page: Int) -> String {
                var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
                components.queryItems = (components.queryItems ?? []).filter { $0.name != "page" } + [URLQueryItem(name: "page", value: "\(page)")]
                return components.url!.absoluteString
            }
            var links: [String] = []
            if number < pages { links.append("<\(link(number + 1))>; rel=\"next\"") }
            if number > 1 { links.append("<\(link(number - 1))>; rel=\"prev\"") }
            links.append("<\(link(1))>; rel=\"first\"")
            links.append("<\(link(pages))>; rel=\"last\"")
            headers["link"] = links.joined(separator: ", ")
        }
        return HTTPResponse(status: 200, headers: headers, body: try! JSONSerialization.data(withJSONObject: slice))
    }

    private static func json(_ status: Int, _ body: Any) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "application/json"], body: try! JSONSerialization.data(withJSONObject: body))
    }
}
