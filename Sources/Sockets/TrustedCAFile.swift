import Foundation

/// A PEM file of CA certificates to trust for outbound TLS instead of the system store: the CA of a
/// TLS-inspecting proxy, or a private CA. Named by the `SOC2BOT_CA_FILE` environment variable, beside the proxy
/// variables (`https_proxy`) it usually comes with; the WebSocket (`WebSocketClient`'s `caFile`) and the HTTP
/// transport (`URLSessionTransport`, which reads the same variable) both use it.
package enum TrustedCAFile {
    /// The environment variable naming the file.
    package static let variable = "SOC2BOT_CA_FILE"

    /// The path in `environment`, checked: nil when the variable is unset or empty; otherwise the path, once the
    /// file exists, is readable and holds at least one PEM certificate whose body is valid base64.
    /// - Throws: `SocketError.invalidConfiguration` saying what is wrong with the file and what to do.
    package static func path(in environment: [String: String]) throws -> String? {
        guard let path = environment[variable], !path.isEmpty else { return nil }
        guard FileManager.default.fileExists(atPath: path) else {
            throw SocketError.invalidConfiguration("\(variable) names \(path), which does not exist; give the path of a PEM file of CA certificates")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SocketError.invalidConfiguration("\(variable) names \(path), which cannot be read (a directory, or no permission)")
        }
        guard certificates(inPEM: data) > 0 else {
            throw SocketError.invalidConfiguration(
                "\(variable) names \(path), which holds no PEM certificate; it must contain -----BEGIN CERTIFICATE----- blocks (convert DER with `openssl x509 -inform der -in ca.cer -out ca.pem`)")
        }
        return path
    }

    /// How many well-formed `CERTIFICATE` blocks `data` holds; 0 when any block is broken (bad base64, no end line).
    static func certificates(inPEM data: Data) -> Int {
        let text = String(decoding: data, as: UTF8.self)
        let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
        var count = 0
        var rest = text[...]
        while let start = rest.range(of: begin) {
            guard let stop = rest[start.upperBound...].range(of: end) else { return 0 }
            let body = rest[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
            guard !body.isEmpty, let der = Data(base64Encoded: String(body)), der.first == 0x30 else { return 0 }
            count += 1
            rest = rest[stop.upperBound...]
        }
        return count
    }
}
