import Core
import Foundation

extension GCPSource {
    /// Kind `gcp`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "gcp",
        summary: "Cloud Storage buckets (CMEK, public access), enabled ingress firewall rules, Data Access audit logs; roles `roles/viewer` + `roles/iam.securityReviewer` per project",
        provides: [.buckets, .networkRules, .auditTrails],
        credentials: [
            CredentialRole("service_account_key", default: "GCP_SERVICE_ACCOUNT_KEY", help: "the service account's JSON key (or set `key_file`)"),
        ],
        settings: [
            SettingSpec("projects", .strings, required: true, help: "project ids to read"),
            SettingSpec("key_file", .path, help: "the JSON key's file, when the variable is unset"),
            SettingSpec("token_url", .url, help: "the OAuth token endpoint (default: the key's `token_uri`)"),
            SettingSpec("storage_url", .url, default: .string("https://storage.googleapis.com"), help: "the Cloud Storage API"),
            SettingSpec("compute_url", .url, default: .string("https://compute.googleapis.com"), help: "the Compute Engine API"),
            SettingSpec("resource_manager_url", .url, default: .string("https://cloudresourcemanager.googleapis.com"), help: "the Resource Manager API"),
        ]), factory: { try GCPSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
