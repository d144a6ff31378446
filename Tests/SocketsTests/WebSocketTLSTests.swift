import Foundation
import Testing
@testable import Sockets

/// A self-signed test certificate (its own CA) and key, written to a temporary directory for lws to load.
///
/// Embedded rather than made with the `openssl` tool at run time: spawning a process from a multi-threaded test
/// run hung the run under TSan. EC P-256, valid 2020-01-01 to 2120-01-01, test use only.
struct TestCertificate: Sendable {
    var certificateFile: String
    var keyFile: String

    /// Subject alternative names `DNS:localhost, IP:127.0.0.1`.
    static let loopback = (certificate: """
        -----BEGIN CERTIFICATE-----
        MIIBcjCCARmgAwIBAgIUX6EEIo4p6xfngj1WGCm/ODFuDYUwCgYIKoZIzj0EAwIw
        IDEeMBwGA1UEAwwVc29jMmJvdCB0ZXN0IGxvb3BiYWNrMCAXDTIwMDEwMTAwMDAw
        MFoYDzIxMjAwMTAxMDAwMDAwWjAgMR4wHAYDVQQDDBVzb2MyYm90IHRlc3QgbG9v
        cGJhY2swWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASxYDP2kje3duBO7QPgXS8g
        WOurgHyI+SzVWtoE9K0eiLnD2ONQqNAGgGLoB0g8SvfarW2znTufUEjpSvMgUslp
        oy8wLTAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwDwYDVR0TAQH/BAUwAwEB
        /zAKBggqhkjOPQQDAgNHADBEAiBqNMVhUMNcABDdTmY39sfy6Crvrmf/+IFr8s90
        HR+c2wIgTOvB2EJhr3hX6m8PZlHYQ6dsW6bI+plzT23l4Te+IGQ=
        -----END CERTIFICATE-----
        """, key: """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYHa950oZOM5HsCAl
        Bk1ST3Y4XGu49EypMtguDX0/5aihRANCAASxYDP2kje3duBO7QPgXS8gWOurgHyI
        +SzVWtoE9K0eiLnD2ONQqNAGgGLoB0g8SvfarW2znTufUEjpSvMgUslp
        -----END PRIVATE KEY-----
        """)

    /// Subject alternative name `DNS:other.example` only.
    static let otherName = (certificate: """
        -----BEGIN CERTIFICATE-----
        MIIBdTCCARugAwIBAgIUDZB4OI2Ti1W7nDEgoTwVhHGfyCQwCgYIKoZIzj0EAwIw
        IjEgMB4GA1UEAwwXc29jMmJvdCB0ZXN0IG90aGVyIG5hbWUwIBcNMjAwMTAxMDAw
        MDAwWhgPMjEyMDAxMDEwMDAwMDBaMCIxIDAeBgNVBAMMF3NvYzJib3QgdGVzdCBv
        dGhlciBuYW1lMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQwIDy8vZ6/rwzOwG
        M9E/MaJBU8UMkbDDCsCmGk/r76oDZHFIh1O14uLf4BzlYTFOd+m211I+ES/mkVZ6
        7zVd8qMtMCswGAYDVR0RBBEwD4INb3RoZXIuZXhhbXBsZTAPBgNVHRMBAf8EBTAD
        AQH/MAoGCCqGSM49BAMCA0gAMEUCIQC4EzXg+J538OE0yid5d0cyFZuhKJvOykVP
        geJlZVEfOgIgNusFR+fhcXABX8poWgpHWpqkB+TTxS2qCRgF7a9H+JI=
        -----END CERTIFICATE-----
        """, key: """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQga6LSU3jigIrzjVk+
        jKMA36cWqn2lgk+Q+R1TctUC/pahRANCAARDAgPLy9nr+vDM7AYz0T8xokFTxQyR
        sMMKwKYaT+vvqgNkcUiHU7Xi4t/gHOVhMU536bbXUj4RL+aRVnrvNV3y
        -----END PRIVATE KEY-----
        """)

    static func write(_ pem: (certificate: String, key: String)) throws -> TestCertificate {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sockets-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem")
        let key = directory.appendingPathComponent("key.pem")
        try Data((pem.certificate + "\n").utf8).write(to: certificate)
        try Data((pem.key + "\n").utf8).write(to: key)
        return TestCertificate(certificateFile: certificate.path, keyFile: key.path)
    }

