import Chat
import Core
import Crypto
import FactSources
import Foundation
import Reports
import Store
import Synchronization

/// The vendor register from the manifests (`vendors:`), with the renewals recorded from chat applied:
/// `/soc2 vendor renew <vendor> <new period end> <evidence link>` appends ledger evidence (kind `vendor_renewal`,
/// subject `vendor:<id>`), and a later period end recorded there replaces the manifest's.
package struct VendorRegisterSource: FactSource {
    package let id: SourceID
    package let provides: Set<FactKind> = [.vendors]
    package var answersLocally: Bool { true }
    let vendors: [VendorEntry]
    /// The register owners' e-mails by person id, from the manifests' people.
    let ownerEmails: [PersonID: String]
    /// nil where no database is open (`soc2bot check`): the manifest's dates alone.
    let database: BotDatabase?
    package static let evidenceKind = "vendor_renewal"
    package static func subject(_ vendor: String) -> String { "vendor:\(vendor.lowercased())" }

    package init(id: SourceID, vendors: [VendorEntry], people: [Person] = [], database: BotDatabase? = nil) {
        self.init(id: id, vendors: vendors, ownerEmails: Dictionary(people.map { ($0.id, $0.email) }, uniquingKeysWith: { a, _ in a }), database: database)
    }

    init(id: SourceID, vendors: [VendorEntry], ownerEmails: [PersonID: String], database: BotDatabase?) {
        self.id = id; self.vendors = vendors; self.ownerEmails = ownerEmails; self.database = database
    }

    /// The same register, with renewals read from `database`.
    package func reading(_ database: BotDatabase) -> VendorRegisterSource {
        VendorRegisterSource(id: id, vendors: vendors, ownerEmails: ownerEmails, database: database)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        guard kinds.contains(.vendors) else { return facts }
        let listed = vendors.map { entry in
            var vendor = Vendor(name: entry.name, tier: entry.tier, reportPeriodEnd: entry.reportPeriodEnd, id: entry.id,
                                questionnaireDue: entry.questionnaireDue, dpaSigned: entry.dpaSigned)
            vendor.ownerEmail = entry.owner.flatMap { ownerEmails[$0] }
            return vendor
        }
        facts.vendors = try database.map { try Self.applyingRenewals(to: listed, from: $0) } ?? listed
        return facts
    }

    /// `vendors` with the renewals recorded from chat applied: a vendor with a register id whose latest renewal covers a
    /// later period than it says takes the renewal's period end and evidence.
    package static func applyingRenewals(to vendors: [Vendor], from database: BotDatabase) throws -> [Vendor] {
        var renewals: [String: VendorRenewalEvidence] = [:]
        for entry in try database.readAhead("vendor-renewals", { try $0.evidence(subjectPrefix: "vendor:") }) {
            guard let renewal = LedgerPayload.data(entry, kind: evidenceKind, as: VendorRenewalEvidence.self) else { continue }
            if renewal.periodEnd >= (renewals[renewal.vendor]?.periodEnd ?? .distantPast) { renewals[renewal.vendor] = renewal }
        }
        guard !renewals.isEmpty else { return vendors }
        return vendors.map { listed in
            var vendor = listed
            if let id = vendor.id, let renewal = renewals[id.lowercased()], renewal.periodEnd > (vendor.reportPeriodEnd ?? .distantPast) {
                vendor.reportPeriodEnd = renewal.periodEnd
                vendor.renewal = "\(renewal.link) (recorded by \(renewal.by))"
            }
            return vendor
        }
    }
}

struct VendorRenewalEvidence: Codable {
    var vendor: String
    var periodEnd: Date
    var link: String
    var by: String
}

struct PolicyAttestationEvidence: Codable {
    var policy: String
    var person: String
    var title: String
    var link: String?
}

/// Policy attestations: `/soc2 attest <policy>` appends ledger evidence (kind `policy_attestation`, subject
/// `policy:<id>`); this source reads them back as one record per policy and person who must attest.
package struct PolicyAttestationSource: FactSource {
    package let id: SourceID = "soc2bot.attestations"
    package let provides: Set<FactKind> = [.attestations]
    package var answersLocally: Bool { true }
    let config: BotConfig
    let database: BotDatabase
    package static let evidenceKind = "policy_attestation"
    package static func subject(_ policy: String) -> String { "policy:\(policy.lowercased())" }

    package init(config: BotConfig, database: BotDatabase) { self.config = config; self.database = database }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        guard kinds.contains(.attestations) else { return facts }
        // policy → person id → latest attestation.
        var latest: [String: [String: Date]] = [:]
        for entry in try database.read({ try $0.evidence(subjectPrefix: "policy:") }) {
            guard let at = LedgerPayload.at(entry),
                  let attestation = LedgerPayload.data(entry, kind: Self.evidenceKind, as: PolicyAttestationEvidence.self) else { continue }
            latest[attestation.policy, default: [:]][attestation.person] = max(latest[attestation.policy]?[attestation.person] ?? at, at)
        }
        facts.attestations = config.policies.flatMap { policy in
            policy.attesters(in: config).map { person in
                let attested = latest[policy.id]?[person.id.rawValue].flatMap { at in at >= (policy.publishedAt ?? .distantPast) ? at : nil }
                return PolicyAttestation(policy: policy.id, title: policy.title, email: person.email, name: person.name, attestedAt: attested,
                                         publishedAt: policy.publishedAt ?? .distantPast, every: policy.every, grace: policy.grace)
            }
        }
        return facts
    }
}

