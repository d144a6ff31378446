import Chat
import Checks
import Core
import Foundation
import Reports
import Store

/// Executes the command grammar for a person on a surface and says what happened. Every surface (terminal,
/// Slack, Matrix) calls this one handler, so behaviour and wording are the same everywhere.
package struct CommandHandler: Sendable {
    package let engine: AlertEngine
    package let clock: any BotClock
    /// Wakes the controls a command's record changes (a renewal, an attestation, evidence). With triggers, the request
    /// is also recorded in the command's transaction, so a restart still runs them; without (the demo's scenario
    /// driver), nothing is re-run early.
    package let triggers: ControlTriggers?
    package init(engine: AlertEngine, clock: any BotClock, triggers: ControlTriggers? = nil) {
        self.engine = engine; self.clock = clock; self.triggers = triggers
    }

    /// Handles `text` typed by the person with chat id `chatID` on `platform`. Unknown commands and missing
    /// arguments answer with the usage or the help and change nothing; unmapped people are refused (and recorded).
    package func handle(_ text: String, from chatID: String, on platform: ChatPlatform, surface: Surface,
                        expectedVersion: Int? = nil, cursor: (name: String, value: String)? = nil) throws -> ChatMessage {
        try handle(text, as: engine.config.person(platform: platform, chatID: chatID), chatID: chatID, on: platform, surface: surface,
                   expectedVersion: expectedVersion, cursor: cursor)
    }

    /// Handles `text` for `person`, already identified by the surface (Slack also looks people up by e-mail).
    /// People not in the manifests get the help and nothing else; their other commands are refused and recorded.
    /// `cursor` is written in the transaction of whatever the command records (an alert action, evidence), so a
    /// surface can tell after a crash whether the command was done.
    package func handle(_ text: String, as person: Person?, chatID: String, on platform: ChatPlatform, surface: Surface,
                        expectedVersion: Int? = nil, cursor: (name: String, value: String)? = nil) throws -> ChatMessage {
        let command: SlashCommand
        switch SlashCommand.parse(text) {
        case .success(let parsed): command = parsed
        case .failure(let error): return .text("soc2bot", body: error.message(prefix: ChatAdapters.commandPrefix(for: platform)))
        }
        let now = clock.now()
        let config = engine.config
        let actor: Actor = person.map { .person($0.id) } ?? .person(PersonID("\(platform.rawValue):\(chatID)"))
        if person == nil, command.isReadOnly {
            let why = Self.unmapped(chatID: chatID, platform: platform)
            try engine.recordRefusal(actor: actor.description, surface: surface, request: text, reason: why, at: now)
            return .text("Refused: \(why)")
        }

        func act(_ action: AlertAction, on id: AlertID) throws -> ChatMessage {
            let outcome = try engine.apply(AlertRequest(action, by: actor, via: surface, at: now, expectedVersion: expectedVersion),
                                           to: id, cursor: cursor)
            switch outcome {
            case .changed(let alert):
                return .text("\(alert.id) is now \(alert.state.label).", body: alert.title)
            case .unchanged(_, let why):
                return .text("Nothing to do: \(why)")
            case .refused(let why):
                return .text("Refused: \(why)")
            }
        }

        switch command {
        case .help:
            return .text("soc2bot commands", body: SlashCommand.helpText(prefix: ChatAdapters.commandPrefix(for: platform)))
        case .status:
            return try engine.database.read { try StatusReport.build(config: config, store: $0, now: now) }.message
        case .list(let filter):
            let alerts = AlertListing.filter(try engine.database.read { try $0.liveAlerts() }, by: filter)
            let body = alerts.isEmpty ? "No open alerts\(filter.map { " for \($0)" } ?? "")." : alerts.map { AlertListing.line($0, now: now) }.joined(separator: "\n")
            return .text("Open alerts\(filter.map { " (\($0))" } ?? ""): \(alerts.count)", body: body)
        case .show(let id):
            return try engine.database.read { tx in
                guard let alert = try tx.alert(id) else { return .text("There is no alert \(id). Try /soc2 list.") }
                return try AlertHistory.message(alert, store: tx, topLevel: config.policy.topLevel)
            }
        case .ack(let id):
            return try act(.acknowledge, on: id)
        case .snooze(let id, let duration, let rationale):
            return try act(.snooze(until: now.addingTimeInterval(duration), rationale: rationale), on: id)
        case .escalate(let id, let note):
            return try act(.escalate(note: note), on: id)
        case .close(let id, let remediation, let link):
            return try act(.close(remediation: remediation, link: link), on: id)
        case .accept(let id, let duration, let rationale):
            return try act(.acceptRisk(until: now.addingTimeInterval(duration), rationale: rationale), on: id)
        case .note(let id, let note, let link):
            switch try engine.recordNote(on: id, note: note, link: link, by: actor, via: surface, at: now, cursor: cursor) {
            case .changed(let alert), .unchanged(let alert, _):
                return .text("Noted on \(alert.id) (\(alert.state.label)): \(note)", body: alert.title + (link.map { " · \($0)" } ?? ""))
            case .refused(let why):
                return .text("Refused: \(why)")
            }
        case .certify(let system, let note):
            let controls = AccessReviews.controls(for: system, in: config)
            guard !controls.isEmpty else {
                return .text("No access review is configured for \(system).", body: "Add a control with `check: {type: access_review, system: \(system)}` to the manifests.")
            }
            guard let person, AccessReviews.mayCertify(person.id, system: system, config: config) else {
                let why = person == nil ? Self.unmapped(chatID: chatID, platform: platform)
                    : "only the reviewers of \(system) (or, when none are named, the security leads) may certify its access review."
                try engine.recordRefusal(actor: actor.description, surface: surface, request: "certify \(system)", reason: why, at: now)
                return .text("Refused: \(why)")
            }
            try engine.database.write { tx in
                if let cursor { try tx.setCursor(cursor.name, cursor.value) }
                try tx.appendEvidence(kind: AccessReviews.evidenceKind, subject: AccessReviews.subject(system), at: now,
                                      data: AccessReviewEvidence(system: system, by: person.id.rawValue, note: note))
                if triggers != nil { try tx.requestRuns(controls.map(\.id), at: now) }
            }
            triggers?.trigger(controls.map(\.id))
            return .text("\(system) access review certified by \(person.name).", body: note.map { "Note: \($0)" })
        case .vendorRenew(let vendorID, let periodEnd, let link):
            guard let vendor = config.vendors.first(where: { $0.id.lowercased() == vendorID }) else {
                let known = config.vendors.map(\.id).sorted().joined(separator: ", ")
                return .text("There is no vendor \(vendorID) in the register.", body: known.isEmpty ? "The manifests list no vendors." : "Vendors: \(known).")
            }
            guard let person, vendor.owner == person.id || config.securityLeads.contains(person.id) else {
                let why = person == nil ? Self.unmapped(chatID: chatID, platform: platform)
                    : "only \(vendor.owner.flatMap { config.person($0)?.name } ?? "the vendor's owner") or a security lead may record \(vendor.name)'s renewal."
                try engine.recordRefusal(actor: actor.description, surface: surface, request: "vendor renew \(vendorID)", reason: why, at: now)
                return .text("Refused: \(why)")
            }
            guard periodEnd <= now.addingTimeInterval(86_400) else {
                return .text("A SOC 2 report's period cannot end in the future (\(TimeText.human(periodEnd))).", body: "Give the end of the period the new report covers.")
            }
            if let current = vendor.reportPeriodEnd, periodEnd <= current {
                return .text("That is not newer than the report on file (period end \(TimeText.human(current))).")
            }
            try engine.database.write { tx in
                if let cursor { try tx.setCursor(cursor.name, cursor.value) }
                _ = try tx.appendEvidence(kind: VendorRegisterSource.evidenceKind, subject: VendorRegisterSource.subject(vendor.id), at: now,
                                          data: VendorRenewalEvidence(vendor: vendor.id.lowercased(), periodEnd: periodEnd, link: link, by: person.id.rawValue))
                if triggers != nil { try tx.requestRuns(Self.controls(reading: .vendors, in: config), at: now) }
            }
            triggers?.trigger(Self.controls(reading: .vendors, in: config))
            return .text("\(vendor.name)'s SOC 2 report renewed by \(person.name): period end \(TimeText.human(periodEnd)).", body: "Evidence: \(link)")
        case .attest(let policyID):
            guard let policy = config.policies.first(where: { $0.id.lowercased() == policyID }) else {
                let known = config.policies.map(\.id).sorted().joined(separator: ", ")
                return .text("There is no policy \(policyID).", body: known.isEmpty ? "The manifests list no policies." : "Policies: \(known).")
            }
            guard let person else {
                let why = Self.unmapped(chatID: chatID, platform: platform)
                try engine.recordRefusal(actor: actor.description, surface: surface, request: "attest \(policyID)", reason: why, at: now)
                return .text("Refused: \(why)")
            }
            try engine.database.write { tx in
                if let cursor { try tx.setCursor(cursor.name, cursor.value) }
                _ = try tx.appendEvidence(kind: PolicyAttestationSource.evidenceKind, subject: PolicyAttestationSource.subject(policy.id), at: now,
                                          data: PolicyAttestationEvidence(policy: policy.id, person: person.id.rawValue, title: policy.title, link: policy.link))
                if triggers != nil { try tx.requestRuns(Self.controls(reading: .attestations, in: config), at: now) }
            }
            triggers?.trigger(Self.controls(reading: .attestations, in: config))
            let required = policy.attesters(in: config).contains { $0.id == person.id }
            return .text("\(person.name) attested to “\(policy.title)”.",
                         body: required ? "Next due in \(DurationText.format(policy.every))." : "Recorded; you are not among the people who must attest to it.")
        case .evidence(let controlID, let note, let link):
            guard let control = config.controls.first(where: { $0.id.rawValue.lowercased() == controlID.lowercased() && !$0.isAutomated }) else {
                let manual = config.controls.filter { !$0.isAutomated }.map(\.id.rawValue).sorted().joined(separator: ", ")
                return .text("There is no manual control \(controlID).", body: manual.isEmpty ? "The manifests declare no manual controls." : "Manual controls: \(manual).")
            }
            guard let person, Routing.mayPerform(.acknowledge, person: person.id, team: control.owner, config: config) else {
                let why = person == nil ? Self.unmapped(chatID: chatID, platform: platform)
                    : "only the \(config.team(control.owner)?.name ?? control.owner.rawValue) team, its manager or a security lead may record evidence for \(control.id)."
                try engine.recordRefusal(actor: actor.description, surface: surface, request: "evidence \(controlID)", reason: why, at: now)
                return .text("Refused: \(why)")
            }
            try engine.database.write { tx in
                if let cursor { try tx.setCursor(cursor.name, cursor.value) }
                _ = try tx.appendEvidence(kind: ManualEvidence.evidenceKind, subject: control.manualEvidenceSubject, at: now,
                                          data: ManualEvidence.Record(control: control.id.rawValue, by: person.id.rawValue, note: note, link: link))
                if triggers != nil { try tx.requestRuns([control.id], at: now) }
            }
            triggers?.trigger([control.id])
            return .text("Evidence recorded for \(control.title) by \(person.name).",
                         body: "Next due in \(DurationText.format(control.cadence))." + (link.map { " Link: \($0)" } ?? ""))
        }
    }

    /// The automated controls whose check reads `kind`: re-run at once after a chat command changes those facts.
    static func controls(reading kind: FactKind, in config: BotConfig) -> [ControlID] {
        config.controls.filter { control in
            guard let type = control.check.flatMap({ CheckRegistry.type(named: $0.type) }) else { return false }
            return type.reads.contains(kind)
        }.map(\.id)
    }

    /// What an unmapped person is told.
    package static func unmapped(chatID: String, platform: ChatPlatform) -> String {
        "your \(platform.rawValue) account (\(chatID)) is not linked to anyone in the manifests, so soc2bot cannot tell who you are; "
            + "ask a security lead to add your \(platform.rawValue) id or e-mail to people.yaml."
    }
}

extension SlashCommand {
    /// Commands that only read (help is answered to anyone).
    var isReadOnly: Bool {
        switch self {
        case .status, .list, .show: true
        case .help, .ack, .snooze, .escalate, .close, .accept, .note, .certify, .vendorRenew, .attest, .evidence: false
        }
    }
}
