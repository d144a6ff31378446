import Core
import Foundation

extension GitHubSource {
    /// Kind `github`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "github",
        summary: "members with org role and 2FA, outside collaborators, default-branch protection and rulesets, open secret-scanning and Dependabot alerts; `Link` pagination; primary and secondary rate limits",
        provides: [.accounts, .repositories, .vulnerabilities],
        credentials: [
            CredentialRole("token", default: "GITHUB_TOKEN", help: "a fine-grained token, read-only: members, administration, metadata, Dependabot and secret-scanning alerts"),
            CredentialRole("webhook_secret", required: false, help: "enables `POST /webhooks/github` (`X-Hub-Signature-256`)"),
        ],
        settings: [
            SettingSpec("organization", .string, required: true, help: "the organization's login"),
            SettingSpec("base_url", .url, default: .string("https://api.github.com"), help: "Enterprise Server: `https://HOST/api/v3`"),
            SettingSpec("repositories", .strings, help: "repositories to read (default all, archived skipped)"),
            SettingSpec("secret_scanning", .bool, default: .bool(true), help: "read secret-scanning alerts"),
            SettingSpec("dependabot", .bool, default: .bool(true), help: "read Dependabot alerts"),
        ]), factory: { try GitHubSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
