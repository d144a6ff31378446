import Checks
import Core
import FactSources
import Foundation
import Store

/// Access reviews: a reviewer certifies a system's access from chat (`/soc2 certify github quarterly review, 2
/// leavers removed`); the certification is evidence in the ledger (kind `access_review`, subject
/// `review:<system>`), and the `access_review` controls read it back through `ReviewSource`.
package enum AccessReviews {
    package static let evidenceKind = "access_review"
    package static func subject(_ system: String) -> String { "review:\(system.lowercased())" }

    /// The `access_review` controls of `system` (any case).
    package static func controls(for system: String, in config: BotConfig) -> [Control] {
        config.controls.filter { control in
            guard let check = control.check, check.type == "access_review" else { return false }
            return (try? CheckRegistry.parameters(of: check)?.string(ifSet: "system"))?.lowercased() == system.lowercased()
        }
    }

    /// Whether `person` may certify `system`: a reviewer named by one of its controls, else (when they name none)
    /// a security lead.
    package static func mayCertify(_ person: PersonID, system: String, config: BotConfig) -> Bool {
        let named = controls(for: system, in: config).flatMap { control in
            control.check.flatMap { try? CheckRegistry.parameters(of: $0)?.strings(ifSet: "reviewers") } ?? []
        }
        return named.isEmpty ? config.securityLeads.contains(person) : named.contains(person.rawValue)
    }
}

struct AccessReviewEvidence: Codable {
    var system: String
    var by: String
    var note: String?
    /// When the review was certified, where that is before it was recorded (a past certification brought in when the
    /// bot starts); absent for a certification from chat, which is recorded as it happens.
    var certifiedAt: Date?
    enum CodingKeys: String, CodingKey { case system, by, note, certifiedAt = "certified_at" }
}

extension AccessReviews {
    /// Records certifications made before the bot watched (a scenario's `world.access_reviews`) as evidence at `now`, each
    /// carrying its own certification time, so the `access_review` checks read them as `/soc2 certify` had recorded them.
    package static func recordPast(_ reviews: [AccessReview], at now: Date, tx: StoreTransaction) throws {
        for review in reviews {
            _ = try tx.appendEvidence(kind: evidenceKind, subject: subject(review.system), at: now,
                                      data: AccessReviewEvidence(system: review.system, by: review.certifiedBy, note: review.note,
                                                                 certifiedAt: review.certifiedAt))
        }
    }
}

/// The bot's own facts: access reviews certified from chat, read from the evidence ledger.
package struct ReviewSource: FactSource {
    package let id: SourceID = "soc2bot"
    package let provides: Set<FactKind> = [.reviews]
    package var answersLocally: Bool { true }
    let database: BotDatabase
    package init(database: BotDatabase) { self.database = database }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        guard kinds.contains(.reviews) else { return facts }
        facts.reviews = try database.read { tx in
            try tx.evidence(subjectPrefix: "review:").compactMap { entry -> AccessReview? in
                guard let object = try JSONSerialization.jsonObject(with: entry) as? [String: Any],
                      object["kind"] as? String == AccessReviews.evidenceKind,
                      let at = (object["at"] as? String).flatMap(TimeText.parse),
                      let data = object["data"] as? [String: Any], let system = data["system"] as? String, let by = data["by"] as? String else {
                    return nil
                }
                let certifiedAt = (data["certified_at"] as? String).flatMap(TimeText.parse) ?? at
                return AccessReview(system: system, certifiedBy: by, certifiedAt: certifiedAt, note: data["note"] as? String)
            }
        }
        return facts
    }
}
