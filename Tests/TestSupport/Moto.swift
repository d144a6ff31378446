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
    package static func iam(_ action: String, _ parameters: [(String, String)]) async throws -> XMLElementNode {
        guard let base = endpoint, let url = URL(string: base) else { throw NotRunning() }
        let body = ([("Action", action), ("Version", "2010-05-08")] + parameters)
            .map { "\($0.0)=\(SigV4Signer.encode($0.1, encodeSlash: true))" }.joined(separator: "&")
        var request = HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(body.utf8))
        SigV4Signer(credentials: credentials, region: "us-east-1", service: "iam").sign(&request, at: Date())
        let response = try await URLSessionTransport(timeout: 10).send(request)
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else {
            throw Refused(description: "\(action): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self).prefix(300))")
        }
        return xml
    }
}
