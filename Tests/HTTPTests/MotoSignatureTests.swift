import Foundation
import HTTP
import Testing
import TestSupport

/// The signer against a real verifier: a moto server started by scripts/test with signature checking on
/// (INITIAL_NO_AUTH_ACTION_COUNT=3, PEERS.md). A correct signature is accepted; a wrong secret is refused.
@Suite("SigV4 against a signature-checking moto", .serialized)
struct MotoSignatureTests {
    static let endpoint = ProcessInfo.processInfo.environment["SOC2BOT_TEST_MOTO_AUTH_URL"].flatMap(URL.init(string:))

    /// An IAM query-API call (POST form), signed with `credentials`, sent through the production transport.
    func iam(_ action: String, _ parameters: String = "", as credentials: AWSCredentials) async throws -> HTTPResponse {
        let endpoint = try #require(Self.endpoint, "SOC2BOT_TEST_MOTO_AUTH_URL is not set: run the tests with scripts/test, which starts moto")
        var body = "Action=\(action)&Version=2010-05-08"
        if !parameters.isEmpty { body += "&" + parameters }
        var request = HTTPRequest(method: "POST", url: endpoint.appendingPathComponent("/"),
                                  headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                  body: Data(body.utf8), idempotent: true)
        SigV4Signer(credentials: credentials, region: "us-east-1", service: "iam").sign(&request, at: PeerTime.now())
        return try await URLSessionTransport(timeout: 10).send(request)
    }

    /// The text of the first `<name>…</name>` element (IAM answers XML; no namespace matching).
    func element(_ name: String, in body: Data) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }

    @Test func aCorrectSignatureIsAcceptedAndAWrongSecretIsRefused() async throws {
        let bootstrap = AWSCredentials(accessKeyID: "AKIDBOOTSTRAP", secretAccessKey: "bootstrap")
        let user = "soc2bot-sigv4-\(UInt32.random(in: 0...UInt32.max))"
        // The three free calls: create a user, give it a key, and allow it to list users (moto checks permissions
        // as well as signatures from then on).
        let created = try await iam("CreateUser", "UserName=\(user)", as: bootstrap)
        try #require(created.status == 200, "moto refused the free CreateUser (\(created.status)); it must be freshly started: run scripts/test")
        let keyResponse = try await iam("CreateAccessKey", "UserName=\(user)", as: bootstrap)
        #expect(keyResponse.status == 200)
        let keyID = try #require(element("AccessKeyId", in: keyResponse.body))
        let secret = try #require(element("SecretAccessKey", in: keyResponse.body))
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#
        let allowed = try await iam("PutUserPolicy", "UserName=\(user)&PolicyName=list-users&PolicyDocument=\(SigV4Signer.encode(policy, encodeSlash: true))", as: bootstrap)
        #expect(allowed.status == 200)

        // From here on moto checks every signature.
        let real = AWSCredentials(accessKeyID: keyID, secretAccessKey: secret)
        let accepted = try await iam("ListUsers", as: real)
        #expect(accepted.status == 200, "\(String(decoding: accepted.body, as: UTF8.self))")
        #expect(element("UserName", in: accepted.body) != nil)

        let wrongSecret = try await iam("ListUsers", as: AWSCredentials(accessKeyID: keyID, secretAccessKey: secret + "x"))
        #expect(wrongSecret.status == 403)
        #expect(String(decoding: wrongSecret.body, as: UTF8.self).contains("SignatureDoesNotMatch"))

        let unknownKey = try await iam("ListUsers", as: AWSCredentials(accessKeyID: "AKIDNOSUCHKEY0000000", secretAccessKey: secret))
        #expect(unknownKey.status == 403)
        #expect(String(decoding: unknownKey.body, as: UTF8.self).contains("InvalidClientTokenId"))
    }
}
