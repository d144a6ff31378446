import Core
import Foundation

extension OktaSource {
    /// Kind `okta`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "okta",
        summary: "users in every status, MFA factors, admin roles (SSWS token); `Link` pagination; `X-Rate-Limit-*` honoured",
        provides: [.accounts],
        credentials: [
            CredentialRole("token", default: "OKTA_API_TOKEN", help: "a read-only admin API token"),
            CredentialRole("event_hook_secret", required: false, help: "enables `/webhooks/okta`: the event hook's `Authorization` value"),
        ],
        settings: [
            SettingSpec("base_url", .url, required: true, help: "your org, `https://ORG.okta.com`"),
            SettingSpec("concurrency", .integer, default: .number(4), range: 1...16, help: "users whose factors and roles are read at once"),
        ]), factory: { try OktaSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
