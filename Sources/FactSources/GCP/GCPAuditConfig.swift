import Core
import Foundation

/// Whether each project records Data Access audit logs for every service (CC7.2):
/// `POST cloudresourcemanager v1/projects/P:getIamPolicy` and its `auditConfigs`.
///
/// Admin Activity audit logs are always on in Google Cloud and cannot be turned off, so the setting that matters
/// is Data Access logging: a project is `logging` when an audit config for `allServices` enables both
/// `DATA_READ` and `DATA_WRITE` (exempted members do not change that). Cloud Audit Logs cover every region of a
/// project, so each project's trail is multi-region. One trail per project, named `P data-access audit logs`.
struct GCPAuditConfig: Sendable {
    let client: GCPClient
    let projects: [String]

    private struct Policy: Decodable {
        struct AuditConfig: Decodable {
            struct LogConfig: Decodable { var logType: String }
            var service: String
            var auditLogConfigs: [LogConfig]?
        }
        var etag: String
        var auditConfigs: [AuditConfig]?
    }

    /// The log types that must be on for all services.
    static let dataAccess: Set<String> = ["DATA_READ", "DATA_WRITE"]

    func trails() async throws -> [AuditTrail] {
        var trails: [AuditTrail] = []
        for project in projects {
            // Version 3 asks for conditional role bindings too; audit configs are the same in every version.
            let policy = try await client.post(Policy.self, base: client.resourceManagerURL, path: "/v1/projects/\(GCPClient.segment(project)):getIamPolicy",
                                               json: #"{"options":{"requestedPolicyVersion":3}}"#, operation: "resourcemanager projects.getIamPolicy \(project)")
            let enabled = Set((policy.auditConfigs ?? []).filter { $0.service == "allServices" }.flatMap { $0.auditLogConfigs ?? [] }.map(\.logType))
            trails.append(AuditTrail(provider: "GCP", name: "\(project) data-access audit logs", multiRegion: true,
                                     logging: Self.dataAccess.isSubset(of: enabled), scope: project))
        }
        return trails
    }
}
