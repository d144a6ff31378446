import Core
import Crypto
import Foundation
import Store

/// The public trust-center feed: the live posture by TSC criterion — how many controls serve it, how many pass —
/// without resource names or anything an attacker could use, signed with the bot's Ed25519 key so customers can
/// check it came from the bot unaltered:
///
///     curl -so feed.json https://…/trust-center.json; curl -so feed.sig https://…/trust-center.json.sig
///     curl -so key.pem https://…/trust-center.pub
///     openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in feed.json -sigfile feed.sig
package struct TrustCenter: Sendable {
    package struct Criterion: Codable, Sendable, Equatable {
        package var criterion: String
        /// The criterion's title, for a framework other than SOC 2.
        package var title: String?
        /// `passing`, `attention` (a control fails), or `unknown` (a control could not be evaluated, or never ran).
        package var status: String
        package var controls: Int
        package var passing: Int
    }

    package struct Feed: Codable, Sendable, Equatable {
        package var organisation: String
        package var generatedAt: Date
        package var criteria: [Criterion]
        package var controls: Int
        package var passing: Int
        /// The framework whose criteria `criteria` lists when not SOC 2 (`?framework=iso27001`); absent for SOC 2, so
        /// the SOC 2 feed's bytes are what they always were.
        package var framework: String?
    }

    let key: Curve25519.Signing.PrivateKey

    /// - Parameter base64Key: the 32-byte raw Ed25519 private key, base64 (`soc2bot trust-center keygen` makes one).
    package init(base64Key: String) throws {
        guard let raw = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32 else {
            throw KeyError()
        }
        key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }
    package struct KeyError: Error, CustomStringConvertible {
        package var description: String { "the trust-center key is not the base64 of a 32-byte Ed25519 private key (make one with `soc2bot trust-center keygen`)" }
    }

    /// The posture from each automated control's latest run, by the criteria of `framework` (`Framework.groups`).
    package static func feed(config: BotConfig, store: StoreTransaction, now: Date, framework: Framework = .soc2) throws -> Feed {
        let runs = Dictionary(try store.latestRuns().map { ($0.control, $0) }, uniquingKeysWith: { a, _ in a })
        var byCriterion: [String: (controls: Int, passing: Int, failing: Int, unknown: Int)] = [:]
        var controls = 0, passing = 0
        for control in config.controls where control.isAutomated {
            let run = runs[control.id]
            let passes = run.map { $0.failed == 0 && $0.errors == 0 } ?? false
            let fails = (run?.failed ?? 0) > 0
            controls += 1
            if passes { passing += 1 }
            for criterion in framework.groups(of: control) {
                var entry = byCriterion[criterion] ?? (0, 0, 0, 0)
                entry.controls += 1
                if passes { entry.passing += 1 } else if fails { entry.failing += 1 } else { entry.unknown += 1 }
                byCriterion[criterion] = entry
            }
        }
        // SOC 2 keeps its feed's historical order and shape; another framework is listed in its own order, titled.
        let names = framework == .soc2 ? byCriterion.keys.sorted() : framework.sorted(byCriterion.keys)
        let criteria = names.map { name in
            let entry = byCriterion[name]!
            return Criterion(criterion: name, title: framework == .soc2 ? nil : framework.criterion(name)?.title, status: entry.failing > 0 ? "attention" : entry.unknown > 0 ? "unknown" : "passing",
                             controls: entry.controls, passing: entry.passing)
        }
        return Feed(organisation: config.organisation, generatedAt: now, criteria: criteria, controls: controls, passing: passing,
                    framework: framework == .soc2 ? nil : framework.rawValue)
    }

    /// The feed's exact bytes (canonical JSON) and their Ed25519 signature.
    package func signed(_ feed: Feed) throws -> (json: Data, signature: Data) {
        let json = try CanonicalJSON.encode(feed)
        return (json, try key.signature(for: json))
    }

    /// An Ed25519 signature of `data` with this key.
    package func sign(_ data: Data) throws -> Data { try key.signature(for: data) }

    /// Whether `signature` is `data`'s, by the key in `publicKeyPEM` (as `publicKeyPEM` writes it).
    package static func verify(signature: Data, of data: Data, publicKeyPEM: String) -> Bool {
        let body = publicKeyPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body), der.count == 44,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32)) else { return false }
        return key.isValidSignature(signature, for: data)
    }

    /// The public key as PEM (SubjectPublicKeyInfo), what `openssl pkeyutl -verify -pubin -inkey` takes.
    package var publicKeyPEM: String { Self.pem(publicKey: key.publicKey.rawRepresentation) }

    package static func pem(publicKey raw: Data) -> String {
        let der = Data([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]) + raw
        return "-----BEGIN PUBLIC KEY-----\n\(der.base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }

    /// A new key: the base64 to put in the environment variable, and its public PEM.
    package static func generate() -> (base64Key: String, publicKeyPEM: String) {
        let key = Curve25519.Signing.PrivateKey()
        return (key.rawRepresentation.base64EncodedString(), pem(publicKey: key.publicKey.rawRepresentation))
    }

    /// A plain HTML page of the feed, for people.
    package static func html(_ feed: Feed) -> String {
        let escape = HTMLText.escape
        let rows = feed.criteria.map { c in
            "<tr><td>\(escape(c.criterion + (c.title.map { " " + $0 } ?? "")))</td><td class=\"\(c.status)\">\(c.status)</td><td>\(c.passing) of \(c.controls)</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(feed.organisation)) — security posture</title>
            <style>body{font-family:sans-serif;max-width:40em;margin:2em auto}td,th{padding:.3em 1em;text-align:left}
            .passing{color:#186a3b}.attention{color:#a04000}.unknown{color:#555}</style></head>
            <body><h1>\(escape(feed.organisation)) — \(escape(feed.framework.flatMap(Framework.init(rawValue:))?.shortName ?? "SOC 2")) controls, live</h1>
            <p>\(feed.passing) of \(feed.controls) automated controls passing at \(TimeText.human(feed.generatedAt)).</p>
            <table><tr><th>Criterion</th><th>Status</th><th>Controls passing</th></tr>
            \(rows)
            </table>
            <p>Machine-readable and signed: <a href="trust-center.json">trust-center.json</a>, its Ed25519 signature
            <a href="trust-center.json.sig">trust-center.json.sig</a> and the key <a href="trust-center.pub">trust-center.pub</a>
            (<code>openssl pkeyutl -verify -pubin -inkey trust-center.pub -rawin -in trust-center.json -sigfile trust-center.json.sig</code>).</p>
            </body></html>

            """
    }
}
