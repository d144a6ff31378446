import Foundation

/// A private CA made for one test with the `openssl` tool, and a server certificate it signed for `127.0.0.1` and
/// `localhost` (what a TLS-inspecting proxy presents): PEM files in a temporary directory.
package struct TestCertificateAuthority: Sendable {
    package let directory: URL
    package var caFile: String { directory.appendingPathComponent("ca.pem").path }
    package var serverCertificateFile: String { directory.appendingPathComponent("server.pem").path }
    package var serverKeyFile: String { directory.appendingPathComponent("server.key").path }

    /// Makes the CA and the server certificate (EC P-256, valid one day). The tool runs off the concurrency pool.
    package static func make() async throws -> TestCertificateAuthority {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("test-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca = TestCertificateAuthority(directory: directory)
        let san = directory.appendingPathComponent("san.ext")
        try Data("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n".utf8).write(to: san)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "1", "-subj", "/CN=soc2bot test private CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
             "-days", "1", "-extfile", "san.ext"],
        ]
        for arguments in steps {
            let status = try await offThePool { () throws -> Int32 in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
                process.arguments = arguments
                process.currentDirectoryURL = directory
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                return process.terminationStatus
            }
            guard status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments[0]) failed (\(status))"]) }
        }
        return ca
    }

    package func remove() { try? FileManager.default.removeItem(at: directory) }
}
