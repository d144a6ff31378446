import Foundation
import HTTP
import Synchronization

/// A transport that counts the requests passing through it by AWS API action (`s3 GetBucketEncryption`,
/// `iam GetCredentialReport`, …): how the benchmark and the tests show what a read costs.
package final class AWSRequestCounter: HTTPTransport {
    let base: any HTTPTransport
    private let counts = Mutex<[String: Int]>([:])
    package init(base: any HTTPTransport) { self.base = base }

    /// Requests so far, by action.
    package var byAction: [String: Int] { counts.withLock { $0 } }
    /// Requests so far, in all.
    package var requests: Int { byAction.values.reduce(0, +) }
    /// Requests so far to `service` (`iam`, `s3`, …).
    package func requests(to service: String) -> Int { byAction.filter { $0.key.hasPrefix(service + " ") }.values.reduce(0, +) }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let action = Self.action(of: request)
        counts.withLock { $0[action, default: 0] += 1 }
        return try await base.send(request)
    }

    /// The AWS API action a request calls, after the service of its SigV4 scope: the query protocol's `Action=`,
    /// the JSON protocol's `X-Amz-Target`, or S3's sub-resource (`?encryption` → GetBucketEncryption).
    package static func action(of request: HTTPRequest) -> String {
        let scope = request.header("Authorization")?.components(separatedBy: "Credential=").last?.split(separator: "/")
        let service = scope.flatMap { $0.count > 3 ? String($0[3]) : nil } ?? "?"
        if let target = request.header("X-Amz-Target") { return "\(service) \(target.split(separator: ".").last ?? "")" }
        if request.method == "POST", let form = String(data: request.body, encoding: .utf8),
           let action = form.split(separator: "&").first(where: { $0.hasPrefix("Action=") }) {
            return "\(service) \(action.dropFirst("Action=".count))"
        }
        let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.percentEncodedQuery ?? ""
        let sub = query.split(separator: "&").first.map { String($0.split(separator: "=").first ?? "") } ?? ""
        let named = ["encryption": "GetBucketEncryption", "policyStatus": "GetBucketPolicyStatus", "policy": "GetBucketPolicy",
                     "acl": "GetBucketAcl", "publicAccessBlock": "GetPublicAccessBlock", "location": "GetBucketLocation",
                     "continuation-token": "ListBuckets"]
        if sub.isEmpty { return "\(service) \(request.url.path == "/" || request.url.path.isEmpty ? "ListBuckets" : request.method)" }
        return "\(service) \(named[sub] ?? sub)"
    }
}