/// Direct messages before a deadline: a check's passing result with a `Reminder` (training, a policy attestation)
/// reaches the person from `remindAt`, and their manager too from `escalateAt` — once per deadline and stage, each
/// recorded in the ledger (kind `reminder`, subject `reminder:<control>:<resource>`). After the deadline the resource
/// fails and the control's alert takes over.
package struct Reminders: Sendable {
    let config: BotConfig
    static let evidenceKind = "reminder"
    /// The reminders found already sent, by `sentKey`: the ledger only grows, so one found sent stays sent, and a step
    /// need not read it again (each step asks for every reminder in its window).
    private let foundSent = FoundSent()

    package init(config: BotConfig) { self.config = config }

    struct Sent: Codable {
        var control: String
        var resource: String
        var due: Date
        var stage: String
        var to: [String]
    }

    /// Queues what is due for `results` of `control` at `now` in `tx` (the control run's own transaction); returns how
    /// many messages were queued. A reminder already recorded for the same deadline and stage is not sent again. With
    /// `keepingFound` (the control runs once in this transaction, so what it finds was committed before), one found
    /// sent is remembered and not read again.
    @discardableResult
    package func queue(_ control: Control, results: [CheckResult], at now: Date, tx: StoreTransaction, keepingFound: Bool = false) throws -> Int {
        var queued = 0
        for result in results where result.status == .pass {
            guard let reminder = result.reminder, now >= reminder.remindAt, now < reminder.dueAt else { continue }
            let stage = now >= reminder.escalateAt ? "manager" : "person"
            let subject = "reminder:\(control.id):\(result.resource.id)"
            let key = "\(subject)\u{0}\(stage)\u{0}\(reminder.dueAt.timeIntervalSinceReferenceDate)"
            if foundSent.contains(key) { continue }
            let sent = try tx.evidence(subject: subject).compactMap { LedgerPayload.data($0, kind: Self.evidenceKind, as: Sent.self) }
            guard !sent.contains(where: { abs($0.due.timeIntervalSince(reminder.dueAt)) < 1 && $0.stage == stage }) else {
                if keepingFound { foundSent.insert(key) }
                continue
            }
            let left = DurationText.format(max(0, reminder.dueAt.timeIntervalSince(now)))
            var recipients: [Person] = []
            for person in responsible(for: reminder) {
                // Near the deadline, each responsible person's manager too (once, however many report to them).
                let told = [person] + (stage == "manager" ? person.manager.flatMap(config.person).map { [$0] } ?? [] : [])
                for recipient in told where !recipients.contains(where: { $0.id == recipient.id }) {
                    recipients.append(recipient)
                    let about = recipient.id == person.id ? "you" : person.name
                    var message = ChatMessage.text("Reminder: \(reminder.what) — due \(TimeText.human(reminder.dueAt)) (in \(left))",
                                                   body: (recipient.id == person.id ? "" : "\(person.name) has not done this yet; please make sure it happens. ")
                                                       + "Deadline for \(about): \(TimeText.human(reminder.dueAt))." + (reminder.how.map { " How: \($0)." } ?? "")
                                                       + " Control: \(control.title) (\(control.id)).")
                    message.purpose = .reminder
                    for destination in Routing.directMessages(to: [recipient], config: config) {
                        _ = try tx.enqueue(alert: nil, kind: .direct, destination: destination, payload: try StoreJSON.encode(message), at: now)
                        queued += 1
                    }
                }
            }
            _ = try tx.appendEvidence(kind: Self.evidenceKind, subject: subject, at: now,
                                      data: Sent(control: control.id.rawValue, resource: result.resource.id, due: reminder.dueAt, stage: stage,
                                                 to: recipients.map(\.id.rawValue)))
        }
        return queued
    }

    /// Who must act on `reminder`: the people it names, else the person with its e-mail (reached by e-mail when the
    /// manifests do not know them), else — naming nobody — the security leads.
    func responsible(for reminder: Reminder) -> [Person] {
        if let ids = reminder.people, !ids.isEmpty {
            let named = ids.compactMap(config.person)
            if !named.isEmpty { return named }
        }
        if !reminder.email.isEmpty {
            return [config.person(email: reminder.email) ?? Person(id: PersonID(reminder.email), name: reminder.email, email: reminder.email)]
        }
        return config.securityLeads.compactMap(config.person)
    }
}

