import Core
import Foundation
import HTTP

/// When and by whom a resource was put in its current state, from CloudTrail's 90-day event history
/// (`LookupEvents` by resource name, newest first): the start of a failure for MTTD, and the "who, which API call"
/// an alert shows. An enrichment: when the history cannot be read (no `cloudtrail:LookupEvents` permission,
/// throttling, an emulator without it) the failure is still reported, dated by the bot's own runs.
struct CloudTrailChanges: Sendable {
    let client: AWSClient
    /// Pages of 50 events read per resource before giving up.
    var pages = 2

    /// The API calls that can break each kind of control, by resource kind.
    static let bucketEvents: Set<String> = ["CreateBucket", "DeleteBucketEncryption", "PutBucketEncryption", "PutBucketPolicy", "PutBucketAcl",
                                            "DeleteBucketPublicAccessBlock", "PutBucketPublicAccessBlock", "DeletePublicAccessBlock",
                                            "PutPublicAccessBlock"]
    static let securityGroupEvents: Set<String> = ["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules", "CreateSecurityGroup"]
    static let trailEvents: Set<String> = ["StopLogging", "UpdateTrail", "DeleteTrail", "CreateTrail"]

    /// The newest event on `resource` whose name is in `events`, or nil when the history has none. Throws when the
    /// history cannot be read.
    func lastChange(resource: String, region: String, events: Set<String>) async throws -> ChangeEvent? {
        var token: String?
        for _ in 0..<pages {
            var body: [String: any Sendable] = ["LookupAttributes": [["AttributeKey": "ResourceName", "AttributeValue": resource]], "MaxResults": 50]
            if let token { body["NextToken"] = token }
            let page = try await client.json(service: "cloudtrail", region: region, target: CloudTrailStatus.prefix + "LookupEvents", body)
            guard let list = page["Events"] as? [[String: Any]] else {
                throw SourceError.unavailable(source: client.source, reason: "CloudTrail LookupEvents: no Events in the answer")
            }
            for event in list {
                guard let name = event["EventName"] as? String, events.contains(name), let at = Self.time(event["EventTime"]) else { continue }
                return ChangeEvent(at: at, actor: event["Username"] as? String ?? "unknown principal", action: name)
            }
            token = page["NextToken"] as? String
            if token == nil { break }
        }
        return nil
    }

    /// CloudTrail's JSON protocol sends timestamps as epoch seconds.
    static func time(_ value: Any?) -> Date? {
        if let seconds = value as? Double { return Date(timeIntervalSince1970: seconds) }
        if let seconds = value as? Int { return Date(timeIntervalSince1970: TimeInterval(seconds)) }
        return (value as? String).flatMap(TimeText.parse)
    }
}
