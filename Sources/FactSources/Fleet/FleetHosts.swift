import Core
import Foundation

/// Fleet hosts as devices (CC6.7 disk encryption; policy results for the endpoint controls).
///
/// - Listing: `GET /api/v1/fleet/hosts?page=N&per_page=100&order_key=id&populate_policies=true&device_mapping=true`,
///   pages counted from 0 and followed until one holds fewer than 100 hosts. Ordering by id keeps pages stable while
///   hosts enrol. `device_mapping=true` puts each host's mapped e-mails in the list, so no per-host calls are needed.
/// - serial: `hardware_serial`; a host without one (a VM, some Linux boxes) is named by its osquery `uuid`, else
///   `fleet-host-{id}`, so every device keeps a distinct resource.
/// - name: `display_name`, else `computer_name`, else `hostname`.
/// - owner: the lower-cased e-mail of `device_mapping`, preferring the identity provider's (`mdm_idp_accounts`,
///   `idp`), then one set by hand (`custom…`), then a Google Chrome profile; nil without one.
/// - encrypted: `disk_encryption_enabled`. Fleet leaves it out when it does not know (no disk-encryption data from
///   the host yet); that counts as not encrypted, so the control asks rather than passes.
/// - platform: `darwin` → macOS, `windows` → Windows, Linux distributions (`ubuntu`, `rhel`, `debian`, …) → Linux,
///   `ios` → iOS, `ipados` → iPadOS, `chrome` → ChromeOS, `android` → Android; another value is kept as Fleet sends it.
/// - osVersion `os_version`; lastCheckIn `seen_time` (the host's last contact of any kind); managedBy `Fleet`.
/// - policies: `policies[]` name → `response == "pass"`; a policy with an empty or unknown response (not yet run on
///   the host) is left out rather than guessed.
/// - screenLock and apps stay nil: Fleet reports neither as a host field. EDR presence and screen lock are checked
///   through Fleet policies (e.g. one named "CrowdStrike Falcon running"), which land in `policies`.
struct FleetHosts: Sendable {
    let client: BearerTokenClient

    static let pageSize = 100
    static let linuxPlatforms: Set<String> = ["linux", "ubuntu", "debian", "rhel", "centos", "fedora", "amzn", "sles", "opensuse",
                                              "opensuse-leap", "opensuse-tumbleweed", "arch", "archarm", "manjaro", "gentoo", "kali",
                                              "pop", "linuxmint", "neon", "nixos", "void", "endeavouros", "tuxedo"]
    /// How much a `device_mapping` source is trusted for ownership: lower is better.
    static func ownerRank(_ source: String) -> Int {
        switch source.lowercased() {
        case "mdm_idp_accounts", "idp": 0
        case let custom where custom.hasPrefix("custom"): 1
        case "google_chrome_profiles": 2
        default: 3
        }
    }

    struct Page: Decodable, Sendable { var hosts: [Host] }

    struct Host: Decodable, Sendable {
        struct Policy: Decodable, Sendable { var name: String; var response: String? }
        struct Mapping: Decodable, Sendable { var email: String?; var source: String? }
        var id: Int
        var uuid: String?
        var hardware_serial: String?
        var display_name: String?
        var computer_name: String?
        var hostname: String?
        var platform: String?
        var os_version: String?
        var seen_time: String?
        var disk_encryption_enabled: Bool?
        var policies: [Policy]?
        var device_mapping: [Mapping]?
    }

    func devices() async throws -> [Device] {
        let operation = "Fleet list hosts"
        let hosts = try await client.pagedList(operation, path: "/api/v1/fleet/hosts", query: [
            URLQueryItem(name: "order_key", value: "id"), URLQueryItem(name: "populate_policies", value: "true"),
            URLQueryItem(name: "device_mapping", value: "true"),
        ], firstPage: 0, perPage: Self.pageSize) { try client.decode(Page.self, operation, $0).hosts }
        return try hosts.map { try device($0) }
    }

    func device(_ host: Host) throws -> Device {
        let lastCheckIn: Date?
        if let seen = JSONBody.text(host.seen_time) {
            guard let parsed = RFC3339Timestamp.parse(seen) else {
                throw SourceError.unavailable(source: client.source, reason: "Fleet list hosts: host \(host.id) has a malformed `seen_time`")
            }
            lastCheckIn = parsed
        } else {
            lastCheckIn = nil
        }
        let serial = JSONBody.text(host.hardware_serial) ?? JSONBody.text(host.uuid) ?? "fleet-host-\(host.id)"
        let name = JSONBody.text(host.display_name) ?? JSONBody.text(host.computer_name) ?? JSONBody.text(host.hostname) ?? serial
        var policies: [String: Bool] = [:]
        for policy in host.policies ?? [] {
            switch policy.response?.lowercased() {
            case "pass": policies[policy.name] = true
            case "fail": policies[policy.name] = false
            default: continue
            }
        }
        return Device(serial: serial, name: name, ownerEmail: Self.owner(host.device_mapping ?? []), encrypted: host.disk_encryption_enabled == true,
                      osVersion: host.os_version ?? "", lastCheckIn: lastCheckIn, platform: host.platform.map(Self.platform), managedBy: "Fleet",
                      screenLock: nil, apps: nil, policies: policies)
    }

    /// The display name of a Fleet `platform` value.
    static func platform(_ value: String) -> String {
        let key = value.lowercased()
        switch key {
        case "darwin": return "macOS"
        case "windows": return "Windows"
        case "ios": return "iOS"
        case "ipados": return "iPadOS"
        case "chrome": return "ChromeOS"
        case "android": return "Android"
        default: return linuxPlatforms.contains(key) ? "Linux" : value
        }
    }

    /// The most trusted mapped e-mail, lower-cased.
    static func owner(_ mappings: [Host.Mapping]) -> String? {
        let candidates = mappings.compactMap { mapping -> (rank: Int, email: String)? in
            guard let email = JSONBody.text(mapping.email), email.contains("@") else { return nil }
            return (ownerRank(mapping.source ?? ""), email.lowercased())
        }
        // `min` keeps the first of equal ranks: Fleet's own order breaks ties.
        return candidates.min { $0.rank < $1.rank }?.email
    }
}
