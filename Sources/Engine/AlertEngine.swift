import Chat
import Checks
import Core
import Crypto
import Foundation
import Store
import Synchronization

/// The bot's decisions made durable: every control run, alert transition and human action lands in one SQLite
/// transaction together with its evidence and the chat messages it causes (the outbox).
package struct AlertEngine: Sendable {
    package let config: BotConfig
    package let database: BotDatabase
    package let lifecycle: AlertLifecycle

    /// What the last step's write left of its controls' tracks and live alerts (`reconcile(step:at:andThen:atEnd:)`).
    private let keptRows = KeptStepRows()
    /// Each control's last results and their digest: a run whose results equal them has the same digest.
    private let digests = DigestMemo()

    package init(config: BotConfig, database: BotDatabase) {
        self.config = config
        self.database = database
        self.lifecycle = AlertLifecycle(policy: config.policy)
    }

    // MARK: Reconcile

    /// What one control run changed.
    package struct RunSummary: Sendable, Equatable {
        package var control: ControlID
        package var passed = 0, failed = 0, errors = 0
        /// The first few error messages, when the run could not evaluate everything.
        package var errorMessages: [String] = []
        package var opened: [AlertID] = []
        package var resolved: [AlertID] = []
        package var updated: [AlertID] = []
    }

    /// Records a control run and turns its results into alert changes, all in one transaction:
    /// check-run evidence, new alerts (posted), resolutions and finding updates (edited), resource tracks.
    /// `andThen` runs last in the same transaction: what the run decides besides alerts (its reminders) lands with
    /// it or not at all, so a crash cannot record the run while losing what it decided.
    @discardableResult
    package func reconcile(_ control: Control, results: [CheckResult], at: Date,
                           andThen: (StoreTransaction) throws -> Void = { _ in }) throws -> RunSummary {
        let digest = Self.digest(results)
        return try database.write { tx in
            let summary = try record(control, results: results, digest: digest, at: at, tx: tx).summary
            try andThen(tx)
            return summary
        }
    }

    /// One control's run in a step: what `reconcile(step:at:andThen:)` records.
    package struct StepRun: Sendable {
        package var control: Control
        package var results: [CheckResult]
        package init(control: Control, results: [CheckResult]) { self.control = control; self.results = results }
    }

    /// Reconciles the runs of one scheduler step in one write transaction — one commit (and one fsync) a step rather
    /// than one a control — each run in a savepoint of its own, in the given order: a run whose reconcile fails
    /// (a damaged row, say) is rolled back alone, with whatever its `andThen` wrote, and is recorded instead as a run
    /// that could not be evaluated (an `error` run: its check-run row and `control_run` evidence naming why, no alert
    /// change), so it is in the ledger, the control is not due again before its cadence, and the step goes on; its
    /// error is its outcome. The other runs, their alerts and evidence are committed. An error from SQLite itself
    /// (disk full, I/O, a refused write) aborts the whole write instead — nothing of the step is committed and it is
    /// thrown — so the step is retried as after a crash, and nothing it decided (a reminder) waits a cadence. Each
    /// outcome is in `runs`' order. `atEnd` runs last in the same transaction, after every run. Neither `andThen` nor
    /// `atEnd` may change tracks or alerts: what the step leaves of them is kept for the next step (`KeptStepRows`).
    package func reconcile(step runs: [StepRun], at: Date,
                           andThen: (StepRun, StoreTransaction) throws -> Void = { _, _ in },
                           atEnd: (StoreTransaction) throws -> Void = { _ in }) throws -> [Result<RunSummary, any Error>] {
        let digests = runs.map { self.digests.digest(of: $0.results, control: $0.control.id) }
        let ids = runs.map(\.control.id)
        // Each run reads only its own control's tracks and live alerts, so a step reads them for all its controls at once
        // (two statements rather than two a control) — unless a control runs twice in it, when the second run must see
        // what the first wrote.
        let together = Set(ids).count == ids.count
        // Written first without savepoints (two statements a run): when every run records, as nearly always, the outcome
        // is the same. When one fails, that whole write is rolled back and the step written again with a savepoint per
        // run, which keeps the others (what a run decides in `andThen` is decided again on the same data).
        func write(savepoints: Bool) throws -> (outcomes: [Result<RunSummary, any Error>], kept: KeptStepRows.Rows?) {
            try database.write { tx in
                // What the last step kept, when nothing was written since (the step's only reads of them, most steps).
                let mark = together && !savepoints ? try tx.changeMark() : nil
                let kept = mark.flatMap { keptRows.take(ifUnchangedSince: $0) }
                var tracks = kept?.tracks ?? [:], live = kept?.live ?? [:]
                // A row that cannot be read fails the read of them all: each run then reads its own, so the damage costs
                // only the run it belongs to (an error from the storage itself fails that read again, and the step). In a
                // savepoint, so an error the server raised (PostgreSQL then refuses the rest of a transaction) is taken back.
                let unread = together ? ids.filter { tracks[$0] == nil || live[$0] == nil } : []
                if !unread.isEmpty {
                    tracks.merge((try? tx.savepoint { try tx.tracks(controls: unread) }) ?? [:]) { _, read in read }
                    live.merge((try? tx.savepoint { try tx.liveAlerts(controls: unread) }) ?? [:]) { _, read in read }
                }
                var written: [ControlID: RowsWritten] = [:]
                let outcomes = try zip(runs, digests).map { run, digest -> Result<RunSummary, any Error> in
                    func recordRun() throws -> RunSummary {
                        let (summary, rows) = try record(run.control, results: run.results, digest: digest, at: at, tx: tx,
                                                         tracks: tracks[run.control.id], liveAlerts: live[run.control.id])
                        written[run.control.id] = rows
                        try andThen(run, tx)
                        return summary
                    }
                    guard savepoints else {
                        do { return .success(try recordRun()) } catch {
                            if StoreError.isStorageFailure(error) { throw error }
                            throw RunNotRecordable()
                        }
                    }
                    do {
                        return .success(try tx.savepoint { try recordRun() })
                    } catch {
                        if StoreError.isStorageFailure(error) { throw error }
                        try tx.savepoint { try recordUnrecordable(run.control, error: error, at: at, tx: tx) }
                        return .failure(error)
                    }
                }
                try atEnd(tx)
                guard mark != nil, let end = try tx.changeMark() else { return (outcomes, nil) }
                // Each control's tracks as its run left them; its live alerts when the run changed none.
                var rows = KeptStepRows.Rows(mark: end)
                for (id, wrote) in written where !wrote.alerts {
                    guard var controlTracks = tracks[id], let controlLive = live[id] else { continue }
                    for track in wrote.savedTracks { controlTracks[track.resource.id] = track }
                    for resource in wrote.forgottenTracks { controlTracks[resource] = nil }
                    rows.tracks[id] = controlTracks; rows.live[id] = controlLive
                }
                return (outcomes, rows)
            }
        }
        do {
            let (outcomes, kept) = try write(savepoints: false)
            if let kept { keptRows.keep(kept) }
            return outcomes
        } catch is RunNotRecordable {
            return try write(savepoints: true).outcomes
        }
    }

    /// A run of a step written without savepoints failed: the write is rolled back and done again with them.
    private struct RunNotRecordable: Error {}

    /// Why a run's results were not recorded, as its error run and the scheduler's log say it.
    package static func unrecordable(_ error: any Error) -> String { "the run's results could not be recorded: \(error)" }

    /// A run whose results could not be recorded: an `error` run with the reason, and nothing else.
    private func recordUnrecordable(_ control: Control, error: any Error, at: Date, tx: StoreTransaction) throws {
        let message = Self.unrecordable(error)
        let result = CheckResult(resource: ResourceRef(id: "control:\(control.id)", name: control.title, kind: "control"),
                                 status: .error(message), expected: "the run is recorded", observed: message)
        try recordRun(CheckRunRecord(control: control.id, at: at, passed: 0, failed: 0, errors: 1, digest: Self.digest([result])),
                      errors: [message], tx: tx)
    }

    /// A control run's row and its `control_run` evidence.
    private func recordRun(_ run: CheckRunRecord, errors: [String], tx: StoreTransaction) throws {
        try tx.recordRun(run)
        try tx.appendEvidence(kind: "control_run", subject: "control:\(run.control)", at: run.at,
                              canonicalData: ControlRunEvidence(run: run, errors: errors, digestFormat: Self.digestFormat).canonical)
    }

    /// A control run's records in `tx`: the run and its evidence, resource tracks, alerts opened, resolved and updated.
    /// `tracks` and `liveAlerts` are the control's as read in this transaction (nil: read them here).
    /// What a run wrote of its control's tracks and alerts.
    private struct RowsWritten {
        var savedTracks: [ResourceTrack]
        var forgottenTracks: [String]
        /// Whether it may have changed any of the control's alerts.
        var alerts: Bool
    }

    private func record(_ control: Control, results: [CheckResult], digest: String, at: Date, tx: StoreTransaction,
                        tracks: [String: ResourceTrack]? = nil, liveAlerts: [String: Alert]? = nil) throws -> (summary: RunSummary, rows: RowsWritten) {
        let plan = ReconcilePlan.plan(control: control, results: results, at: at,
                                      tracks: try tracks ?? tx.tracks(control: control.id), liveAlerts: try liveAlerts ?? tx.liveAlerts(control: control.id))
        let rows = RowsWritten(savedTracks: plan.tracksToSave, forgottenTracks: plan.tracksToForget,
                               alerts: !plan.alertsToOpen.isEmpty || !plan.alertActions.isEmpty)
        var summary = RunSummary(control: control.id, passed: plan.passed, failed: plan.failed, errors: plan.errors,
                                 errorMessages: plan.errorMessages)
        try tx.saveTracks(plan.tracksToSave, control: control.id)
        try tx.forgetTracks(plan.tracksToForget, control: control.id)
        try recordRun(CheckRunRecord(control: control.id, at: at, passed: plan.passed, failed: plan.failed, errors: plan.errors, digest: digest),
                      errors: plan.errorMessages, tx: tx)
        for draft in plan.alertsToOpen {
            let alert = try tx.openAlert(control: control, draft: draft, at: at, sla: config.sla(for: control))
            try tx.setTimer(alert.id, at: timer(alert))
            try tx.appendEvidence(kind: "alert_opened", subject: alert.id.description, at: at, data: AlertOpenedEvidence(alert: alert))
            try enqueue(.postAlert, alert: alert, at: at, tx: tx)
            summary.opened.append(alert.id)
        }
        for (id, action) in plan.alertActions {
            guard let alert = try tx.alert(id) else { continue }
            let request = AlertRequest(action, by: .system("scheduler"), via: .system, at: at)
            if case .changed(let next, let transition, let effects) = try lifecycle.apply(request, to: alert) {
                try commit(next, transition: transition, effects: effects, previousVersion: alert.version, tx: tx)
                if case .resolve = action { summary.resolved.append(id) } else { summary.updated.append(id) }
            }
        }
        return (summary, rows)
    }

    // MARK: Actions

    /// The result of a request on an alert, for the person who asked.
    package enum ActionOutcome: Sendable, Equatable {
        case changed(Alert)
        case unchanged(Alert, String)
        case refused(String)
    }

    /// Applies a person's or the bot's request to an alert (compare-and-set on its version), records the human
    /// action as evidence (refusals too) and queues the chat updates. `cursor` is written in the same transaction.
    @discardableResult
    package func apply(_ request: AlertRequest, to id: AlertID, cursor: (name: String, value: String)? = nil) throws -> ActionOutcome {
        try database.write { tx in
            if let cursor { try tx.setCursor(cursor.name, cursor.value) }
            guard let alert = try tx.alert(id) else {
                try recordHuman(request, alert: id, outcome: "refused", detail: "no such alert", tx: tx)
                return .refused("There is no alert \(id). Try /soc2 list.")
            }
            if case .person(let person) = request.actor,
               !Routing.mayPerform(request.action, person: person, team: alert.team, config: config) {
                let why = config.person(person) == nil
                    ? "you are not in the manifests' people, so you cannot act on alerts; ask a security lead to add you."
                    : Self.refusal(request.action, alert: alert)
                try recordHuman(request, alert: id, outcome: "refused", detail: why, tx: tx)
                return .refused(why)
            }
            do {
                switch try lifecycle.apply(request, to: alert) {
                case .changed(let next, let transition, let effects):
                    try recordHuman(request, alert: id, outcome: "done", detail: nil, tx: tx)
                    try commit(next, transition: transition, effects: effects, previousVersion: alert.version, tx: tx)
                    return .changed(next)
                case .unchanged(let why):
                    try recordHuman(request, alert: id, outcome: "no-op", detail: why, tx: tx)
                    return .unchanged(alert, why)
                }
            } catch let refusal as AlertRefusal {
                try recordHuman(request, alert: id, outcome: "refused", detail: refusal.description, tx: tx)
                return .refused(refusal.description)
            }
        }
    }

    /// Records remediation evidence on an alert — what was done, with an optional link — whatever its state, ended
    /// alerts included (the control may have passed before anyone closed it). Changes no state and no version; the
    /// ledger entry is a `human_action` (`note`), read by the exceptions report and the alert's history. Who may:
    /// whoever may close the alert.
    @discardableResult
    package func recordNote(on id: AlertID, note: String, link: String?, by actor: Actor, via surface: Surface, at: Date,
                            cursor: (name: String, value: String)? = nil) throws -> ActionOutcome {
        try database.write { tx in
            if let cursor { try tx.setCursor(cursor.name, cursor.value) }
            var evidence = HumanActionEvidence(note: note, link: link, on: id, by: actor, via: surface)
            guard let alert = try tx.alert(id) else {
                evidence.outcome = "refused"; evidence.detail = "no such alert"
                try tx.appendEvidence(kind: "human_action", subject: id.description, at: at, data: evidence)
                return .refused("There is no alert \(id). Try /soc2 list.")
            }
            if case .person(let person) = actor,
               !Routing.mayPerform(.close(remediation: note, link: link), person: person, team: alert.team, config: config) {
                let why = config.person(person) == nil
                    ? "you are not in the manifests' people, so you cannot act on alerts; ask a security lead to add you."
                    : Self.refusal(.close(remediation: note, link: link), alert: alert)
                evidence.outcome = "refused"; evidence.detail = why
                try tx.appendEvidence(kind: "human_action", subject: id.description, at: at, data: evidence)
                return .refused(why)
            }
            guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                return .refused(AlertRefusal.remediationRequired.description)
            }
            try tx.appendEvidence(kind: "human_action", subject: id.description, at: at, data: evidence)
            return .unchanged(alert, "noted")
        }
    }

    /// Why a person in the manifests may not take `action` on `alert` (see `Routing.mayPerform`).
    static func refusal(_ action: AlertAction, alert: Alert) -> String {
        if case .acceptRisk = action {
            return "only the security leads or \(alert.team)'s security admins may accept risk on \(alert.id)."
        }
        return "\(alert.id) belongs to team \(alert.team): only its members, its manager, its security admins and the security leads may act on it."
    }

    // MARK: Escalation timers

    /// The earliest pending alert timer (ack timeout, SLA, snooze or acceptance expiry).
    package func nextTimer() throws -> Date? {
        try database.read { try $0.nextTimerAt() }
    }

    /// When `alert` next needs the escalator under this configuration's policy. An alert of a control no longer in
    /// the manifests has none: nothing tests it any more, so it would escalate for ever; it stays listed until a
    /// person closes it.
    func timer(_ alert: Alert) -> Date? {
        guard config.control(alert.control) != nil else { return nil }
        return AlertTimers.next(for: alert, policy: config.policy)?.at
    }

    /// Recomputes every live alert's recorded timer: at start, since the manifests' escalation policy may have
    /// changed since the timers were written (and a database from before timers were recorded has none).
    package func refreshTimers() throws {
        try database.write { tx in
            for alert in try tx.liveAlerts() { try tx.setTimer(alert.id, at: timer(alert)) }
        }
    }

    /// Fires every alert timer due at `now`; returns how many alerts changed.
    @discardableResult
    package func fireTimers(at now: Date) throws -> Int {
        var changed = 0
        let due = try database.read { try $0.alertsWithTimers(dueBy: now) }
        for alert in due {
            // One alert may have several timers due (ack timeout, then the SLA): fire them in order.
            var current = alert
            while let action = AlertTimers.due(for: current, at: now, policy: config.policy) {
                let outcome = try apply(AlertRequest(action, by: .system("escalator"), via: .system, at: now), to: current.id)
                guard case .changed(let next) = outcome else { break }
                current = next
                changed += 1
            }
        }
        return changed
    }

    // MARK: Internals

    private func commit(_ alert: Alert, transition: AlertTransition, effects: [AlertEffect], previousVersion: Int, tx: StoreTransaction) throws {
        try tx.saveAlert(alert, expectedVersion: previousVersion)
        try tx.setTimer(alert.id, at: timer(alert))
        try tx.appendEvidence(kind: "alert_transition", subject: alert.id.description, at: transition.at, data: transition)
        for effect in effects { try enqueue(effect, alert: alert, at: transition.at, tx: tx) }
    }

    private func enqueue(_ effect: AlertEffect, alert: Alert, at: Date, tx: StoreTransaction) throws {
        let top = config.policy.topLevel
        switch effect {
        case .postAlert:
            let payload = try StoreJSON.encode(AlertMessage.render(alert, topLevel: top))
            for destination in Routing.teamChannels(team: alert.team, severity: alert.severity, config: config) {
                try tx.enqueue(alert: alert.id, kind: .post, destination: destination, payload: payload, at: at)
            }
        case .updateAlert(let line, let broadcast):
            let payload = try StoreJSON.encode(AlertMessage.update(alert, line: line, at: at, broadcast: broadcast, topLevel: top))
            for destination in Routing.teamChannels(team: alert.team, severity: alert.severity, config: config) {
                try tx.enqueue(alert: alert.id, kind: .update, destination: destination, payload: payload, at: at)
            }
        case .notifyEscalation(let level):
            for person in Routing.escalationPeople(team: alert.team, level: level, config: config) {
                let payload = try StoreJSON.encode(AlertMessage.escalation(alert, level: level, recipient: person, topLevel: top))
                for destination in Routing.directMessages(to: [person], config: config) {
                    try tx.enqueue(alert: alert.id, kind: .direct, destination: destination, payload: payload, at: at)
                }
            }
        }
    }

    /// Records that someone was refused on a chat surface before any alert was involved (an unmapped person asking
    /// for the readiness view, a request from another Slack workspace): the ledger keeps every refusal.
    package func recordRefusal(actor: String, surface: Surface, request: String, reason: String, at: Date) throws {
        try database.write { tx in
            try tx.appendEvidence(kind: "chat_refusal", subject: nil, at: at,
                                  data: ChatRefusalEvidence(actor: actor, surface: surface, request: String(request.prefix(200)), reason: reason))
        }
    }

    private func recordHuman(_ request: AlertRequest, alert: AlertID, outcome: String, detail: String?, tx: StoreTransaction) throws {
        guard request.action.isHuman else { return }
        try tx.appendEvidence(kind: "human_action", subject: alert.description, at: request.at,
                              data: HumanActionEvidence(request: request, alert: alert, outcome: outcome, detail: detail))
    }

    /// The run's evidence of exactly what was observed, format `soc2bot-results-v1`: SHA-256 over one line per
    /// result, in the order the check returned them:
    /// `resource id TAB status TAB expected TAB observed TAB failing-since (ISO 8601, or empty) LF`, where status is
    /// `pass`, `fail` or `error:<message>`, and TAB, LF and backslash inside a field are written `\t`, `\n`, `\\`.
    /// Written by hand rather than through JSONEncoder: at 100,000 results per run the encoder dominated reconcile.
    package static let digestFormat = "soc2bot-results-v1"

    package static func digest(_ results: [CheckResult]) -> String {
        var hasher = SHA256()
        var buffer = [UInt8]()
        buffer.reserveCapacity(64 * 1024)
        func field(_ text: String) {
            // Most fields hold nothing to escape: copied whole.
            if !text.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x5C }) {
                buffer.append(contentsOf: text.utf8)
                return
            }
            for byte in text.utf8 {
                switch byte {
                case 0x09: buffer.append(0x5C); buffer.append(UInt8(ascii: "t"))
                case 0x0A: buffer.append(0x5C); buffer.append(UInt8(ascii: "n"))
                case 0x5C: buffer.append(0x5C); buffer.append(0x5C)
                default: buffer.append(byte)
                }
            }
        }
        for result in results {
            field(result.resource.id); buffer.append(0x09)
            switch result.status {
            case .pass: field("pass")
            case .fail: field("fail")
            case .error(let message): field("error:" + message)
            }
            buffer.append(0x09)
            field(result.expected); buffer.append(0x09)
            field(result.observed); buffer.append(0x09)
            if let since = result.failingSince { field(TimeText.iso(since)) }
            buffer.append(0x0A)
            if buffer.count >= 60 * 1024 {
                hasher.update(data: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        hasher.update(data: buffer)
        return Data(hasher.finalize()).hexString
    }
}

/// The tracks and live alerts of a step's controls as its write left them (tracks with what each run saved and forgot;
/// live alerts only of the controls whose run changed none, as read), with the change mark at its end (`TransactionScope.changeMark`): the next step's write takes them instead of reading them when its
/// own mark is the same — nothing was written in between, by this process or any other. Taken once (a write that then
/// fails keeps nothing); a step keeps only what its committed write left.
final class KeptStepRows: Sendable {
    struct Rows: Sendable {
        var mark: StoreChangeMark
        var tracks: [ControlID: [String: ResourceTrack]] = [:]
        var live: [ControlID: [String: Alert]] = [:]
    }

    private let kept = Mutex<Rows?>(nil)

    func keep(_ rows: Rows) { kept.withLock { $0 = rows } }

    /// What is kept, if its mark is `mark`; nothing is kept afterwards.
    func take(ifUnchangedSince mark: StoreChangeMark) -> Rows? {
        kept.withLock { rows in
            defer { rows = nil }
            return rows?.mark == mark ? rows : nil
        }
    }
}

/// Each control's last results and their digest (`AlertEngine.digest`), for results of up to `limit` resources: a
/// control's results mostly repeat from run to run, and comparing what the digest reads of them costs a fraction of
/// writing and hashing it.
package final class DigestMemo: Sendable {
    private let kept = Mutex<[ControlID: (results: [CheckResult], digest: String)]>([:])
    package static let limit = 1_000
    package init() {}

    package func digest(of results: [CheckResult], control: ControlID) -> String {
        if let last = kept.withLock({ $0[control] }), Self.sameDigestInput(last.results, results) { return last.digest }
        let digest = AlertEngine.digest(results)
        kept.withLock { $0[control] = results.count <= Self.limit ? (results, digest) : nil }
        return digest
    }

    /// Whether `a` and `b` give the digest the same input: the fields it reads, their text compared byte for byte
    /// (Swift's `==` on strings takes canonically equivalent texts — an accent composed or not — as equal; the
    /// digest hashes their bytes).
    static func sameDigestInput(_ a: [CheckResult], _ b: [CheckResult]) -> Bool {
        func same(_ x: String, _ y: String) -> Bool { x.utf8.elementsEqual(y.utf8) }
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) {
            guard same(x.resource.id, y.resource.id), same(x.expected, y.expected), same(x.observed, y.observed),
                  x.failingSince == y.failingSince else { return false }
            switch (x.status, y.status) {
            case (.pass, .pass), (.fail, .fail): continue
            case (.error(let m), .error(let n)) where same(m, n): continue
            default: return false
            }
        }
        return true
    }
}
