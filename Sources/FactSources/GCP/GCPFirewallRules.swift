import Core
import Foundation

/// Ingress firewall rules of each project's VPC networks (CC6.6): `GET compute/v1/projects/P/global/firewalls`,
/// following `nextPageToken`.
///
/// Only enabled `INGRESS` rules count; `denied` entries and egress rules are ignored (a deny rule opens nothing).
/// Each `allowed` entry becomes one `NetworkRule` per port range: `"22"` → 22…22, `"1000-2000"` → 1000…2000, no
/// `ports` or protocol `all` → all ports. Protocols without ports (ICMP, ESP, AH …) are left out, since the exposure
/// check would read "no ports" as "all ports". Sources are `sourceRanges` (IPv4 and IPv6 CIDRs); a rule matching
/// only by source tag or service account has none.
struct GCPFirewallRules: Sendable {
    let client: GCPClient
    let projects: [String]

    private struct Page: Decodable {
        var kind: String?
        var items: [Firewall]?
        var nextPageToken: String?
    }

    private struct Firewall: Decodable {
        struct Allowed: Decodable {
            var IPProtocol: String
            var ports: [String]?
        }
        var name: String
        var direction: String?
        var disabled: Bool?
        var sourceRanges: [String]?
        var allowed: [Allowed]?
    }

    /// Protocols (by name or IANA number) whose rules carry ports.
    static let portProtocols: Set<String> = ["tcp", "udp", "sctp", "6", "17", "132"]

    func rules() async throws -> [NetworkRule] {
        var rules: [NetworkRule] = []
        for project in projects {
            let operation = "compute firewalls.list \(project)"
            let firewalls = try await PageTokens.collect(operation: operation, source: client.source, maxPages: GCPClient.maxPages) { token in
                var query = [URLQueryItem(name: "maxResults", value: "500")]
                if let token { query.append(URLQueryItem(name: "pageToken", value: token)) }
                let page = try await client.get(Page.self, base: client.computeURL, path: "/compute/v1/projects/\(GCPClient.segment(project))/global/firewalls",
                                                query: query, operation: operation)
                guard page.kind == "compute#firewallList" || page.items != nil else {
                    throw SourceError.unavailable(source: client.source, reason: "\(operation): the answer is not a firewall list")
                }
                return (page.items ?? [], page.nextPageToken)
            }
            // Compute's default direction is INGRESS.
            for firewall in firewalls where (firewall.direction ?? "INGRESS") == "INGRESS" && firewall.disabled != true {
                var index = 0
                for allowed in firewall.allowed ?? [] {
                    let proto = allowed.IPProtocol.lowercased()
                    guard proto == "all" || Self.portProtocols.contains(proto) else { continue }
                    var ranges: [(from: Int, to: Int)?] = [nil]
                    if proto != "all", let ports = allowed.ports, !ports.isEmpty {
                        ranges = try ports.map { try range($0, firewall: firewall.name, operation: operation) }
                    }
                    for range in ranges {
                        rules.append(NetworkRule(provider: "GCP", id: "\(project)/\(firewall.name)/\(index)", name: "\(firewall.name) (\(project), \(proto))",
                                                 fromPort: range?.from, toPort: range?.to, sources: firewall.sourceRanges ?? []))
                        index += 1
                    }
                }
            }
        }
        return rules
    }

    /// `"443"` or `"8000-8080"`; anything else is an error rather than a guess.
    private func range(_ text: String, firewall: String, operation: String) throws -> (from: Int, to: Int) {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if bounds.count == 1, let port = bounds[0], (0...65_535).contains(port) { return (port, port) }
        if bounds.count == 2, let from = bounds[0], let to = bounds[1], 0 <= from, from <= to, to <= 65_535 { return (from, to) }
        throw SourceError.unavailable(source: client.source, reason: "\(operation): firewall \(firewall) has a port `\(text)` that is not a port or a range")
    }
}

