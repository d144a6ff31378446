import Core
import Foundation
import GRDB

extension SQLiteBackend {
    /// `v7-aws-key-identity`: access keys judged while they were known by their id (`aws:key:AKIA…`) are re-keyed to
    /// the id the `access_key_age` check gives them now (`aws:key:alice/2026-01-02T03:04:05Z`, `AccessKeyIdentity`),
    /// worked out from what their track or alert kept. An alert open on such a key stays the same alert — its
    /// acknowledgement, SLA and history with it — instead of being resolved as if the key had been rotated and a new
    /// one opened. Each re-keyed alert gets a ledger entry (`alert_rekeyed`: from, to, why), so the chain tells
    /// where its resource's id changed. A key whose texts do not agree (or whose new id another live alert of the
    /// control holds) is left as it was.
    static func rekeyAccessKeys(_ db: Database, at: Date) throws {
        let tracks = try Row.fetchAll(db, sql: "SELECT control_id, resource_id, body FROM resource_track WHERE resource_id LIKE '%:key:%'")
        for row in tracks {
            let control: String = row[0], former: String = row[1]
            var track = try StoreJSON.decode(ResourceTrack.self, from: row[2])
            guard let key = AccessKeyIdentity.formerKey(track.resource, observed: track.observed, failingSince: track.failingSince,
                                                        expected: track.expected),
                  try Bool.fetchOne(db, sql: "SELECT 1 FROM resource_track WHERE control_id = ? AND resource_id = ?", arguments: [control, key]) != true
            else { continue }
            track.resource.id = key
            try db.execute(sql: "UPDATE resource_track SET resource_id = ?, body = ? WHERE control_id = ? AND resource_id = ?",
                           arguments: [key, try StoreJSON.encode(track), control, former])
        }

        let alerts = try Row.fetchAll(db, sql: "SELECT id, body FROM alert WHERE CAST(body AS TEXT) LIKE '%\"access_key\"%' ORDER BY id")
        for row in alerts {
            var alert = try StoreJSON.decode(Alert.self, from: row[1])
            var renamed: [Renamed] = []
            for index in alert.findings.indices {
                let finding = alert.findings[index]
                guard let key = AccessKeyIdentity.formerKey(finding.resource, observed: finding.observed, failingSince: finding.failingSince,
                                                            expected: alert.expected) else { continue }
                renamed.append(Renamed(from: finding.resource.id, to: key))
                alert.findings[index].resource.id = key
            }
            guard !renamed.isEmpty else { continue }
            let formerKey = alert.resourceKey
            if let own = renamed.first(where: { $0.from == alert.resourceKey }) {
                let taken = try Bool.fetchOne(db, sql: """
                    SELECT 1 FROM alert WHERE control_id = ? AND resource_key = ? AND state NOT IN ('closed', 'resolved')
                    """, arguments: [alert.control.rawValue, own.to]) == true
                if taken && ![.closed, .resolved].contains(alert.state) { continue }
                alert.resourceKey = own.to
            }
            try db.execute(sql: "UPDATE alert SET resource_key = ?, body = ? WHERE id = ?",
                           arguments: [alert.resourceKey, try StoreJSON.encode(alert), alert.id.rawValue])
            _ = try EvidenceLedger.append(db, kind: "alert_rekeyed", subject: alert.id.description, at: at, data: RekeyEvidence(
                alert: alert.id, control: alert.control, from: formerKey, to: alert.resourceKey, resources: renamed,
                reason: "v7-aws-key-identity: access keys are known by their account and creation time (IAM's credential report names no key ids)"))
        }
    }

    private struct Renamed: Encodable {
        var from: String
        var to: String
    }

    /// Ledger payload of a re-keyed alert.
    private struct RekeyEvidence: Encodable {
        var alert: AlertID
        var control: ControlID
        var from: String
        var to: String
        var resources: [Renamed]
        var reason: String
    }
}
