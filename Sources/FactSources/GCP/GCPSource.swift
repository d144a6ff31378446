import Core
import Foundation
import HTTP

/// Facts from Google Cloud projects: Cloud Storage buckets (encryption, public access), VPC ingress firewall
/// rules, and whether Data Access audit logs are on. Serves CC6.1, CC6.6, CC6.7 and CC7.2.
///
/// Admin Activity audit logs are always on in GCP, so the audit trail reported per project is its Data Access
/// logging (`GCPAuditConfig`). Console users' MFA is not read here: GCP users are Google accounts, and the
/// `google_workspace` source reports their 2-Step Verification (`isEnrolledIn2Sv`) as accounts; this source
/// provides no accounts.
///
/// Manifest:
/// ```yaml
/// kind: gcp
/// credentials: {service_account_key: GCP_SERVICE_ACCOUNT_KEY}   # the variable holds the JSON key file itself
/// settings:
///   projects: [acme-prod, acme-data]   # required: project ids
///   key_file: /run/secrets/gcp.json    # optional: read the key from a file when the variable is not set
///   token_url: …                       # default: the key's token_uri, else https://oauth2.googleapis.com/token
///   storage_url: https://storage.googleapis.com                     # defaults; override for an emulator
///   compute_url: https://compute.googleapis.com
///   resource_manager_url: https://cloudresourcemanager.googleapis.com
/// ```
/// The service account signs a JWT (RS256, no `sub`) for `https://www.googleapis.com/auth/cloud-platform.read-only`
/// and needs, on each project, `roles/viewer` plus `roles/iam.securityReviewer` (or a custom role with
/// `storage.buckets.list`, `storage.buckets.getIamPolicy`, `compute.firewalls.list`,
/// `resourcemanager.projects.getIamPolicy`).
package struct GCPSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.buckets, .networkRules, .auditTrails] }
    let client: GCPClient
    let projects: [String]

    static let defaultKeyVariable = "GCP_SERVICE_ACCOUNT_KEY"

    /// Reads the key from the variable `config` names for `service_account_key` (else `settings.key_file`) and
    /// checks the settings; throws `SourceError.unavailable` saying what to set. `clock` waits out throttling.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let settings = Self.descriptor.settings(config)
        let projects = (try settings.strings(ifSet: "projects") ?? []).filter { !$0.isEmpty }
        guard !projects.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "settings.projects is required: the ids of the Google Cloud projects to read, "
                                          + "e.g. `projects: [acme-prod]`")
        }
        self.projects = projects
        let key = try GoogleServiceAccountKey.load(config: config, settings: settings, environment: environment, defaultVariable: Self.defaultKeyVariable)
        let auth = GoogleServiceAccountAuth(source: config.id, key: key, subject: nil, scopes: [GCPClient.scope], tokenURL: try key.tokenURL(settings, source: config.id),
                                            sender: ThrottledSender(transport: transport, sleep: clock.sleepFunction, now: clock.nowFunction), now: clock.nowFunction,
                                            refusalHints: GCPClient.refusalHints)
        client = GCPClient(source: config.id, auth: auth, storageURL: try settings.url("storage_url"), computeURL: try settings.url("compute_url"),
                           resourceManagerURL: try settings.url("resource_manager_url"))
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        for kind in kinds {
            switch kind {
            case .buckets: facts.buckets = try await GCPStorageBuckets(client: client, projects: projects).buckets()
            case .networkRules: facts.networkRules = try await GCPFirewallRules(client: client, projects: projects).rules()
            case .auditTrails: facts.auditTrails = try await GCPAuditConfig(client: client, projects: projects).trails()
            default: throw SourceError.unavailable(source: id, reason: "GCP provides buckets, network rules and audit trails, not \(kind.rawValue)")
            }
        }
        return facts
    }
}
