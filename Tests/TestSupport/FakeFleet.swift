import Foundation
import HTTP
import Synchronization

/// An in-process Fleet server speaking the documented REST format for what the bot reads:
/// - every call needs `Authorization: Bearer <token>`, else 401 `{"message":"Authentication required","errors":[…]}`.
/// - `GET /api/v1/fleet/hosts?page=N&per_page=M`: `{"hosts": [...]}`, pages from 0, in id order. Each host carries
///   Fleet's host fields (`id`, `uuid`, `hardware_serial`, `display_name`, `computer_name`, `hostname`, `platform`,
///   `os_version`, `seen_time`, `disk_encryption_enabled` — left out when unknown); `policies` (`id`, `name`,
///   `response`) only with `populate_policies=true`, and `device_mapping` (`email`, `source`, null when there is
///   none) only with `device_mapping=true`, as Fleet does.
/// - Any other path is 404.
/// - Failures on cue (see `FakePagedAPI`): 429 or 503 with `Retry-After`, a 5xx, a malformed body, a refused page.
package final class FakeFleet: FakePagedService {
    package struct Policy: Sendable {
        package var name: String
        /// `pass`, `fail`, or `""` when the policy has not run on the host yet.
        package var response: String
        package init(_ name: String, _ response: String) { self.name = name; self.response = response }
    }

    package struct Host: Sendable {
        package var id: Int
        package var uuid: String
        package var serial: String
        package var displayName: String
        package var computerName: String
        package var hostname: String
        package var platform: String
        package var osVersion: String
        package var seenTime: String
        /// nil: Fleet does not know, and leaves the field out.
        package var diskEncryption: Bool?
        package var policies: [Policy]
        /// (email, source) pairs, e.g. `("ada@acme.example", "google_chrome_profiles")`.
        package var mappings: [(email: String, source: String)]
        package init(id: Int, serial: String, displayName: String? = nil, computerName: String? = nil, hostname: String? = nil,
                     platform: String = "darwin", osVersion: String = "macOS 15.1.1", seenTime: String = "2026-03-01T09:30:00Z",
                     diskEncryption: Bool? = true, policies: [Policy] = [], mappings: [(email: String, source: String)] = [],
                     uuid: String? = nil) {
            self.id = id; self.serial = serial; self.displayName = displayName ?? "Host \(id)"; self.computerName = computerName ?? "host-\(id)"
            self.hostname = hostname ?? "host-\(id).local"; self.platform = platform; self.osVersion = osVersion; self.seenTime = seenTime
            self.diskEncryption = diskEncryption; self.policies = policies; self.mappings = mappings
            self.uuid = uuid ?? String(format: "00000000-0000-4000-8000-%012d", id)
        }
    }

    package let api: FakePagedAPI
    private let hostList: Mutex<[Host]>

    package init(token: String = "fleet-test-token", hosts: [Host] = []) {
        api = FakePagedAPI(token: token, firstPage: 0, defaultPerPage: 100, maxPerPage: 10_000,
                           unauthorized: #"{"message":"Authentication required","errors":[{"name":"base","reason":"Authentication required"}],"uuid":"5e1f0d2c"}"#)
        hostList = Mutex(hosts)
    }

    package var hosts: [Host] {
        get { hostList.withLock { $0 } }
        set { hostList.withLock { $0 = newValue } }
    }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.url.path == "/api/v1/fleet/hosts" else {
            return FakePagedAPI.json(404, ["message": "Resource Not Found", "errors": [["name": "base", "reason": "not found"]]])
        }
        let query = Dictionary((URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []).map { ($0.name, $0.value ?? "") },
                               uniquingKeysWith: { _, last in last })
        let withPolicies = query["populate_policies"] == "true"
        let withMapping = query["device_mapping"] == "true"
        return api.answer(request, rows: self.hosts.sorted { $0.id < $1.id }.map { Self.row($0, policies: withPolicies, mapping: withMapping) },
                          envelope: { ["hosts": $0] })
    }

    static func row(_ host: Host, policies: Bool, mapping: Bool) -> [String: Any] {
        var row: [String: Any] = [
            "id": host.id, "uuid": host.uuid, "hardware_serial": host.serial, "display_name": host.displayName,
            "computer_name": host.computerName, "hostname": host.hostname, "platform": host.platform, "os_version": host.osVersion,
            "seen_time": host.seenTime, "status": "online", "team_id": NSNull(), "osquery_version": "5.12.1",
            "issues": ["failing_policies_count": host.policies.filter { $0.response == "fail" }.count],
        ]
        if let encrypted = host.diskEncryption { row["disk_encryption_enabled"] = encrypted }
        if policies {
            row["policies"] = host.policies.enumerated().map { index, policy in
                ["id": index + 1, "name": policy.name, "query": "SELECT 1;", "critical": false, "response": policy.response] as [String: Any]
            }
        }
        if mapping {
            row["device_mapping"] = host.mappings.isEmpty ? NSNull() : host.mappings.map { ["email": $0.email, "source": $0.source] } as Any
        }
        return row
    }
}
