import _CryptoExtras
import Core
import Foundation

/// The parts of a Google service account's JSON key file the bot uses: who signs (`client_email`), with which key
/// (`private_key_id`, `private_key` as PKCS#8 PEM) and where tokens come from (`token_uri`).
/// Errors say which field is wrong and where the key came from, never any of its content.
struct GoogleServiceAccountKey: Sendable {
    let clientEmail: String
    let privateKeyID: String?
    let privateKey: _RSA.Signing.PrivateKey
    let tokenURI: String?

    private struct File: Decodable {
        var type: String?
        var client_email: String?
        var private_key_id: String?
        var private_key: String?
        var token_uri: String?
    }

    /// Parses the key file's content; `origin` names where it came from (a variable or a path) for error messages.
    init(json: Data, origin: String, source: SourceID) throws {
        func refuse(_ problem: String) -> SourceError {
            .unavailable(source: source, reason: "the service account key from \(origin) \(problem); use the JSON key file Google issued for the service account")
        }
        guard let file = try? JSONDecoder().decode(File.self, from: json) else { throw refuse("is not a JSON key file") }
        if let type = file.type, type != "service_account" { throw refuse("is of type `\(type)`, not `service_account`") }
        guard let email = file.client_email, !email.isEmpty else { throw refuse("has no client_email") }
        guard let pem = file.private_key, !pem.isEmpty else { throw refuse("has no private_key") }
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) else {
            throw refuse("has a private_key that is not a PEM RSA private key of 2048 bits or more")
        }
        clientEmail = email
        privateKeyID = file.private_key_id
        privateKey = key
        tokenURI = file.token_uri
    }
}
