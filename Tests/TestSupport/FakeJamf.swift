import Foundation
import HTTP
import Synchronization

/// An in-process Jamf Pro server speaking the documented Jamf Pro API wire format for what the Jamf source reads:
/// - `POST {base}/api/oauth/token` (form: `client_id`, `client_secret`, `grant_type=client_credentials`): a wrong
///   client or secret is 401 `{"error": "invalid_client"}`, another grant type 400 `unsupported_grant_type`;
///   answers `{"access_token", "scope", "token_type", "expires_in"}`.
/// - `GET {base}/api/v1/computers-inventory?section=…&page=N&page-size=S&sort=id:asc`, needing a bearer token this
///   fake issued (else 401 `INVALID_TOKEN` in the `{"httpStatus", "errors": [{"code", "description", "id",
///   "field"}]}` envelope); `page-size` above 2,000 is 400 `INVALID_FIELD`; sections not asked for are null;
///   `totalCount` counts every computer; 403 `INVALID_PRIVILEGE` without the privilege Read Computers (`forbidden`).
/// Failure modes on cue for inventory calls, in order, each optionally held back until a given page is asked for:
/// 429 or 503 with or without Retry-After, 5xx, a malformed body, an expired token, an empty page.
package final class FakeJamf: HTTPTransport {
    package enum Failure: Sendable {
        case tooManyRequests(retryAfter: Int?), serviceUnavailable(retryAfter: Int?), serverError(Int), malformed
        /// Every issued token expires before this call: it answers 401 `INVALID_TOKEN`.
        case expiredToken
        /// The page comes back with no computers but the full `totalCount`.
        case emptyPage
    }

    /// A computer in the inventory.
    package struct Computer: Sendable {
        package var id: Int
        package var name: String
        /// `hardware.serialNumber`; nil is null.
        package var serial: String?
        /// `userAndLocation.email`; `""` is Jamf's "no user assigned".
        package var email: String
        /// `diskEncryption.bootPartitionEncryptionDetails.partitionFileVault2State`; nil leaves the details null.
        package var bootPartitionState: String?
        /// `operatingSystem.fileVault2Status`.
        package var fileVault2Status: String
        package var osVersion: String
        /// `general.lastContactTime`; nil is null.
        package var lastContactTime: String?
        package var apps: [String]
        package init(id: Int, _ name: String, serial: String?, email: String = "", bootPartitionState: String? = "ENCRYPTED",
                     fileVault2Status: String = "BOOT_ENCRYPTED", osVersion: String = "14.4.1", lastContactTime: String? = "2026-03-01T08:15:30.123Z",
                     apps: [String] = ["Google Chrome.app", "Slack.app"]) {
            self.id = id; self.name = name; self.serial = serial; self.email = email; self.bootPartitionState = bootPartitionState
            self.fileVault2Status = fileVault2Status; self.osVersion = osVersion; self.lastContactTime = lastContactTime; self.apps = apps
        }
    }

    package static let host = "acme.jamfcloud.com"

    struct State {
        var computers: [Computer]
        var forbidden: Bool
        var failures: [(page: Int?, failure: Failure)] = []
        var tokens: Set<String> = []
        var issued = 0
        var tokenRequests = 0
        var refusals: [String] = []
        var calls: [String] = []
    }

    let clientID: String
    let clientSecret: String
    /// `expires_in` of issued tokens, in seconds.
    let tokenLifetime: Int
    private let state: Mutex<State>

    package init(clientID: String = "b6c1e2d3-4f5a-4b6c-8d7e-9f0a1b2c3d4e", clientSecret: String = "jamf+Secret&with=odd~chars",
                 computers: [Computer], tokenLifetime: Int = 1199, forbidden: Bool = false) {
        self.clientID = clientID; self.clientSecret = clientSecret; self.tokenLifetime = tokenLifetime
        state = Mutex(State(computers: computers, forbidden: forbidden))
    }

    /// Cues `failures` for the coming inventory calls; with `onPage`, the first waits until that page is asked for.
    package func failNext(_ failures: [Failure], onPage page: Int? = nil) {
        state.withLock { s in s.failures += failures.enumerated().map { ($0.offset == 0 ? page : nil, $0.element) } }
    }
    /// Forgets every issued token: the next inventory call answers 401.
    package func revokeTokens() { state.withLock { $0.tokens = [] } }
    package var tokenRequests: Int { state.withLock { $0.tokenRequests } }
    /// The `error` codes of refused token requests, in order.
    package var refusals: [String] { state.withLock { $0.refusals } }
    /// Inventory calls as `path?query` (query decoded, in the request's order).
    package var calls: [String] { state.withLock { $0.calls } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
            guard request.url.host == Self.host else { return HTTPResponse(status: 404, body: Data("not Jamf".utf8)) }
            switch (request.method, request.url.path) {
            case ("POST", "/api/oauth/token"): return token(request, &s)
            case ("GET", "/api/v1/computers-inventory"): return inventory(request, &s)
            default: return Self.apiError(404, "NOT_FOUND", "Not Found")
            }
        }
    }

    private func token(_ request: HTTPRequest, _ s: inout State) -> HTTPResponse {
        s.tokenRequests += 1
        func refuse(_ status: Int, _ error: String) -> HTTPResponse {
            s.refusals.append(error)
            return Self.json(["error": error], status: status)
        }
        guard request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true else { return refuse(400, "invalid_request") }
        let form = FakeSlackForm.decode(request.body)
        guard form["grant_type"] == "client_credentials" else { return refuse(400, "unsupported_grant_type") }
        guard form["client_id"] == clientID, form["client_secret"] == clientSecret else { return refuse(401, "invalid_client") }
        s.issued += 1
        let token = "eyJhbGciOiJSUzI1NiJ9.fake-jamf-token-\(s.issued)"
        s.tokens.insert(token)
        return Self.json(["access_token": token, "scope": "api-role:4", "token_type": "Bearer", "expires_in": tokenLifetime])
    }

    private func inventory(_ request: HTTPRequest, _ s: inout State) -> HTTPResponse {
        let items = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        s.calls.append(request.url.path + (items.isEmpty ? "" : "?" + items.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")))
        let page = items.last { $0.name == "page" }.flatMap { $0.value.flatMap(Int.init) } ?? 0
        var empty = false
        if let cue = s.failures.first, cue.page == nil || cue.page == page {
            s.failures.removeFirst()
            switch cue.failure {
            case .tooManyRequests(let seconds):
                return Self.apiError(429, "TOO_MANY_REQUESTS", "Too many requests", headers: seconds.map { ["Retry-After": "\($0)"] } ?? [:])
            case .serviceUnavailable(let seconds):
                return Self.apiError(503, "SERVICE_UNAVAILABLE", "Service Unavailable", headers: seconds.map { ["Retry-After": "\($0)"] } ?? [:])
            case .serverError(let status): return Self.apiError(status, "INTERNAL_SERVER_ERROR", "An unexpected error occurred")
            case .malformed: return HTTPResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>Jamf Pro is starting up</html>".utf8))
            case .expiredToken: s.tokens = []
            case .emptyPage: empty = true
            }
        }
        guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "), s.tokens.contains(String(auth.dropFirst(7))) else {
            return Self.apiError(401, "INVALID_TOKEN", "Unauthorized")
        }
        if s.forbidden { return Self.apiError(403, "INVALID_PRIVILEGE", "Forbidden") }
        let size = items.last { $0.name == "page-size" }.flatMap { $0.value.flatMap(Int.init) } ?? 100
        guard (1...2000).contains(size) else {
            return Self.apiError(400, "INVALID_FIELD", "page-size must be between 1 and 2000", field: "page-size")
        }
        let sections = Set(items.filter { $0.name == "section" }.compactMap(\.value))
        let sorted = s.computers.sorted { $0.id < $1.id }
        let slice = empty ? [] : Array(sorted.dropFirst(page * size).prefix(size))
        return Self.json(["totalCount": sorted.count, "results": slice.map { Self.record($0, sections: sections.isEmpty ? ["GENERAL"] : sections) }])
    }

    /// A computer as the inventory serves it: the asked-for sections filled, the others null.
    static func record(_ c: Computer, sections: Set<String>) -> [String: Any] {
        func section(_ name: String, _ value: @autoclosure () -> Any) -> Any { sections.contains(name) ? value() : NSNull() }
        let partition: Any = c.bootPartitionState.map {
            ["partitionName": "Macintosh HD (Boot Partition)", "partitionFileVault2State": $0, "partitionFileVault2Percent": $0 == "ENCRYPTED" ? 100 : 0]
        } ?? NSNull()
        return [
            "id": "\(c.id)", "udid": "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F\(c.id % 10)",
            "general": section("GENERAL", [
                "name": c.name, "platform": "Mac", "lastContactTime": c.lastContactTime as Any? ?? NSNull(), "lastIpAddress": "203.0.113.7",
                "jamfBinaryVersion": "11.4.1-t1712591696", "remoteManagement": ["managed": true, "managementUsername": "jamfadmin"] as [String: Any],
                "supervised": true, "mdmCapable": ["capable": true, "capableUsers": [String]()] as [String: Any],
            ] as [String: Any]),
            "hardware": section("HARDWARE", [
                "make": "Apple", "model": "MacBook Pro (14-inch, 2023)", "serialNumber": c.serial as Any? ?? NSNull(), "processorType": "Apple M3 Pro",
            ] as [String: Any]),
            "diskEncryption": section("DISK_ENCRYPTION", [
                "bootPartitionEncryptionDetails": partition, "individualRecoveryKeyValidityStatus": "VALID", "institutionalRecoveryKeyPresent": false,
                "diskEncryptionConfigurationName": "FileVault 2", "fileVault2EnabledUserNames": ["admin"], "fileVault2EligibilityMessage": "Eligible",
            ] as [String: Any]),
            "operatingSystem": section("OPERATING_SYSTEM", [
                "name": "macOS", "version": c.osVersion, "build": "23E224", "supplementalBuildVersion": NSNull(), "rapidSecurityResponse": NSNull(),
                "activeDirectoryStatus": "Not Bound", "fileVault2Status": c.fileVault2Status, "extensionAttributes": [Any](),
            ] as [String: Any]),
            "userAndLocation": section("USER_AND_LOCATION", [
                "username": c.email.split(separator: "@").first.map(String.init) ?? "", "realname": "", "email": c.email, "position": "",
                "phone": "", "departmentId": "-1", "buildingId": "-1", "room": "", "extensionAttributes": [Any](),
            ] as [String: Any]),
            "applications": section("APPLICATIONS", c.apps.map {
                ["name": $0, "path": "/Applications/\($0)", "version": "1.0", "macAppStore": false, "sizeMegabytes": 120, "updateAvailable": false] as [String: Any]
            }),
            "security": section("SECURITY", ["sipStatus": "ENABLED", "gatekeeperStatus": "APP_STORE_AND_IDENTIFIED_DEVELOPERS", "firewallEnabled": true] as [String: Any]),
        ]
    }

    /// The Jamf Pro API's error envelope.
    static func apiError(_ status: Int, _ code: String, _ description: String, field: String? = nil, headers: [String: String] = [:]) -> HTTPResponse {
        json(["httpStatus": status, "errors": [["code": code, "description": description, "id": "0", "field": field as Any? ?? NSNull()] as [String: Any]]],
             status: status, headers: headers)
    }

    static func json(_ object: [String: Any], status: Int = 200, headers: [String: String] = [:]) -> HTTPResponse {
        FakeMicrosoftIdentity.json(object, status: status, headers: headers, contentType: "application/json;charset=UTF-8")
    }
}
