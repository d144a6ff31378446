import Core
import Foundation

extension GitLabSource {
    /// Kind `gitlab`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "gitlab",
        summary: "members (owner/maintainer = privileged), protected default branches, approval rules",
        provides: [.accounts, .repositories],
        credentials: [
            CredentialRole("token", default: "GITLAB_TOKEN", help: "an access token with `read_api`"),
        ],
        settings: [
            SettingSpec("group", .string, required: true, help: "the group's numeric id or full path"),
            SettingSpec("base_url", .url, default: .string("https://gitlab.com"), help: "your instance's URL"),
        ]), factory: { try GitLabSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
