import _CryptoExtras
import Foundation
import HTTP
import Synchronization

/// In-process Google Cloud REST APIs that speak the documented wire formats, for one service account:
/// - `POST https://oauth2.googleapis.com/token`: the JWT bearer grant as `FakeGoogleOAuth` checks it, with no `sub`
///   (the service account acts as itself; a `sub` is 401 `unauthorized_client`, as for an account without
///   domain-wide delegation) and `scope` within `cloud-platform` / `cloud-platform.read-only`.
/// - Cloud Storage JSON API: `GET storage.googleapis.com/storage/v1/b?project=P` (`storage#buckets`, `items`,
///   `nextPageToken`; `maxResults` ≤ 1000) and `GET /storage/v1/b/BUCKET/iam` (`storage#policy` with `bindings`).
/// - Compute Engine: `GET compute.googleapis.com/compute/v1/projects/P/global/firewalls` (`compute#firewallList`,
///   `items`, `nextPageToken`; `maxResults` ≤ 500).
/// - Cloud Resource Manager v1: `POST cloudresourcemanager.googleapis.com/v1/projects/P:getIamPolicy` (a Policy with
///   `version`, `etag`, `bindings`, `auditConfigs`).
/// Every API call needs a bearer token this fake issued and has not expired (else 401 `UNAUTHENTICATED`). Lists
/// answer `pageSize` items a page with an opaque page token; an unknown token is a 400. An unknown project is a 403
/// `PERMISSION_DENIED`, as Google answers when it may not say whether the project exists.
/// Failure modes on cue for API calls: 429 with or without Retry-After, 5xx, a malformed body, 403 PERMISSION_DENIED;
/// and page tokens that are refused (`refusePageTokens`), as when a listing's token expires mid-way.
package final class FakeGCP: HTTPTransport {
    package typealias Failure = FakeGoogle.Failure

    /// A Cloud Storage bucket and its IAM policy.
    package struct Bucket: Sendable {
        package var name: String
        /// `encryption.defaultKmsKeyName`; nil leaves `encryption` out (Google-managed keys).
        package var kmsKeyName: String?
        /// `iamConfiguration.publicAccessPrevention`: `inherited` or `enforced`.
        package var publicAccessPrevention: String
        /// IAM bindings, role → members.
        package var bindings: [String: [String]]
        package var labels: [String: String]
        package init(_ name: String, kmsKeyName: String? = nil, publicAccessPrevention: String = "inherited",
                     bindings: [String: [String]] = ["roles/storage.legacyBucketOwner": ["projectOwner:acme-prod"]], labels: [String: String] = [:]) {
            self.name = name; self.kmsKeyName = kmsKeyName; self.publicAccessPrevention = publicAccessPrevention
            self.bindings = bindings; self.labels = labels
        }
    }

    /// A VPC firewall rule.
    package struct Firewall: Sendable {
        package var name: String
        package var direction: String
        package var disabled: Bool
        package var sourceRanges: [String]
        /// `(IPProtocol, ports)`; nil ports leaves the field out (all ports).
        package var allowed: [(String, [String]?)]
        package var denied: [(String, [String]?)]
        package init(_ name: String, direction: String = "INGRESS", disabled: Bool = false, sourceRanges: [String] = ["0.0.0.0/0"],
                     allowed: [(String, [String]?)] = [], denied: [(String, [String]?)] = []) {
            self.name = name; self.direction = direction; self.disabled = disabled; self.sourceRanges = sourceRanges
            self.allowed = allowed; self.denied = denied
        }
    }

    /// A project's audit config for one service: the log types on, each with its exempted members.
    package struct AuditConfig: Sendable {
        package var service: String
        package var logTypes: [String: [String]]
        package init(service: String = "allServices", logTypes: [String: [String]]) { self.service = service; self.logTypes = logTypes }
    }

    package struct Project: Sendable {
        package var buckets: [Bucket]
        package var firewalls: [Firewall]
        package var auditConfigs: [AuditConfig]
        package init(buckets: [Bucket] = [], firewalls: [Firewall] = [], auditConfigs: [AuditConfig] = []) {
            self.buckets = buckets; self.firewalls = firewalls; self.auditConfigs = auditConfigs
        }
    }

    package static let tokenURL = FakeGoogle.tokenURL
    package static let grantedScopes: Set<String> = ["https://www.googleapis.com/auth/cloud-platform.read-only",
                                                     "https://www.googleapis.com/auth/cloud-platform"]

    struct State {
        var projects: [String: Project]
        var oauth: FakeGoogleOAuth
        var failures: [Failure] = []
        var refusePageTokens = false
        var calls: [String] = []
    }

    let pageSize: Int
    /// The fake's time (token expiry, rate-limit resets): the test's clock, so it moves with the source's; by
    /// default `TestClock.start`, never the wall clock.
    let now: @Sendable () -> Date
    private let state: Mutex<State>

    /// - Parameters:
    ///   - publicKey: the service account key's public half; assertions signed by any other key are refused.
    ///   - projects: by project id.
    package init(publicKey: _RSA.Signing.PublicKey, clientEmail: String = "soc2bot@acme-soc2.iam.gserviceaccount.com",
                 projects: [String: Project], pageSize: Int = 2, tokenLifetime: Int = 3599, now: @escaping @Sendable () -> Date = { TestClock.start }) {
        self.pageSize = pageSize; self.now = now
        state = Mutex(State(projects: projects, oauth: FakeGoogleOAuth(publicKey: publicKey, clientEmail: clientEmail, tokenURL: Self.tokenURL,
                                                                       tokenLifetime: tokenLifetime)))
    }

    package func failNext(_ failures: [Failure]) { state.withLock { $0.failures += failures } }
    /// From now on every request with a `pageToken` is refused with a 400.
    package func refusePageTokens() { state.withLock { $0.refusePageTokens = true } }
    package var tokenRequests: Int { state.withLock { $0.oauth.tokenRequests } }
    package var refusals: [String] { state.withLock { $0.oauth.refusals } }
    /// String claims of the assertions whose signature verified (`iss`, `aud`, `scope`, and `sub` if sent).
    package var assertionClaims: [[String: String]] { state.withLock { $0.oauth.assertionClaims } }
    /// API calls as `METHOD host path?query` (query decoded).
    package var calls: [String] { state.withLock { $0.calls } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
            if request.url.absoluteString == Self.tokenURL {
                return s.oauth.token(request, now: now()) { subject, scopes in subject == nil && scopes.isSubset(of: Self.grantedScopes) }
            }
            let host = request.url.host ?? ""
            guard ["storage.googleapis.com", "compute.googleapis.com", "cloudresourcemanager.googleapis.com"].contains(host) else {
                return HTTPResponse(status: 404, body: Data("<html>not a Google endpoint</html>".utf8))
            }
            let items = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
            let query = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
            let path = request.url.path
            s.calls.append("\(request.method) \(host) \(path)" + (items.isEmpty ? "" : "?" + items.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")))
            if let failure = s.failures.first {
                s.failures.removeFirst()
                return FakeGoogle.response(for: failure, quotaMetric: "Read requests")
            }
            guard s.oauth.isAuthorized(request, now: now()) else {
                return FakeGoogle.apiError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.", status: "UNAUTHENTICATED")
            }
            if query["pageToken"] != nil, s.refusePageTokens {
                return FakeGoogle.apiError(400, "Invalid value for field 'pageToken'", status: "INVALID_ARGUMENT")
            }
            let segments = path.split(separator: "/").map(String.init)
            switch (request.method, host, segments.count) {
            case ("GET", "storage.googleapis.com", 3) where segments == ["storage", "v1", "b"]:
                guard let project = s.projects[query["project"] ?? ""] else { return Self.denied("storage.buckets.list") }
                guard let maxResults = Int(query["maxResults"] ?? "1000"), (1...1000).contains(maxResults) else {
                    return FakeGoogle.apiError(400, "Invalid argument: maxResults", status: "INVALID_ARGUMENT")
                }
                return page(project.buckets, query: query, limit: maxResults, kind: "storage#buckets", json: Self.json)
            case ("GET", "storage.googleapis.com", 5) where segments[0...2] == ["storage", "v1", "b"] && segments[4] == "iam":
                guard let bucket = s.projects.values.flatMap(\.buckets).first(where: { $0.name == segments[3] }) else {
                    return FakeGoogle.apiError(404, "The specified bucket does not exist.", status: "NOT_FOUND")
                }
                return FakeGoogle.answer(["kind": "storage#policy", "resourceId": "projects/_/buckets/\(bucket.name)", "version": 1, "etag": "CAE=",
                                          "bindings": bucket.bindings.keys.sorted().map { ["role": $0, "members": bucket.bindings[$0]!] }])
            case ("GET", "compute.googleapis.com", 6) where segments[0...2] == ["compute", "v1", "projects"] && segments[4...5] == ["global", "firewalls"]:
                guard let project = s.projects[segments[3]] else { return Self.denied("compute.firewalls.list") }
                guard let maxResults = Int(query["maxResults"] ?? "500"), (0...500).contains(maxResults) else {
                    return FakeGoogle.apiError(400, "Invalid value for field 'maxResults'", status: "INVALID_ARGUMENT")
                }
                var answer = page(project.firewalls, query: query, limit: maxResults, kind: "compute#firewallList") { Self.json($0, project: segments[3]) }
                if answer.status == 200, var body = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] {
                    body["id"] = "projects/\(segments[3])/global/firewalls"
                    body["selfLink"] = "https://www.googleapis.com/compute/v1/projects/\(segments[3])/global/firewalls"
                    answer = FakeGoogle.answer(body)
                }
                return answer
            case ("POST", "cloudresourcemanager.googleapis.com", 3) where segments[0...1] == ["v1", "projects"] && segments[2].hasSuffix(":getIamPolicy"):
                guard let project = s.projects[String(segments[2].dropLast(":getIamPolicy".count))] else {
                    return Self.denied("resourcemanager.projects.getIamPolicy")
                }
                var policy: [String: Any] = ["version": 1, "etag": "BwXhqDd2QQ0=",
                                             "bindings": [["role": "roles/owner", "members": ["user:ada@acme.example"]]]]
                if !project.auditConfigs.isEmpty {
                    policy["auditConfigs"] = project.auditConfigs.map { config in
                        ["service": config.service, "auditLogConfigs": config.logTypes.keys.sorted().map { type -> [String: Any] in
                            let exempted = config.logTypes[type] ?? []
                            return exempted.isEmpty ? ["logType": type] : ["logType": type, "exemptedMembers": exempted]
                        }] as [String: Any]
                    }
                }
                return FakeGoogle.answer(policy)
            default:
                return FakeGoogle.apiError(404, "Not Found", status: "NOT_FOUND")
            }
        }
    }

    /// One page of `all` after the offset the `pageToken` names, with a `nextPageToken` when more remain.
    private func page<T>(_ all: [T], query: [String: String], limit: Int, kind: String, json: (T) -> [String: Any]) -> HTTPResponse {
        guard let page = FakeGoogle.page(count: all.count, pageToken: query["pageToken"], limit: min(limit == 0 ? 500 : limit, pageSize),
                                         tokenPrefix: "Cg1") else {
            return FakeGoogle.apiError(400, "Invalid page token", status: "INVALID_ARGUMENT")
        }
        var body: [String: Any] = ["kind": kind]
        if !page.range.isEmpty { body["items"] = all[page.range].map(json) }
        if let next = page.next { body["nextPageToken"] = next }
        return FakeGoogle.answer(body)
    }

    /// Google's answer when the caller lacks `permission` on a project (or the project does not exist).
    static func denied(_ permission: String) -> HTTPResponse {
        FakeGoogle.apiError(403, "Permission '\(permission)' denied on resource (or it may not exist).", status: "PERMISSION_DENIED")
    }

    static func json(_ bucket: Bucket) -> [String: Any] {
        var fields: [String: Any] = [
            "kind": "storage#bucket", "id": bucket.name, "name": bucket.name, "selfLink": "https://www.googleapis.com/storage/v1/b/\(bucket.name)",
            "projectNumber": "123456789012", "metageneration": "1", "location": "US", "locationType": "multi-region", "storageClass": "STANDARD",
            "etag": "CAE=", "timeCreated": "2025-11-03T09:12:44.123Z", "updated": "2025-11-03T09:12:44.123Z",
            "iamConfiguration": ["bucketPolicyOnly": ["enabled": true], "uniformBucketLevelAccess": ["enabled": true],
                                 "publicAccessPrevention": bucket.publicAccessPrevention],
        ]
        if let key = bucket.kmsKeyName { fields["encryption"] = ["defaultKmsKeyName": key] }
        if !bucket.labels.isEmpty { fields["labels"] = bucket.labels }
        return fields
    }

    static func json(_ firewall: Firewall, project: String) -> [String: Any] {
        func entries(_ list: [(String, [String]?)]) -> [[String: Any]] {
            list.map { entry in entry.1.map { ["IPProtocol": entry.0, "ports": $0] } ?? ["IPProtocol": entry.0] }
        }
        var fields: [String: Any] = [
            "kind": "compute#firewall", "id": "\(firewall.name.unicodeScalars.reduce(1_000_000_000_000) { ($0 * 31 + Int($1.value)) % 9_000_000_000_000_000 })", "name": firewall.name,
            "creationTimestamp": "2025-10-01T08:00:00.000-07:00", "network": "https://www.googleapis.com/compute/v1/projects/\(project)/global/networks/default",
            "priority": 1000, "direction": firewall.direction, "disabled": firewall.disabled, "logConfig": ["enable": false],
            "selfLink": "https://www.googleapis.com/compute/v1/projects/\(project)/global/firewalls/\(firewall.name)",
        ]
        if firewall.direction == "INGRESS" { fields["sourceRanges"] = firewall.sourceRanges } else { fields["destinationRanges"] = firewall.sourceRanges }
        if !firewall.allowed.isEmpty { fields["allowed"] = entries(firewall.allowed) }
        if !firewall.denied.isEmpty { fields["denied"] = entries(firewall.denied) }
        return fields
    }
}
