import Foundation
import Testing
@testable import Sockets

/// A throwaway certificate authority: a self-signed certificate (and its key) for the given subject names,
/// made with the `openssl` command line tool in a temporary directory.
struct TestCertificate: Sendable {
    var certificateFile: String
    var keyFile: String

    static let opensslPath = "/usr/bin/openssl"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: opensslPath) }

    static func make(subjectAltName: String) async throws -> TestCertificate {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sockets-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let status = try await offPool { () -> Int32 in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: opensslPath)
            process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                 "-nodes", "-days", "2", "-subj", "/CN=soc2bot test",
                                 "-addext", "subjectAltName=\(subjectAltName)",
                                 "-keyout", key, "-out", certificate]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        try #require(status == 0, "openssl req failed")
        return TestCertificate(certificateFile: certificate, keyFile: key)
    }
}

/// Serialized: each test starts a TLS server, and creating any TLS context moves lws' process-wide OpenSSL indexes
/// (see `WebSocketClientService`), which must not happen during another test's handshake.
@Suite("WebSocket over TLS", .serialized, .enabled(if: TestCertificate.isAvailable, "needs the openssl command line tool"))
struct WebSocketTLSTests {
    /// A TLS echo server on /ws with `certificate`.
    func withTLSEchoServer(_ certificate: TestCertificate,
                           _ body: (HTTPServer, EventRecorder<WebSocketServerEvent>) async throws -> Void) async throws {
        let tls = HTTPServer.TLSIdentity(certificateFile: certificate.certificateFile,
                                         privateKeyFile: certificate.keyFile)
        try await withEchoServer(.init(webSocketPaths: ["/ws"], tls: tls), body)
    }

    @Test func wssEchoesWhenTheCertificateVerifies() async throws {
        let certificate = try await TestCertificate.make(subjectAltName: "DNS:localhost,IP:127.0.0.1")
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
        let certificate = try await TestCertificate.make(subjectAltName: "DNS:localhost,IP:127.0.0.1")
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
        let certificate = try await TestCertificate.make(subjectAltName: "DNS:other.example")
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
