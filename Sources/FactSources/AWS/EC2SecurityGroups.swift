import Core
import Foundation
import HTTP

/// Inbound security-group rules in each region (CC6.6): `DescribeSecurityGroups`, following `nextToken`.
/// EC2 lists use lower-case `item` elements: `ipPermissions/item/ipRanges/item/cidrIp`.
struct EC2SecurityGroups: Sendable {
    let client: AWSClient
    let regions: [String]

    func rules() async throws -> [NetworkRule] {
        var rules: [NetworkRule] = []
        for region in regions {
            rules += try await PageTokens.collect(operation: "EC2 DescribeSecurityGroups", source: client.source, maxPages: AWSClient.maxPages) { token in
                var parameters: [(String, String)] = [("MaxResults", "1000")]
                if let token { parameters.append(("NextToken", token)) }
                let xml = try await client.query(service: "ec2", region: region, action: "DescribeSecurityGroups", version: "2016-11-15", parameters)
                guard xml.name == "DescribeSecurityGroupsResponse" else {
                    throw SourceError.unavailable(source: client.source, reason: "EC2 DescribeSecurityGroups: unexpected answer <\(xml.name)>")
                }
                var page: [NetworkRule] = []
                for group in xml.all(path: ["securityGroupInfo", "item"]) {
                    let id = group.value("groupId") ?? "?"
                    let name = group.value("groupName") ?? id
                    for (index, permission) in group.all(path: ["ipPermissions", "item"]).enumerated() {
                        let sources = permission.all(path: ["ipRanges", "item"]).compactMap { $0.value("cidrIp") }
                            + permission.all(path: ["ipv6Ranges", "item"]).compactMap { $0.value("cidrIpv6") }
                        let ipProtocol = permission.value("ipProtocol") ?? "-1"
                        let allTraffic = ipProtocol == "-1" || ipProtocol == "all"
                        page.append(NetworkRule(
                            provider: "AWS", id: "\(region)/\(id)/\(index)", name: "\(name) (\(id), \(region))",
                            fromPort: allTraffic ? nil : permission.value("fromPort").flatMap(Int.init),
                            toPort: allTraffic ? nil : permission.value("toPort").flatMap(Int.init), sources: sources,
                            protocolName: Self.protocolName(ipProtocol)))
                    }
                }
                return (page, xml.value("nextToken"))
            }
        }
        return rules
    }

    /// EC2's `ipProtocol` as people say it: a name (`tcp`) or an IANA number (`6`); `-1` is all traffic.
    static func protocolName(_ ipProtocol: String) -> String {
        switch ipProtocol.lowercased() {
        case "-1", "all": "all traffic"
        case "tcp", "6": "TCP"
        case "udp", "17": "UDP"
        case "icmp", "1": "ICMP"
        case "icmpv6", "58": "ICMPv6"
        case let other: "protocol \(other)"
        }
    }
}
