import Core
import Foundation
import Store

/// Ledger payload of a control run: when, counts, the digest of what was observed, the first errors.
struct ControlRunEvidence: Encodable {
    var control: ControlID
    var passed: Int
    var failed: Int
    var errors: Int
    var digest: String
    /// How `digest` was computed (see `AlertEngine.digest`), so an auditor can recompute it from the results.
    var digestFormat: String
    var errorMessages: [String]
    init(run: CheckRunRecord, errors: [String], digestFormat: String) {
        control = run.control; passed = run.passed; failed = run.failed; self.errors = run.errors
        digest = run.digest; self.digestFormat = digestFormat; errorMessages = errors
    }

    /// This payload as `CanonicalJSON.encode` writes it, byte for byte (keys sorted: control, digest, digestFormat,
    /// errorMessages, errors, failed, passed), written without an encoder: every control run of every step appends
    /// one, and the encoder was a tenth of a step's time.
    var canonical: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192 + errorMessages.reduce(0) { $0 + $1.utf8.count + 3 })
        CanonicalJSON.appendRaw(#"{"control":"#, to: &out)
        CanonicalJSON.appendString(control.rawValue, to: &out)
        CanonicalJSON.appendRaw(#","digest":"#, to: &out)
        CanonicalJSON.appendString(digest, to: &out)
        CanonicalJSON.appendRaw(#","digestFormat":"#, to: &out)
        CanonicalJSON.appendString(digestFormat, to: &out)
        CanonicalJSON.appendRaw(#","errorMessages":["#, to: &out)
        for (index, message) in errorMessages.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            CanonicalJSON.appendString(message, to: &out)
        }
        CanonicalJSON.appendRaw(#"],"errors":"#, to: &out)
        CanonicalJSON.appendInteger(Int64(errors), to: &out)
        CanonicalJSON.appendRaw(#","failed":"#, to: &out)
        CanonicalJSON.appendInteger(Int64(failed), to: &out)
        CanonicalJSON.appendRaw(#","passed":"#, to: &out)
        CanonicalJSON.appendInteger(Int64(passed), to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// Ledger payload of a new alert.
struct AlertOpenedEvidence: Encodable {
    var alert: AlertID
    var control: ControlID
    var resource: String
    var episode: Int
    var severity: Severity
    var team: TeamID
    var observed: String
    var failingSince: Date
    var slaDeadline: Date
    var resources: [String]
    init(alert: Alert) {
        self.alert = alert.id; control = alert.control; resource = alert.resourceKey; episode = alert.episode
        severity = alert.severity; team = alert.team; observed = alert.observed; failingSince = alert.failingSince
        slaDeadline = alert.slaDeadline; resources = alert.findings.map(\.resource.id)
    }
}

/// Ledger payload of a human action: who, what, why, from where, and what came of it (done, no-op, refused).
struct HumanActionEvidence: Encodable {
    var alert: AlertID
    var actor: String
    var surface: Surface
    var action: String
    var reason: String?
    var until: Date?
    var link: String?
    var expectedVersion: Int?
    var outcome: String
    var detail: String?

    /// A remediation note (`/soc2 note`): the human action `note`, with the note as its reason; it changes no alert.
    init(note: String, link: String?, on alert: AlertID, by actor: Actor, via surface: Surface, outcome: String = "done", detail: String? = nil) {
        self.alert = alert; self.actor = actor.description; self.surface = surface; action = "note"
        reason = note; self.link = link; self.outcome = outcome; self.detail = detail
    }

    init(request: AlertRequest, alert: AlertID, outcome: String, detail: String?) {
        self.alert = alert
        actor = request.actor.description
        surface = request.surface
        action = request.action.name
        expectedVersion = request.expectedVersion
        self.outcome = outcome
        self.detail = detail
        switch request.action {
        case .snooze(let until, let rationale), .acceptRisk(let until, let rationale):
            self.until = until; reason = rationale
        case .close(let remediation, let link):
            reason = remediation; self.link = link
        case .escalate(let note):
            reason = note
        default:
            break
        }
    }
}

/// Ledger payload of a chat delivery.
struct DeliveryEvidence: Encodable {
    var outbox: Int64
    var alert: AlertID?
    var kind: String
    var destination: String
    var message: String?
    var attempts: Int
}

/// A chat message given up on for good (ledger kind `chat_undeliverable`): what, where, why, since when, and where
/// the security leads were told (empty when the message was itself such a notice: no notice of a notice).
struct UndeliverableEvidence: Encodable {
    var outbox: Int64
    var alert: AlertID?
    var kind: String
    var destination: String
    var reason: String
    var queuedAt: Date
    var attempts: Int
    var raisedTo: [String]
}

/// A person refused on a chat surface before any alert was involved.
struct ChatRefusalEvidence: Encodable {
    var actor: String
    var surface: Surface
    var request: String
    var reason: String
}
