import Core
import Foundation
import HTTP
import Logging
import Reports
import Store
import Synchronization

/// Anchors the evidence ledger's head outside the bot (`ledger.anchor`): a checkpoint signed with the trust-center key
/// in the checkpoint directory, and/or an RFC 3161 timestamp of the head hash from the TSA; each anchor is recorded
/// in the ledger (kind `ledger_anchor`). A TSA or directory that fails is recorded in the anchor entry, never thrown:
/// nothing waits on an anchor.
package struct LedgerAnchoring: Sendable {
    package let settings: LedgerAnchorSettings
    package let organisation: String
    package let database: BotDatabase
    /// The trust-center key; nil: no checkpoints (the manifests' key variable is unset).
    package let signer: TrustCenter?
    package let transport: any HTTPTransport

    package init(settings: LedgerAnchorSettings, organisation: String, database: BotDatabase, signer: TrustCenter?,
                 transport: any HTTPTransport = URLSessionTransport()) {
        self.settings = settings; self.organisation = organisation; self.database = database; self.signer = signer; self.transport = transport
    }

    /// The anchoring for the manifests' `ledger.anchor`, signing with the key in `server.trust_center_key`'s variable.
    /// Nil when the manifests set no anchoring; throws when the key is set but is not a key.
    package static func configured(_ config: BotConfig, database: BotDatabase, environment: [String: String],
                                   transport: any HTTPTransport = URLSessionTransport()) throws -> LedgerAnchoring? {
        guard let settings = config.ledgerAnchor else { return nil }
        let signer = try config.server?.trustCenterKeyVariable.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }.map(TrustCenter.init(base64Key:))
        return LedgerAnchoring(settings: settings, organisation: config.organisation, database: database, signer: signer, transport: transport)
    }

    /// Anchors the current head at `now` and records the anchor; nil when the ledger is empty.
    @discardableResult
    package func anchor(at now: Date, reason: String) async throws -> LedgerAnchors.Record? {
        guard let head = try database.read({ try $0.ledgerHead() }) else { return nil }
        var record = LedgerAnchors.Record(seq: head.seq, hash: head.hash, reason: reason)
        let directory = settings.checkpoints.map { URL(fileURLWithPath: $0) }
        let name = directory.map { LedgerAnchors.unusedName(seq: head.seq, directory: $0) } ?? LedgerAnchors.checkpointName(seq: head.seq)
        if let directory {
            if let signer {
                do {
                    let written = try LedgerAnchors.writeCheckpoint(.init(organisation: organisation, seq: head.seq, hash: head.hash, at: TimeText.iso(now)),
                                                                    signer: signer, directory: directory, name: name)
                    record.checkpoint = written.name
                    record.signature = written.signature.base64EncodedString()
                } catch {
                    record.checkpointError = "could not write to \(directory.path): \(error.localizedDescription)"
                }
            } else {
                record.checkpointError = "the trust-center key is not set, so no checkpoint was signed"
            }
        }
        if let tsa = settings.tsa, let url = URL(string: tsa), let imprint = Data(hex: head.hash) {
            do {
                let (response, info) = try await timestamp(imprint: imprint, url: url)
                record.timestamp = .init(tsa: HTTPError.redacted(url), response: response.base64EncodedString(), time: info.time, serial: info.serial)
                if let directory {
                    do { try LedgerAnchors.writeTimestamp(response, name: name, directory: directory) } catch {
                        record.checkpointError = (record.checkpointError.map { $0 + "; " } ?? "") + "could not write the timestamp: \(error.localizedDescription)"
                    }
                }
            } catch {
                record.timestampError = "\(error)"
            }
        }
        let anchored = record
        try database.write { tx in _ = try tx.appendEvidence(kind: LedgerAnchors.kind, subject: LedgerAnchors.subject, at: now, data: anchored) }
        return record
    }

    /// Why a timestamp could not be had.
    package struct TimestampError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Asks the TSA to stamp `imprint` (a SHA-256): POSTs a TimeStampReq (nonce, certReq) and checks the answer's
    /// status and that its token stamps this imprint with this nonce. Returns the TimeStampResp as sent.
    package func timestamp(imprint: Data, url: URL) async throws -> (Data, TimeStampProtocol.TokenInfo) {
        let nonce = TimeStampProtocol.makeNonce()
        let request = HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/timestamp-query"), ("Accept", "application/timestamp-reply")],
                                  body: TimeStampProtocol.request(imprint: imprint, nonce: nonce), timeout: 30)
        let response: HTTPResponse
        do { response = try await transport.send(request) } catch {
            throw TimestampError(description: "the TSA did not answer (\(error))")
        }
        guard response.status == 200 else { throw TimestampError(description: "the TSA answered HTTP \(response.status)") }
        let info: TimeStampProtocol.TokenInfo
        do { info = try TimeStampProtocol.readResponse(response.body).info } catch {
            throw TimestampError(description: "the TSA's answer is unusable: \(error)")
        }
        guard info.imprint == imprint else { throw TimestampError(description: "the TSA's token stamps another hash: refused") }
        guard info.nonce == nonce else { throw TimestampError(description: "the TSA's token does not echo the request's nonce: refused") }
        return (response.body, info)
    }
}

/// Anchors the ledger head every `ledger.anchor.every` (the first at start), and sooner after a timestamp the TSA
/// failed to give (`LedgerAnchorSettings.tsaRetry`). The next anchor is due from the latest `ledger_anchor` entry,
/// so a restart neither skips nor repeats one.
package struct LedgerAnchorWork: TimedWork {
    let anchoring: LedgerAnchoring
    let start: Date
    /// After a run that found nothing to anchor (an empty ledger), not before this.
    private let idleUntil = IdleUntil()

    package init(anchoring: LedgerAnchoring, start: Date) { self.anchoring = anchoring; self.start = start }

    package func nextDue() async throws -> Date? {
        let latest = try anchoring.database.read { try $0.latestEvidence(subject: LedgerAnchors.subject, kind: LedgerAnchors.kind) }
        var due = start
        if let latest, let at = LedgerPayload.at(latest) {
            due = at.addingTimeInterval(anchoring.settings.every)
            let record = LedgerPayload.data(latest, kind: LedgerAnchors.kind, as: LedgerAnchors.Record.self)
            if anchoring.settings.tsa != nil, record?.timestamp == nil {
                due = min(due, at.addingTimeInterval(LedgerAnchorSettings.tsaRetry))
            }
        }
        if let idle = idleUntil.time.withLock({ $0 }) { due = max(due, idle) }
        return due
    }

    package func run(at now: Date) async throws {
        guard let due = try await nextDue(), due <= now else { return }
        if try await anchoring.anchor(at: now, reason: "schedule") == nil {
            idleUntil.time.withLock { $0 = now.addingTimeInterval(LedgerAnchorSettings.tsaRetry) }
        }
    }
}

/// A moment shared by copies of one work value.
private final class IdleUntil: Sendable {
    let time = Mutex<Date?>(nil)
}
