import Core
import Foundation
import HTTP

/// CloudTrail trails and whether they are logging (CC7.2): `DescribeTrails` (shadow trails included, so an
/// organisation trail counts) and `GetTrailStatus` for each, in the first configured region.
struct CloudTrailStatus: Sendable {
    let client: AWSClient
    let region: String
    static let prefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
    /// The name reported when the account has no trail at all.
    static let noTrail = "(no trail)"

    func trails() async throws -> [AuditTrail] {
        let described = try await client.json(service: "cloudtrail", region: region, target: Self.prefix + "DescribeTrails",
                                              ["includeShadowTrails": true])
        guard let list = described["trailList"] as? [[String: Any]] else {
            throw SourceError.unavailable(source: client.source, reason: "CloudTrail DescribeTrails: no trailList in the answer")
        }
        var trails: [AuditTrail] = []
        for trail in list {
            guard let name = trail["Name"] as? String else { continue }
            let arn = trail["TrailARN"] as? String ?? name
            let status = try await client.json(service: "cloudtrail", region: region, target: Self.prefix + "GetTrailStatus", ["Name": arn])
            guard let logging = status["IsLogging"] as? Bool else {
                throw SourceError.unavailable(source: client.source, reason: "CloudTrail GetTrailStatus \(name): no IsLogging in the answer")
            }
            trails.append(AuditTrail(provider: "AWS", name: name, multiRegion: trail["IsMultiRegionTrail"] as? Bool ?? false, logging: logging))
        }
        if trails.isEmpty {
            // No trail at all is a finding, not "nothing to check": report a non-logging placeholder.
            trails.append(AuditTrail(provider: "AWS", name: Self.noTrail, multiRegion: false, logging: false))
        }
        return trails
    }
}
