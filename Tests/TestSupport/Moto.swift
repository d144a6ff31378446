import FactSources
import Foundation
import HTTP

/// The moto server scripts/test starts (`SOC2BOT_TEST_MOTO_URL`), seeded through the project's own signed client.
package enum Moto {
    package static let endpoint = ProcessInfo.processInfo.environment["SOC2BOT_TEST_MOTO_URL"]
    package static let credentials = AWSCredentials(accessKeyID: "AKIDSOC2BOTTEST", secretAccessKey: "test-secret")

    package struct NotRunning: Error, CustomStringConvertible {
        package init() {}
        package var description: String { "SOC2BOT_TEST_MOTO_URL is not set: run the tests with scripts/test, which starts moto" }
    }
    package struct Refused: Error, CustomStringConvertible { package let description: String }

    /// One signed IAM query-API call (`CreateUser`, `TagUser`, …); its XML answer.
    package static func iam(_ action: String, _ parameters: [(String, String)], as credentials: AWSCredentials = credentials) async throws -> XMLElementNode {
        try await query(service: "iam", action: action, version: "2010-05-08", parameters, as: credentials)
    }

    /// One signed query-protocol call (IAM, STS, EC2, RDS) in us-east-1; its XML answer.
    package static func query(service: String, action: String, version: String, _ parameters: [(String, String)],
                              as credentials: AWSCredentials = credentials) async throws -> XMLElementNode {
        let body = ([("Action", action), ("Version", version)] + parameters)
            .map { "\($0.0)=\(SigV4Signer.encode($0.1, encodeSlash: true))" }.joined(separator: "&")
        let response = try await send(service: service, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(body.utf8), as: credentials)
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else {
            throw Refused(description: "\(action): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self).prefix(300))")
        }
        return xml
    }

    /// One signed JSON-protocol call (KMS, CloudTrail) in us-east-1; its JSON answer.
    package static func json(service: String, target: String, _ body: [String: any Sendable], as credentials: AWSCredentials = credentials) async throws -> [String: Any] {
        let response = try await send(service: service, headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target)],
                                      body: try JSONSerialization.data(withJSONObject: body), as: credentials)
        // Some actions (EnableKeyRotation, DisableKey) answer 200 with an empty body or `null`.
        let parsed = response.body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: response.body, options: .fragmentsAllowed)
        guard response.status == 200, let object = parsed == nil || parsed is NSNull ? [:] : parsed as? [String: Any] else {
            throw Refused(description: "\(target): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self).prefix(300))")
        }
        return object
    }

    static func send(service: String, headers: [(String, String)], body: Data, as credentials: AWSCredentials) async throws -> HTTPResponse {
        guard let base = endpoint, let url = URL(string: base) else { throw NotRunning() }
        var request = HTTPRequest(method: "POST", url: url, headers: headers, body: body)
        SigV4Signer(credentials: credentials, region: "us-east-1", service: service).sign(&request, at: PeerTime.now())
        return try await URLSessionTransport(timeout: 10).send(request)
    }

    /// A member account of its own: `AssumeRole` into a random 12-digit account, whose state moto keeps apart from
    /// every other account's (account-wide settings such as the password policy cannot collide between tests).
    package static func freshAccount() async throws -> (account: String, roleARN: String, credentials: AWSCredentials) {
        let account = String(UInt64.random(in: 100_000_000_000...999_999_999_999))
        let role = "arn:aws:iam::\(account):role/soc2bot-audit"
        let xml = try await query(service: "sts", action: "AssumeRole", version: "2011-06-15", [("RoleArn", role), ("RoleSessionName", "soc2bot-test")])
        guard let key = xml.descendants("AccessKeyId").first?.text, let secret = xml.descendants("SecretAccessKey").first?.text else {
            throw Refused(description: "AssumeRole: no credentials")
        }
        return (account, role, AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: xml.descendants("SessionToken").first?.text))
    }
}
