import Foundation
import HTTP
import Synchronization

/// An in-process Okta Management API speaking the documented wire format for what the bot reads:
/// - every call needs `Authorization: SSWS <token>`, else 401 `{"errorCode":"E0000011","errorSummary":"Invalid token provided",…}`.
/// - `GET /api/v1/users`: without `search` leaves out DEPROVISIONED users, as Okta does; `search` understands
///   `status eq "X"` terms joined by `or` (anything else is 400 E0000031). Pages of `min(limit, pageSize)` users
///   with `Link: <…>; rel="self", <…?after=…>; rel="next"` (the cursor is the last user's id).
/// - `GET /api/v1/users/{id}/factors` and `/roles`: the user's factors and admin role assignments; an unknown id is
///   404 E0000007.
/// - Every answer carries `X-Rate-Limit-Limit/-Remaining/-Reset` (epoch seconds); when a window's requests are
///   spent the answer is 429 E0000047 until the fake's clock passes the reset.
/// - Failures on cue (`failNext`): 429 with a reset `n` seconds ahead, a 5xx, a malformed body, a next link to
///   another host.
package final class FakeOkta: HTTPTransport {
    package struct Factor: Sendable {
        package var type: String
        package var status: String
        package init(_ type: String, status: String = "ACTIVE") { self.type = type; self.status = status }
    }

    package struct Role: Sendable {
        package var type: String
        package var label: String
        package var status: String
        package var assignmentType: String
        package init(_ type: String, label: String? = nil, status: String = "ACTIVE", assignmentType: String = "USER") {
            self.type = type; self.label = label ?? type; self.status = status; self.assignmentType = assignmentType
        }
    }

    package struct User: Sendable {
        package var id: String
        package var login: String
        package var email: String?
        package var status: String
        package var lastLogin: String?
        package var factors: [Factor]
        package var roles: [Role]
        package init(id: String, login: String, email: String? = nil, status: String = "ACTIVE", lastLogin: String? = nil,
                     factors: [Factor] = [], roles: [Role] = []) {
            self.id = id; self.login = login; self.email = email ?? login; self.status = status; self.lastLogin = lastLogin
            self.factors = factors; self.roles = roles
        }
    }

    /// A System Log event about a user (`user.mfa.factor.deactivate`, …).
    package struct LogEvent: Sendable {
        package var eventType: String
        package var published: Date
        package var userID: String
        package init(_ eventType: String, published: Date, userID: String) { self.eventType = eventType; self.published = published; self.userID = userID }
    }

    /// Adds events to the System Log (`GET /api/v1/logs`, filtered by `eventType eq "…"` terms and `since`).
    package func log(_ events: [LogEvent]) { state.withLock { $0.logEvents += events } }

    package enum Failure: Sendable {
        /// 429 E0000047 with `X-Rate-Limit-Reset` this many seconds ahead of the fake's clock.
        case tooManyRequests(resetIn: Int)
        case serverError(Int)
        /// 200 with an HTML body.
        case malformed
        /// 200 with a JSON object where a list belongs.
        case wrongShape
        /// The next answer's `rel="next"` link points at this host.
        case foreignNextLink(host: String)
    }

    struct State {
        var users: [User]
        var pageSize: Int
        var failures: [Failure] = []
        var pathFailures: [String: Failure] = [:]
        var logEvents: [LogEvent] = []
        var requests: [String] = []
        var windowLimit: Int
        var windowUsed = 0
        var windowReset: Int
    }

    package let token: String
    /// The fake's time; a source given this clock moves it on with each wait it asks for.
    package let clock: TestClock
    /// Requests per rate-limit window, and the window's length in seconds.
    package let windowSeconds: Int
    private let state: Mutex<State>

    package init(token: String = "00okta-test-token", users: [User] = [], pageSize: Int = 200, rateLimit: Int = 600,
                 windowSeconds: Int = 60, clock: TestClock = TestClock(start: Date(timeIntervalSince1970: 1_772_000_000), sleeping: .jumps(upTo: .infinity))) {
        self.token = token
        self.clock = clock
        self.windowSeconds = windowSeconds
        state = Mutex(State(users: users, pageSize: pageSize, windowLimit: rateLimit,
                            windowReset: Int(clock.now().timeIntervalSince1970) + windowSeconds))
    }

    package var users: [User] {
        get { state.withLock { $0.users } }
        set { state.withLock { $0.users = newValue } }
    }
    package func setPageSize(_ size: Int) { state.withLock { $0.pageSize = size } }
    package func setRateLimit(_ requestsPerWindow: Int) { state.withLock { $0.windowLimit = requestsPerWindow } }
    package func failNext(_ failures: [Failure]) { state.withLock { $0.failures += failures } }
    /// Every request whose path ends with `suffix` fails this way (e.g. `/00u3/factors`).
    package func fail(pathsEndingWith suffix: String, with failure: Failure) { state.withLock { $0.pathFailures[suffix] = failure } }
    /// Every request as `path?query` (query percent-encoded as sent), in order.
    package var requests: [String] { state.withLock { $0.requests } }
    /// Requests whose path ends with `suffix`.
    package func count(_ suffix: String) -> Int { requests.filter { ($0.split(separator: "?").first ?? "").hasSuffix(suffix) }.count }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let now = Int(clock.now().timeIntervalSince1970)
        return state.withLock { s in
            let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
            let path = components?.percentEncodedPath ?? ""
            s.requests.append(path + (components?.percentEncodedQuery.map { "?" + $0 } ?? ""))
            guard request.header("authorization") == "SSWS \(token)" else {
                return Self.error(401, "E0000011", "Invalid token provided")
            }
            if now >= s.windowReset {
                s.windowUsed = 0
                s.windowReset = now + windowSeconds
            }
            var foreignHost: String?
            let pathFailure = s.pathFailures.first { path.hasSuffix($0.key) }?.value
            if let failure = pathFailure ?? s.failures.first {
                if pathFailure == nil { s.failures.removeFirst() }
                switch failure {
                case .tooManyRequests(let seconds):
                    return Self.error(429, "E0000047", "API call exceeded rate limit due to too many requests.",
                                      headers: ["X-Rate-Limit-Limit": "\(s.windowLimit)", "X-Rate-Limit-Remaining": "0",
                                                "X-Rate-Limit-Reset": "\(now + seconds)"])
                case .serverError(let status): return Self.error(status, "E0000009", "Internal Server Error")
                case .malformed: return HTTPResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>Okta is down</html>".utf8))
                case .wrongShape: return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data(#"{"users":[]}"#.utf8))
                case .foreignNextLink(let host): foreignHost = host
                }
            }
            guard s.windowUsed < s.windowLimit else {
                return Self.error(429, "E0000047", "API call exceeded rate limit due to too many requests.",
                                  headers: ["X-Rate-Limit-Limit": "\(s.windowLimit)", "X-Rate-Limit-Remaining": "0",
                                            "X-Rate-Limit-Reset": "\(s.windowReset)"])
            }
            s.windowUsed += 1
            var headers = ["X-Rate-Limit-Limit": "\(s.windowLimit)", "X-Rate-Limit-Remaining": "\(s.windowLimit - s.windowUsed)",
                           "X-Rate-Limit-Reset": "\(s.windowReset)", "Content-Type": "application/json",
                           "X-Okta-Request-Id": "req-\(s.requests.count)"]
            guard request.method == "GET" else { return Self.error(405, "E0000022", "The endpoint does not support the provided HTTP method") }
            let parts = path.split(separator: "/").map(String.init)
            let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
            switch parts.count {
            case 3 where parts == ["api", "v1", "logs"]:
                let filter = query["filter"] ?? ""
                func date(_ text: String) -> Date? {
                    let formatter = ISO8601DateFormatter()
                    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                    return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
                }
                if (query["since"].map { date($0) == nil } ?? false) || (query["until"].map { date($0) == nil } ?? false) {
                    return Self.error(400, "E0000001", "Api validation failed: since/until is not an ISO 8601 date")
                }
                let since = query["since"].flatMap(date) ?? .distantPast
                let until = query["until"].flatMap(date)
                let events = s.logEvents.filter { filter.contains("eventType eq \"\($0.eventType)\"") && $0.published >= since && $0.published < (until ?? .distantFuture) }
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                // Without `until` the request is a "polling" one: Okta always answers with a next link, to the same
                // URL when nothing newer exists yet (developer.okta.com System Log, request types).
                if until == nil { headers["Link"] = "<\(request.url.absoluteString)>; rel=\"self\", <\(request.url.absoluteString)>; rel=\"next\"" }
                return HTTPResponse(status: 200, headers: headers, body: Self.json(events.enumerated().map { i, e in
                    ["uuid": "log-\(i)", "eventType": e.eventType, "published": formatter.string(from: e.published), "severity": "INFO",
                     "displayMessage": "Deactivate factor for user", "outcome": ["result": "SUCCESS"],
                     "target": [["id": e.userID, "type": "User", "alternateId": "user"]]] as [String: Any]
                }))
            case 3 where parts == ["api", "v1", "users"]:
                var statuses: Set<String>?
                if let search = query["search"] {
                    guard let parsed = Self.statuses(inSearch: search) else { return Self.error(400, "E0000031", "Invalid search.") }
                    statuses = parsed
                }
                let listed = s.users.filter { statuses?.contains($0.status) ?? ($0.status != "DEPROVISIONED") }
                let limit = min(Int(query["limit"] ?? "200") ?? 200, 200, s.pageSize)
                let start = query["after"].flatMap { after in listed.firstIndex { $0.id == after }.map { $0 + 1 } } ?? 0
                let page = Array(listed[min(start, listed.count)..<min(start + limit, listed.count)])
                var link = "<\(request.url.absoluteString)>; rel=\"self\""
                if start + limit < listed.count, let last = page.last {
                    var next = components ?? URLComponents()
                    if let foreignHost { next.host = foreignHost }
                    next.queryItems = (next.queryItems ?? []).filter { $0.name != "after" } + [URLQueryItem(name: "after", value: last.id)]
                    link += ", <\(next.url!.absoluteString)>; rel=\"next\""
                }
                headers["Link"] = link
                return HTTPResponse(status: 200, headers: headers, body: Self.json(page.map(Self.userJSON)))
            case 5 where parts[0...2] == ["api", "v1", "users"] && (parts[4] == "factors" || parts[4] == "roles"):
                guard let user = s.users.first(where: { $0.id == parts[3] }) else {
                    return Self.error(404, "E0000007", "Not found: Resource not found: \(parts[3]) (User)")
                }
                let body = parts[4] == "factors"
                    ? user.factors.enumerated().map { i, f in ["id": "ufs\(user.id)\(i)", "factorType": f.type, "provider": "OKTA",
                                                             "vendorName": "OKTA", "status": f.status, "created": "2024-01-01T00:00:00.000Z"] as [String: Any] }
                    : user.roles.enumerated().map { i, r in ["id": "ra\(user.id)\(i)", "type": r.type, "label": r.label, "status": r.status,
                                                           "assignmentType": r.assignmentType, "created": "2024-01-01T00:00:00.000Z"] as [String: Any] }
                return HTTPResponse(status: 200, headers: headers, body: Self.json(body))
            default:
                return Self.error(404, "E0000022", "The endpoint does not exist.")
            }
        }
    }

    /// The statuses a `status eq "A" or status eq "B"` search selects; nil for any other expression.
    static func statuses(inSearch search: String) -> Set<String>? {
        var result: Set<String> = []
        for term in search.components(separatedBy: " or ") {
            let trimmed = term.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("status eq \""), trimmed.hasSuffix("\""), trimmed.count > 12 else { return nil }
            result.insert(String(trimmed.dropFirst(11).dropLast()))
        }
        return result
    }

    static func userJSON(_ user: User) -> [String: Any] {
        [
            "id": user.id, "status": user.status, "created": "2023-01-01T00:00:00.000Z", "activated": NSNull(),
            "statusChanged": "2024-01-01T00:00:00.000Z", "lastLogin": user.lastLogin ?? NSNull(),
            "lastUpdated": "2024-01-01T00:00:00.000Z", "type": ["id": "oty1"],
            "profile": ["firstName": "Test", "lastName": user.login, "login": user.login, "email": user.email ?? NSNull(), "mobilePhone": NSNull()],
            "credentials": ["provider": ["type": "OKTA", "name": "OKTA"]],
            "_links": ["self": ["href": "https://acme.okta.com/api/v1/users/\(user.id)"]],
        ]
    }

    static func json(_ value: Any) -> Data { (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data() }

    static func error(_ status: Int, _ code: String, _ summary: String, headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a },
                     body: json(["errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oae-fake-\(code)", "errorCauses": []]))
    }
}
