import Foundation
import HTTP
import Synchronization

/// An in-process GitHub REST API (github.com, or GitHub Enterprise Server under a base path such as `/api/v3`)
/// that speaks the documented wire format for the endpoints soc2bot reads:
/// - every request needs `Authorization: Bearer <token>` (or `token <token>`); anything else gets
///   401 `{"message":"Bad credentials",…}`.
/// - lists are paginated with `page`/`per_page` and a `Link` header (`rel="next"`, `rel="last"`), with pages of at
///   most `pageSize` items (default 2) so clients must cross pages.
/// - `GET /orgs/{org}/members` with `role=all|admin|member` and `filter=all|2fa_disabled` (the filter answers 422
///   unless `tokenIsOwner`); `GET /orgs/{org}/outside_collaborators` (the same filter, the same rule); `GET /orgs/{org}/repos`;
///   `GET /repos/{owner}/{repo}`.
/// - `GET /repos/{o}/{r}/branches/{branch}/protection`: the protection, 404 `Branch not protected`, or 404
///   `Branch not found` for a branch other than the default; `GET /repos/{o}/{r}/rules/branches/{branch}`: the
///   repository's ruleset rules (every branch they cover is the default one here).
/// - `GET /orgs/{org}/secret-scanning/alerts` and `GET /orgs/{org}/dependabot/alerts`, filtered by `state` and
///   `severity`; 404 when the feature is off.
/// Failure modes on cue (optionally only for paths containing a string): primary rate limit (403,
/// `x-ratelimit-remaining: 0`, `x-ratelimit-reset` in epoch seconds), secondary rate limit (403 with `retry-after`),
/// 5xx, a malformed body, a next-page link to another host. The organization is mutable between reads.
package final class FakeGitHub: HTTPTransport {
    package enum Failure: Sendable {
        /// 403 with `x-ratelimit-remaining: 0` and a reset `resetIn` seconds after the fake's clock.
        case primaryRateLimit(resetIn: Int)
        /// 403 with `retry-after`.
        case secondaryRateLimit(retryAfter: Int)
        case serverError(Int)
        /// 200 with a body that is not JSON.
        case malformed
        /// 200 with JSON of the wrong shape (an object where a list belongs).
        case wrongShape
        /// The answer is right but its `Link: rel="next"` points to another host.
        case foreignNextLink
    }

    /// An organization member or outside collaborator.
    package struct Person: Sendable {
        package var login: String
        package var admin: Bool
        package var twoFactor: Bool
        package var email: String?
        package init(_ login: String, admin: Bool = false, twoFactor: Bool = true, email: String? = nil) {
            self.login = login; self.admin = admin; self.twoFactor = twoFactor; self.email = email
        }
    }

    /// A ruleset rule that applies to the default branch.
    package struct Rule: Sendable {
        package var type: String
        /// For `pull_request` rules.
        package var requiredApprovals: Int?
        package init(type: String, requiredApprovals: Int? = nil) { self.type = type; self.requiredApprovals = requiredApprovals }
        package static func pullRequest(approvals: Int) -> Rule { Rule(type: "pull_request", requiredApprovals: approvals) }
    }

    package struct Repo: Sendable {
        package var name: String
        package var defaultBranch: String
        package var archived: Bool
        /// Classic protection of the default branch: nil unprotected; `.some(nil)` protected without required reviews.
        package var protection: Int??
        package var rules: [Rule]
        package init(_ name: String, defaultBranch: String = "main", archived: Bool = false, requiredReviews: Int?? = nil, rules: [Rule] = []) {
            self.name = name; self.defaultBranch = defaultBranch; self.archived = archived; self.protection = requiredReviews; self.rules = rules
        }
    }

    package struct SecretAlert: Sendable {
        package var number: Int
        package var repo: String
        package var secretType: String
        package var displayName: String
        package var createdAt: String
        package var state: String
        package init(number: Int, repo: String, secretType: String, displayName: String, createdAt: String, state: String = "open") {
            self.number = number; self.repo = repo; self.secretType = secretType; self.displayName = displayName
            self.createdAt = createdAt; self.state = state
        }
    }

    package struct DependabotAlert: Sendable {
        package var number: Int
        package var repo: String
        package var ecosystem: String
        package var package: String
        package var ghsaID: String
        package var summary: String
        package var severity: String
        package var createdAt: String
        package var state: String
        package init(number: Int, repo: String, ecosystem: String, package: String, ghsaID: String, summary: String, severity: String,
                     createdAt: String, state: String = "open") {
            self.number = number; self.repo = repo; self.ecosystem = ecosystem; self.package = package; self.ghsaID = ghsaID
            self.summary = summary; self.severity = severity; self.createdAt = createdAt; self.state = state
        }
    }

    /// Everything the fake serves; tests change it between reads with `update`.
    package struct Organization: Sendable {
        package var login: String
        package var members: [Person]
        package var outsideCollaborators: [Person]
        package var repos: [Repo]
        package var secretAlerts: [SecretAlert]
        package var dependabotAlerts: [DependabotAlert]
        package var secretScanningEnabled = true
        package var dependabotEnabled = true
        /// Whether the token belongs to an organization owner (only owners may use `filter=2fa_disabled`).
        package var tokenIsOwner = true
        package init(login: String, members: [Person] = [], outsideCollaborators: [Person] = [], repos: [Repo] = [],
                     secretAlerts: [SecretAlert] = [], dependabotAlerts: [DependabotAlert] = []) {
            self.login = login; self.members = members; self.outsideCollaborators = outsideCollaborators; self.repos = repos
            self.secretAlerts = secretAlerts; self.dependabotAlerts = dependabotAlerts
        }
    }

    /// A request as received: method, path (without the base path) and query, and its headers.
    package struct Received: Sendable {
        package var method: String
        package var path: String
        package var query: [String: String]
        package var url: URL
        package var headers: [(name: String, value: String)]
    }

    struct State {
        var organization: Organization
        var failures: [(failure: Failure, pathContains: String?)] = []
        var received: [Received] = []
    }

    /// Where the API lives: `https://api.github.test` or `https://ghe.example.test/api/v3`.
    package let baseURL: URL
    package let token: String
    package let pageSize: Int
    /// The fake's time (token expiry, rate-limit resets): the test's clock, so it moves with the source's; by
    /// default `TestClock.start`, never the wall clock.
    let now: @Sendable () -> Date
    private let state: Mutex<State>

    package init(organization: Organization, token: String = "ghp_fakeTokenValue0123456789", baseURL: URL = URL(string: "https://api.github.test")!,
                 pageSize: Int = 2, now: @escaping @Sendable () -> Date = { TestClock.start }) {
        self.baseURL = baseURL; self.token = token; self.pageSize = pageSize; self.now = now
        state = Mutex(State(organization: organization))
    }

    /// Changes the organization (a member removed, protection lifted, an alert opened).
    package func update(_ change: (inout Organization) -> Void) { state.withLock { change(&$0.organization) } }
    /// Queues failures, answered in order to the next requests (those whose path contains `pathContains`).
    package func failNext(_ failures: [Failure], pathContains: String? = nil) {
        state.withLock { $0.failures += failures.map { ($0, pathContains) } }
    }
    package var received: [Received] { state.withLock { $0.received } }
    /// Paths of the requests received, with their query (`/orgs/acme/members?page=2&per_page=100`), in order.
    package var paths: [String] {
        received.map { r in r.path + (r.query.isEmpty ? "" : "?" + r.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")) }
    }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in answer(request, &s) }
    }

    private func answer(_ request: HTTPRequest, _ s: inout State) -> HTTPResponse {
        guard request.url.host == baseURL.host, request.url.port == baseURL.port,
              let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false),
              components.percentEncodedPath.hasPrefix(baseURL.path) else {
            return Self.json(404, ["message": "Not Found"])
        }
        let path = String(components.percentEncodedPath.dropFirst(baseURL.path.count))
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        s.received.append(Received(method: request.method, path: path, query: query, url: request.url, headers: request.headers))

        let authorization = request.header("authorization")
        guard authorization == "Bearer \(token)" || authorization == "token \(token)" else {
            return Self.json(401, ["message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"])
        }
        var foreignNext = false
        if let index = s.failures.firstIndex(where: { $0.pathContains.map(path.contains) ?? true }) {
            let failure = s.failures.remove(at: index).failure
            switch failure {
            case .primaryRateLimit(let resetIn):
                let reset = Int(now().timeIntervalSince1970) + resetIn
                return Self.json(403, ["message": "API rate limit exceeded for user ID 1.",
                                       "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"],
                                 headers: ["x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
                                           "x-ratelimit-reset": "\(reset)", "x-ratelimit-resource": "core"])
            case .secondaryRateLimit(let retryAfter):
                return Self.json(403, ["message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                                       "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"],
                                 headers: ["retry-after": "\(retryAfter)", "x-ratelimit-remaining": "4000"])
            case .serverError(let status):
                return HTTPResponse(status: status, headers: ["content-type": "text/html"], body: Data("<html>Unicorn!</html>".utf8))
            case .malformed:
                return HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: Data("{\"login\": \"trunc".utf8))
            case .wrongShape:
                return Self.json(200, ["message": "an object, not a list"])
            case .foreignNextLink:
                foreignNext = true
            }
        }

        let segments = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let org = s.organization
        func isOrg(_ name: String) -> Bool { name.caseInsensitiveCompare(org.login) == .orderedSame }
        func repo(_ owner: String, _ name: String) -> Repo? { isOrg(owner) ? org.repos.first { $0.name == name } : nil }
        let notFound = Self.json(404, ["message": "Not Found", "documentation_url": "https://docs.github.com/rest"])
        guard request.method == "GET" else { return notFound }

        switch segments.count {
        case 3 where segments[0] == "orgs" && isOrg(segments[1]) && segments[2] == "members":
            guard query["filter"] != "2fa_disabled" || org.tokenIsOwner else {
                return Self.json(422, ["message": "Only owners can use this filter.", "documentation_url": "https://docs.github.com/rest/orgs/members"])
            }
            var people = org.members
            switch query["role"] ?? "all" {
            case "admin": people = people.filter(\.admin)
            case "member": people = people.filter { !$0.admin }
            default: break
            }
            if query["filter"] == "2fa_disabled" { people = people.filter { !$0.twoFactor } }
            return page(people.map(user), request.url, query, foreignNext: foreignNext)
        case 3 where segments[0] == "orgs" && isOrg(segments[1]) && segments[2] == "outside_collaborators":
            guard query["filter"] != "2fa_disabled" || org.tokenIsOwner else {
                return Self.json(422, ["message": "Only owners can use this filter.", "documentation_url": "https://docs.github.com/rest/orgs/outside-collaborators"])
            }
            var people = org.outsideCollaborators
            if query["filter"] == "2fa_disabled" { people = people.filter { !$0.twoFactor } }
            return page(people.map(user), request.url, query, foreignNext: foreignNext)
        case 3 where segments[0] == "orgs" && isOrg(segments[1]) && segments[2] == "repos":
            return page(org.repos.map { repository($0, org.login) }, request.url, query, foreignNext: foreignNext)
        case 3 where segments[0] == "repos":
            guard let found = repo(segments[1], segments[2]) else { return notFound }
            return Self.json(200, repository(found, org.login))
        case 6 where segments[0] == "repos" && segments[3] == "branches" && segments[5] == "protection":
            guard let found = repo(segments[1], segments[2]) else { return notFound }
            guard segments[4] == found.defaultBranch else {
                return Self.json(404, ["message": "Branch not found", "documentation_url": "https://docs.github.com/rest/branches/branch-protection"])
            }
            guard let protection = found.protection else {
                return Self.json(404, ["message": "Branch not protected", "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection"])
            }
            return Self.json(200, protectionBody(org.login, found, reviews: protection))
        case 6 where segments[0] == "repos" && segments[3] == "rules" && segments[4] == "branches":
            guard let found = repo(segments[1], segments[2]) else { return notFound }
            let rules: [[String: Any]] = segments[5] == found.defaultBranch ? found.rules.map { rule in
                var body: [String: Any] = ["type": rule.type, "ruleset_source_type": "Repository",
                                           "ruleset_source": "\(org.login)/\(found.name)", "ruleset_id": 42]
                if rule.type == "pull_request" {
                    body["parameters"] = ["required_approving_review_count": rule.requiredApprovals ?? 0, "dismiss_stale_reviews_on_push": false,
                                          "require_code_owner_review": false, "require_last_push_approval": false,
                                          "required_review_thread_resolution": false]
                }
                return body
            } : []
            return page(rules, request.url, query, foreignNext: foreignNext)
        case 4 where segments[0] == "orgs" && isOrg(segments[1]) && segments[2] == "secret-scanning" && segments[3] == "alerts":
            guard org.secretScanningEnabled else { return notFound }
            let states = query["state"].map { Set($0.split(separator: ",").map(String.init)) }
            let alerts = org.secretAlerts.filter { states?.contains($0.state) ?? true }.map { alert -> [String: Any] in
                ["number": alert.number, "created_at": alert.createdAt, "updated_at": alert.createdAt,
                 "url": apiURL("repos/\(org.login)/\(alert.repo)/secret-scanning/alerts/\(alert.number)"),
                 "html_url": "https://github.test/\(org.login)/\(alert.repo)/security/secret-scanning/\(alert.number)",
                 "state": alert.state, "resolution": NSNull(), "resolved_at": NSNull(), "resolved_by": NSNull(),
                 "secret_type": alert.secretType, "secret_type_display_name": alert.displayName,
                 "secret": "fake-secret-value-\(alert.number)", "validity": "active",
                 "repository": repositoryRef(org.login, alert.repo)]
            }
            return page(alerts, request.url, query, foreignNext: foreignNext)
        case 4 where segments[0] == "orgs" && isOrg(segments[1]) && segments[2] == "dependabot" && segments[3] == "alerts":
            guard org.dependabotEnabled else { return notFound }
            let states = query["state"].map { Set($0.split(separator: ",").map(String.init)) }
            let severities = query["severity"].map { Set($0.split(separator: ",").map(String.init)) }
            let alerts = org.dependabotAlerts.filter { (states?.contains($0.state) ?? true) && (severities?.contains($0.severity) ?? true) }
                .map { alert -> [String: Any] in
                    let package: [String: Any] = ["ecosystem": alert.ecosystem, "name": alert.package]
                    return ["number": alert.number, "state": alert.state, "created_at": alert.createdAt, "updated_at": alert.createdAt,
                            "dependency": ["package": package, "manifest_path": "package-lock.json", "scope": "runtime"],
                            "security_advisory": ["ghsa_id": alert.ghsaID, "cve_id": NSNull(), "summary": alert.summary,
                                                  "description": "details", "severity": alert.severity,
                                                  "identifiers": [["type": "GHSA", "value": alert.ghsaID]]],
                            "security_vulnerability": ["package": package, "severity": alert.severity,
                                                       "vulnerable_version_range": "< 1.0.0",
                                                       "first_patched_version": ["identifier": "1.0.0"]],
                            "url": apiURL("repos/\(org.login)/\(alert.repo)/dependabot/alerts/\(alert.number)"),
                            "html_url": "https://github.test/\(org.login)/\(alert.repo)/security/dependabot/\(alert.number)",
                            "dismissed_at": NSNull(), "fixed_at": NSNull(), "auto_dismissed_at": NSNull(),
                            "repository": repositoryRef(org.login, alert.repo)]
                }
            return page(alerts, request.url, query, foreignNext: foreignNext)
        default:
            return notFound
        }
    }

    private func apiURL(_ path: String) -> String { baseURL.absoluteString + "/" + path }

    private func user(_ person: Person) -> [String: Any] {
        ["login": person.login, "id": Self.stableID(person.login), "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
         "avatar_url": "https://avatars.github.test/u/1", "url": apiURL("users/\(person.login)"),
         "html_url": "https://github.test/\(person.login)", "email": person.email ?? NSNull()]
    }

    private func repositoryRef(_ owner: String, _ name: String) -> [String: Any] {
        ["id": Self.stableID(name), "name": name, "full_name": "\(owner)/\(name)", "private": true,
         "owner": ["login": owner, "type": "Organization"], "url": apiURL("repos/\(owner)/\(name)")]
    }

    private func repository(_ repo: Repo, _ owner: String) -> [String: Any] {
        var body = repositoryRef(owner, repo.name)
        body["default_branch"] = repo.defaultBranch
        body["archived"] = repo.archived
        body["disabled"] = false
        body["visibility"] = "private"
        return body
    }

    private func protectionBody(_ owner: String, _ repo: Repo, reviews: Int?) -> [String: Any] {
        let url = apiURL("repos/\(owner)/\(repo.name)/branches/\(repo.defaultBranch)/protection")
        var body: [String: Any] = ["url": url, "enforce_admins": ["url": url + "/enforce_admins", "enabled": false],
                                   "allow_force_pushes": ["enabled": false], "allow_deletions": ["enabled": false],
                                   "required_linear_history": ["enabled": false]]
        if let reviews {
            body["required_pull_request_reviews"] = ["url": url + "/required_pull_request_reviews", "dismiss_stale_reviews": false,
                                                     "require_code_owner_reviews": false, "required_approving_review_count": reviews,
                                                     "require_last_push_approval": false]
        }
        return body
    }

    /// One page of `items` with the `Link` header GitHub sends.
    private func page(_ items: [[String: Any]], _ url: URL, _ query: [String: String], foreignNext: Bool) -> HTTPResponse {
        let perPage = min(max(Int(query["per_page"] ?? "") ?? 30, 1), pageSize)
        let number = max(Int(query["page"] ?? "") ?? 1, 1)
        let pages = max(1, (items.count + perPage - 1) / perPage)
        let slice = Array(items.dropFirst((number - 1) * perPage).prefix(perPage))
        var headers = ["content-type": "application/json; charset=utf-8", "x-github-request-id": "F00D:1234:5678",
                       "x-ratelimit-remaining": "4999"]
        func link(_ page: Int) -> String {
            var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
            if foreignNext { components.host = "evil.example" }
            components.queryItems = (components.queryItems ?? []).filter { $0.name != "page" } + [URLQueryItem(name: "page", value: "\(page)")]
            return components.url!.absoluteString
        }
        var links: [String] = []
        if number < pages { links.append("<\(link(number + 1))>; rel=\"next\"") }
        if number < pages { links.append("<\(link(pages))>; rel=\"last\"") }
        if number > 1 { links.append("<\(link(1))>; rel=\"first\""); links.append("<\(link(number - 1))>; rel=\"prev\"") }
        if !links.isEmpty { headers["link"] = links.joined(separator: ", ") }
        return HTTPResponse(status: 200, headers: headers, body: try! JSONSerialization.data(withJSONObject: slice))
    }

    /// A made-up numeric id that stays the same across runs (Swift's `hashValue` does not).
    static func stableID(_ text: String) -> Int { text.unicodeScalars.reduce(7) { ($0 &* 31 &+ Int($1.value)) % 9_999_991 } }

    private static func json(_ status: Int, _ body: Any, headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers.merging(["content-type": "application/json; charset=utf-8"]) { a, _ in a },
                     body: try! JSONSerialization.data(withJSONObject: body))
    }
}
