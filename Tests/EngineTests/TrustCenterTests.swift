import Core
import Crypto
import Engine
import Foundation
import Reports
import Sockets
import Store
import Testing

/// The public trust-center feed: posture by criterion without resource names, signed with Ed25519, verifiable with
/// the served public key (and with openssl, as the page says).
@Suite("Trust-center feed")
struct TrustCenterTests {
    @Test func theFeedIsSignedAndNamesNoResource() async throws {
        let engine = try EngineFixtures.engine()
        let control = EngineFixtures.config().controls[0]
        let t0 = Date(timeIntervalSince1970: 1_772_438_400)
        try engine.reconcile(control, results: [EngineFixtures.result("s3:customer-exports", .fail), EngineFixtures.result("s3:logs", .pass)], at: t0)
        let (key, pem) = TrustCenter.generate()
        let clock = VirtualClock(start: t0)
        let routes = InboundRoutes(trustCenter: TrustCenterEndpoint(engine: engine, clock: clock, center: try TrustCenter(base64Key: key)))
        func get(_ path: String) async -> HTTPServerResponse { await routes.handle(HTTPServerRequest(method: "GET", path: path)) }

        let json = await get("/trust-center.json")
        #expect(json.status == 200)
        let text = String(decoding: json.body, as: UTF8.self)
        #expect(text.contains("\"criterion\":\"CC6.1\"") && text.contains("\"status\":\"attention\""))
        #expect(!text.contains("customer-exports") && !text.contains("s3:"), "no resource names in public")
        let signature = await get("/trust-center.json.sig").body
        #expect(signature.count == 64)
        #expect(json.headers.contains { $0.name == "X-Soc2bot-Signature" && $0.value == "ed25519=" + signature.base64EncodedString() })
        let served = String(decoding: await get("/trust-center.pub").body, as: UTF8.self)
        #expect(served == pem)

        // Verify with the public key from the PEM, as a customer would.
        let der = try #require(Data(base64Encoded: String(served.split(separator: "\n")[1])))
        let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32))
        #expect(publicKey.isValidSignature(signature, for: json.body))
        var tampered = json.body
        tampered[tampered.startIndex + 5] ^= 0x01
        #expect(!publicKey.isValidSignature(signature, for: tampered), "a changed feed fails verification")

        // And with openssl, the command the page shows, where openssl is installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try json.body.write(to: dir.appendingPathComponent("feed.json"))
            try signature.write(to: dir.appendingPathComponent("feed.sig"))
            try served.write(to: dir.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.currentDirectoryURL = dir
            openssl.arguments = ["pkeyutl", "-verify", "-pubin", "-inkey", "key.pem", "-rawin", "-in", "feed.json", "-sigfile", "feed.sig"]
            openssl.standardOutput = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            #expect(openssl.terminationStatus == 0, "openssl verifies the feed")
        }

        let page = String(decoding: await get("/trust-center").body, as: UTF8.self)
        #expect(page.contains("CC6.1") && page.contains("attention") && !page.contains("customer-exports"))
        #expect(throws: TrustCenter.KeyError.self) { try TrustCenter(base64Key: "not a key") }
        #expect(await InboundRoutes().handle(HTTPServerRequest(method: "GET", path: "/trust-center.json")).status == 404)
    }
}