    /// Deletes the temporary directory.
    func remove() {
        try? FileManager.default.removeItem(atPath: (certificateFile as NSString).deletingLastPathComponent)
    }
}

/// Serialized: each test starts a TLS server, and creating any TLS context moves lws' process-wide OpenSSL indexes
/// (see `WebSocketClientService`), which must not happen during another test's handshake.
@Suite("WebSocket over TLS", .serialized)
struct WebSocketTLSTests {
    /// A TLS echo server on /ws with `certificate`.
    func withTLSEchoServer(_ certificate: TestCertificate,
                           _ body: (HTTPServer, EventRecorder<WebSocketServerEvent>) async throws -> Void) async throws {
        let tls = HTTPServer.TLSIdentity(certificateFile: certificate.certificateFile,
                                         privateKeyFile: certificate.keyFile)
        try await withEchoServer(.init(webSocketPaths: ["/ws"], tls: tls), body)
    }

    @Test func wssEchoesWhenTheCertificateVerifies() async throws {
        let certificate = try TestCertificate.write(TestCertificate.loopback)
        defer { certificate.remove() }
        try await withTLSEchoServer(certificate) { server, _ in
            let client = WebSocketClient(url: URL(string: "wss://127.0.0.1:\(server.port)/ws?ticket=t")!,
                                         caFile: certificate.certificateFile)
            try await client.connect(timeout: 5)
            defer { client.close() }
            let messages = EventRecorder(client.messages)
            let big = String(repeating: "s", count: 70_000)
            try await client.send("echo over tls")
            try await client.send("echo " + big)
            #expect(await messages.first { $0 == .text("over tls") } != nil)
            #expect(await messages.first { $0 == .text(big) } != nil)
        }
    }

    @Test func wssRefusesACertificateNotSignedByATrustedCA() async throws {
        let certificate = try TestCertificate.write(TestCertificate.loopback)
        defer { certificate.remove() }
        try await withTLSEchoServer(certificate) { server, _ in
            // No caFile: the system store, which does not know this self-signed certificate.
            let client = WebSocketClient(url: URL(string: "wss://127.0.0.1:\(server.port)/ws")!)
            await #expect {
                try await client.connect(timeout: 5)
            } throws: { error in
                if case SocketError.tlsFailed(_, let reason) = error { return reason.contains("self-signed") }
                Issue.record("expected tlsFailed, got \(error)")
                return false
            }
        }
    }

    @Test func wssRefusesACertificateForAnotherName() async throws {
        let certificate = try TestCertificate.write(TestCertificate.otherName)
        defer { certificate.remove() }
        try await withTLSEchoServer(certificate) { server, _ in
            let client = WebSocketClient(url: URL(string: "wss://127.0.0.1:\(server.port)/ws")!,
                                         caFile: certificate.certificateFile)
            await #expect {
                try await client.connect(timeout: 5)
            } throws: { error in
                if case SocketError.tlsFailed(_, let reason) = error { return reason.contains("mismatch") }
                Issue.record("expected tlsFailed, got \(error)")
                return false
            }
        }
    }
}

/// The private-CA setting (`SOC2BOT_CA_FILE`) is checked before anything connects.
@Suite("Trusted CA file")
struct TrustedCAFileTests {
    @Test func aMissingUnreadableOrNonPEMFileIsAClearError() throws {
        let certificate = try TestCertificate.write(TestCertificate.loopback)
        defer { certificate.remove() }
        #expect(try TrustedCAFile.path(in: [:]) == nil)
        #expect(try TrustedCAFile.path(in: [TrustedCAFile.variable: ""]) == nil)
        #expect(try TrustedCAFile.path(in: [TrustedCAFile.variable: certificate.certificateFile]) == certificate.certificateFile)
        func problem(_ path: String) -> String {
            do { _ = try TrustedCAFile.path(in: [TrustedCAFile.variable: path]); return "accepted" } catch { return "\(error)" }
        }
        #expect(problem("/nonexistent/ca.pem").contains("does not exist"))
        #expect(problem(NSTemporaryDirectory()).contains("cannot be read"))
        #expect(problem(certificate.keyFile).contains("no PEM certificate"), "a key is not a certificate")
        let broken = (certificate.certificateFile as NSString).deletingLastPathComponent + "/broken.pem"
        try Data("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: broken))
        #expect(problem(broken).contains("no PEM certificate"))
    }
}
