import ArgumentParser
import Foundation
import Reports

/// `soc2bot trust-center keygen`: a new Ed25519 key for the signed trust-center feed.
struct TrustCenterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trust-center", abstract: "The signed public posture feed.",
                                                    subcommands: [Keygen.self])

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new Ed25519 signing key for the trust-center feed.")
        func run() {
            let (key, pem) = TrustCenter.generate()
            print("""
                # The private key, for the bot's environment only (a secret: never in the manifests, logs or git):
                SOC2BOT_TRUST_CENTER_KEY=\(key)
                # Name the variable in the manifests:  server: {listen: "127.0.0.1:8080", trust_center_key: SOC2BOT_TRUST_CENTER_KEY}
                # The public key (the bot also serves it at /trust-center.pub); publish it where customers can find it:
                \(pem)
                """, terminator: "")
        }
    }
}