/// Manual controls: what automation cannot test, the owner does and records from chat (`/soc2 evidence <control>
/// <what was done> [link]`: ledger kind `manual_evidence`, subject `manual:<control>`). Evaluated daily: evidence
/// within the cadence passes; before the deadline the owning team's manager is reminded (their own manager near
/// it); past it the control fails and alerts like any other. A control never evidenced counts from its first
/// evaluation (recorded, so a restart does not move the deadline).
package enum ManualEvidence {
    package static let evidenceKind = Control.manualEvidenceKind

    struct Record: Codable {
        var control: String
        var by: String
        var note: String
        var link: String?
    }

    static func results(_ control: Control, config: BotConfig, database: BotDatabase, start: Date, at now: Date) throws -> [CheckResult] {
        let subject = control.manualEvidenceSubject, id = control.id
        let (entries, firstRun) = try database.readAhead("manual-evidence:\(id)") { tx in (try tx.evidence(subject: subject), try tx.firstRun(of: id)) }
        let last = entries.compactMap { entry -> (Date, Record)? in
            guard let at = LedgerPayload.at(entry), let record = LedgerPayload.data(entry, kind: evidenceKind, as: Record.self) else { return nil }
            return (at, record)
        }.reduce(nil as (Date, Record)?) { latest, next in latest.map { next.0 >= $0.0 ? next : $0 } ?? next }   // ledger order breaks ties
        let due = (last?.0 ?? firstRun ?? start).addingTimeInterval(control.cadence)
        let resource = ResourceRef(id: "manual:\(control.id)", name: control.title, kind: "manual_control")
        let expected = "evidence every \(DurationText.format(control.cadence)): \(control.evidenceExpected ?? "as the control describes")"
        guard now < due else {
            return [CheckResult(resource: resource, status: .fail, expected: expected,
                                observed: last.map { "last evidence \(TimeText.human($0.0)) by \($0.1.by); due \(TimeText.human(due))" }
                                    ?? "no evidence recorded; due \(TimeText.human(due))", failingSince: due)]
        }
        let owner = config.team(control.owner)?.manager.flatMap(config.person)
        let reminder = owner.map { person in
            Reminder(what: "Evidence for “\(control.title)”", email: person.email, dueAt: due, remindAt: due.addingTimeInterval(-14 * 86_400),
                     escalateAt: due.addingTimeInterval(-3 * 86_400), how: "do it, then send `/soc2 evidence \(control.id) <what was done> [link]`")
        }
        return [CheckResult(resource: resource, status: .pass, expected: expected,
                            observed: last.map { "evidence \(TimeText.human($0.0)) by \($0.1.by): \($0.1.note)" } ?? "due by \(TimeText.human(due))",
                            reminder: reminder)]
    }
}

/// Posts the weekly digest at the manifests' `digest:` moment (UTC): team channels and the leadership channel, each
/// digest recorded in the ledger (kind `weekly_digest`). The next one is due a week after the last recorded, so a
/// restart neither skips nor repeats one. The entry names each trend chart sent, with its SHA-256, so an image someone
/// kept from the chat can be matched to what the bot drew.
package struct DigestWork: StoredTimedWork {
    let engine: AlertEngine
    let start: Date
    package static let evidenceKind = "weekly_digest"
    package init(engine: AlertEngine, start: Date) { self.engine = engine; self.start = start }

    struct Record: Codable {
        var periodStart: Date
        var periodEnd: Date
        var summary: String
        var messages: Int
        var charts: [Chart]?   // absent in entries written before charts were recorded
    }

    struct Chart: Codable {
        var destination: String
        var filename: String
        var bytes: Int
        var sha256: String
    }

    package var database: BotDatabase { engine.database }
    package func nextDue(in snapshot: StoreTransaction) throws -> Date? {
        guard let schedule = engine.config.digest else { return nil }
        let last = try snapshot.lastEvidenceAt(subject: "digest", kind: Self.evidenceKind)
        return schedule.next(after: last ?? start.addingTimeInterval(-1))
    }

    package func run(at now: Date) async throws {
        guard let due = try await nextDue(), due <= now else { return }
        try engine.database.write { tx in
            let digest = try WeeklyDigest.build(config: engine.config, store: tx, now: now)
            for (destination, message) in digest.messages {
                _ = try tx.enqueue(alert: nil, kind: .post, destination: destination, payload: try StoreJSON.encode(message), at: now)
            }
            _ = try tx.appendEvidence(kind: Self.evidenceKind, subject: "digest", at: now,
                                      data: Record(periodStart: digest.period.start, periodEnd: digest.period.end, summary: digest.summary,
                                                   messages: digest.messages.count,
                                                   charts: digest.messages.compactMap { destination, message in
                                                       message.image.map { Chart(destination: destination.description, filename: $0.filename,
                                                                                 bytes: $0.data.count, sha256: Data(SHA256.hash(data: $0.data)).hexString) }
                                                   }))
        }
    }
}

/// Reminders found already sent (`Reminders.queue`).
private final class FoundSent: Sendable {
    private let keys = Mutex<Set<String>>([])
    func contains(_ key: String) -> Bool { keys.withLock { $0.contains(key) } }
    func insert(_ key: String) { keys.withLock { _ = $0.insert(key) } }
}
