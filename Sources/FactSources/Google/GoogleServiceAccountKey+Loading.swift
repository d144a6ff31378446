import Core
import Foundation

extension GoogleServiceAccountKey {
    /// The key from the variable `config` names for `service_account_key` (default `defaultVariable`), else from
    /// the file `settings.key_file`; throws `SourceError.unavailable` saying what to set. The variable wins.
    static func load(config: SourceConfig, settings: DescribedSettings, environment: [String: String], defaultVariable: String) throws -> GoogleServiceAccountKey {
        let keyVariable = config.credentialVariables["service_account_key"] ?? defaultVariable
        if let json = environment[keyVariable], !json.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return try GoogleServiceAccountKey(json: Data(json.utf8), origin: "the variable \(keyVariable)", source: config.id)
        }
        guard let keyFile = try settings.path(ifSet: "key_file") else {
            throw SourceError.unavailable(source: config.id,
                                          reason: "set the environment variable \(keyVariable) to the service account's JSON key (or settings.key_file to its path)")
        }
        guard let data = FileManager.default.contents(atPath: keyFile) else {
            throw SourceError.unavailable(source: config.id,
                                          reason: "cannot read the service account key file `\(keyFile)` (settings.key_file); check the path and its permissions")
        }
        return try GoogleServiceAccountKey(json: data, origin: "the file \(keyFile)", source: config.id)
    }

    /// The token endpoint: `settings.token_url`, else the key's `token_uri`, else Google's (defaults that depend on the
    /// key, so the spec has none: its help says so).
    func tokenURL(_ settings: DescribedSettings, source: SourceID) throws -> URL {
        if let configured = try settings.url(ifSet: "token_url") { return configured }
        return try APIURL.setting(tokenURI ?? "https://oauth2.googleapis.com/token", name: "the key's token_uri", source: source)
    }
}
