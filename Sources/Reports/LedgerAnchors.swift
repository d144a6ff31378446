import Core
import Foundation
import Store

/// Anchors of the evidence ledger's head outside the bot: what an anchor records, the checkpoint files, and checking
/// every anchor against a chain (the live database or an export's slice).
///
/// A checkpoint is three files sharing a name in the checkpoint directory, never rewritten:
/// `checkpoint-<seq>.json` (the canonical JSON of organisation, seq, hash, time), `checkpoint-<seq>.json.sig` (its
/// Ed25519 signature with the trust-center key) and, when a TSA stamped the head, `checkpoint-<seq>.tsr` (the TSA's
/// RFC 3161 response; its imprint is the head hash itself). `public-key.pem` is written beside the first one.
package enum LedgerAnchors {
    /// The ledger kind of an anchor entry (subject `ledger`).
    package static let kind = "ledger_anchor"
    package static let subject = "ledger"
    package static let publicKeyFile = "public-key.pem"

    /// What a checkpoint file signs.
    package struct Checkpoint: Codable, Sendable, Equatable {
        package var organisation: String
        package var seq: Int64
        /// The head entry's hash, hex.
        package var hash: String
        /// When the head was signed (`TimeText.iso`).
        package var at: String
        package init(organisation: String, seq: Int64, hash: String, at: String) {
            self.organisation = organisation; self.seq = seq; self.hash = hash; self.at = at
        }
    }

    /// An RFC 3161 timestamp kept with an anchor.
    package struct Timestamp: Codable, Sendable, Equatable {
        package var tsa: String
        /// The TimeStampResp as the TSA sent it, DER, base64 (`openssl ts -verify -in` reads it once decoded).
        package var response: String
        package var time: Date
        package var serial: String
        package init(tsa: String, response: String, time: Date, serial: String) {
            self.tsa = tsa; self.response = response; self.time = time; self.serial = serial
        }
    }

    /// The data of a `ledger_anchor` entry: the anchored head (the entry before the anchor, or earlier when other
    /// entries came between), where it was anchored, and what failed.
    package struct Record: Codable, Sendable, Equatable {
        package var seq: Int64
        package var hash: String
        /// `schedule` or `export`.
        package var reason: String
        /// The checkpoint's file name (without extension) in the checkpoint directory; nil: none written.
        package var checkpoint: String?
        /// The checkpoint's Ed25519 signature, base64.
        package var signature: String?
        package var timestamp: Timestamp?
        /// Why no checkpoint was written (the directory could not be written).
        package var checkpointError: String?
        /// Why no timestamp was obtained (the TSA was down or refused); the next anchor is tried sooner.
        package var timestampError: String?
        package init(seq: Int64, hash: String, reason: String, checkpoint: String? = nil, signature: String? = nil, timestamp: Timestamp? = nil,
                     checkpointError: String? = nil, timestampError: String? = nil) {
            self.seq = seq; self.hash = hash; self.reason = reason; self.checkpoint = checkpoint; self.signature = signature
            self.timestamp = timestamp; self.checkpointError = checkpointError; self.timestampError = timestampError
        }
    }

    /// `checkpoint-000000000042`: zero-padded so names sort by sequence number.
    package static func checkpointName(seq: Int64) -> String { "checkpoint-" + String(format: "%012lld", seq) }

    /// The name for a new anchor of `seq` in `directory`: `checkpoint-<seq>`, or `checkpoint-<seq>-2`, … when another
    /// process (the bot and an `evidence export`) anchored the same head first.
    package static func unusedName(seq: Int64, directory: URL) -> String {
        let base = checkpointName(seq: seq)
        func used(_ name: String) -> Bool {
            [".json", ".tsr"].contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent(name + $0).path) }
        }
        var name = base, n = 1
        while used(name) { n += 1; name = "\(base)-\(n)" }
        return name
    }

    /// Writes a checkpoint's JSON and signature (and `public-key.pem` when the directory has none) as `name`; refuses
    /// to overwrite an existing file. Returns the signed bytes' signature.
    package static func writeCheckpoint(_ checkpoint: Checkpoint, signer: TrustCenter, directory: URL, name: String? = nil) throws -> (name: String, signature: Data) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent(publicKeyFile)
        if !FileManager.default.fileExists(atPath: key.path) {
            try Data(signer.publicKeyPEM.utf8).write(to: key, options: .withoutOverwriting)
        }
        let name = name ?? unusedName(seq: checkpoint.seq, directory: directory)
        let json = try CanonicalJSON.encode(checkpoint)
        let signature = try signer.sign(json)
        try json.write(to: directory.appendingPathComponent(name + ".json"), options: .withoutOverwriting)
        try signature.write(to: directory.appendingPathComponent(name + ".json.sig"), options: .withoutOverwriting)
        return (name, signature)
    }

    /// Writes the TSA's response as `name.tsr` (beside the checkpoint of that name), never over an existing one.
    package static func writeTimestamp(_ response: Data, name: String, directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try response.write(to: directory.appendingPathComponent(name + ".tsr"), options: .withoutOverwriting)
    }

    /// The chain an anchor is checked against.
    package struct Chain {
        /// The first and last entries present (nil: none).
        package var first: Int64
        package var last: Int64?
        /// The hash of entry `seq`, when present.
        package var hash: (Int64) throws -> Data?
        /// An export's period end: an anchor made before it anchors an entry that must be in the export. Nil for the
        /// whole ledger (every anchored entry must be present).
        package var periodEnd: Date?
        package init(first: Int64, last: Int64?, periodEnd: Date? = nil, hash: @escaping (Int64) throws -> Data?) {
            self.first = first; self.last = last; self.periodEnd = periodEnd; self.hash = hash
        }
    }

    /// The outcome of checking anchors.
    package struct Report: Sendable, Equatable {
        /// Anchors that show tampering (entries removed or rewritten after an anchor) or that are forged.
        package var problems: [Problem] = []
        /// Anchors that could not be completed (no timestamp while the TSA was down): not tampering, but a gap.
        package var gaps: [String] = []
        /// How many checkpoints, timestamps and anchor entries were checked against the chain.
        package var checked = 0
        /// Anchors of entries outside an export's slice, which only the live ledger can check.
        package var outside = 0
        package init() {}

        package struct Problem: Sendable, Equatable, CustomStringConvertible {
            /// The first entry concerned (removed, rewritten, or the anchor entry).
            package var seq: Int64
            package var reason: String
            package var description: String { reason }
        }
        package var isClean: Bool { problems.isEmpty }

        /// Lines for `evidence verify`.
        package var lines: [String] {
            var lines = problems.map { "anchor problem: \($0.reason)" }
            lines += gaps.map { "anchor gap: \($0)" }
            if checked > 0 || outside > 0 {
                lines.append("anchors: \(checked) checked" + (problems.isEmpty ? ", all match the chain" : ", \(problems.count) do not match")
                             + (outside > 0 ? "; \(outside) anchor entries outside this export" : ""))
            }
            return lines
        }
    }

    /// Checks every anchor: the `ledger_anchor` entries (`entries`: the entry's own seq and its record), and the
    /// checkpoint directory's files (signed checkpoints and TSA responses) when given. An anchored entry missing from
    /// the chain (the ledger was cut after it) or whose hash differs (rewritten) is a problem naming the anchor; so is a
    /// checkpoint whose signature does not verify (forged), or a timestamp that does not stamp the anchored hash.
    /// How far an anchor's clock may be from the ledger's at an export's period end (see `check`).
    package static let clockTolerance: TimeInterval = 300

    package static func check(chain: Chain, entries: [(seq: Int64, at: String, record: Record)], directory: URL?, publicKeyPEM: String?,
                              tsaConfigured: Bool) throws -> Report {
        var report = Report()
        /// Nil when entry `seq` has `hash`; otherwise why not, naming `anchor` (made at `at`).
        func compare(seq: Int64, hash: String, anchor: String, at: Date?) throws -> Report.Problem? {
            if seq < chain.first { report.outside += 1; return nil }
            guard let last = chain.last, seq <= last else {
                // An export's slice ends at its period's end: an anchor made after it anchors entries outside the slice. The
                // anchor's time is the signer's or the TSA's clock, not the anchored entry's (ledger times are kept
                // monotonic, and a TSA's clock is its own), so one made within `clockTolerance` of the end is given the
                // benefit of the doubt rather than reported as a cut of a clean export.
                if let end = chain.periodEnd, let at, at >= end.addingTimeInterval(-Self.clockTolerance) { report.outside += 1; return nil }
                let ends = chain.last.map { "ends at entry \($0)" } ?? "is empty"
                return .init(seq: (chain.last ?? 0) + 1,
                             reason: "the chain \(ends), but \(anchor) anchors entry \(seq) (hash \(hash)): entries after \(chain.last ?? 0) were removed")
            }
            report.checked += 1
            guard let actual = try chain.hash(seq) else {
                return .init(seq: seq, reason: "entry \(seq), anchored by \(anchor), is missing from the chain")
            }
            guard actual.hexString == hash.lowercased() else {
                return .init(seq: seq, reason: "entry \(seq) has hash \(actual.hexString), but \(anchor) anchored it with hash \(hash): the ledger was rewritten after the anchor, or the anchor is forged")
            }
            return nil
        }

        for (entrySeq, at, record) in entries {
            let name = "the anchor in entry \(entrySeq) (\(at)\(record.checkpoint.map { ", checkpoint \($0)" } ?? ""))"
            if record.seq >= entrySeq {
                report.problems.append(.init(seq: entrySeq, reason: "\(name) anchors entry \(record.seq), which is not before it: the anchor entry is forged"))
                continue
            }
            if let problem = try compare(seq: record.seq, hash: record.hash, anchor: name, at: TimeText.parse(at)) { report.problems.append(problem) }
            if let timestamp = record.timestamp {
                do {
                    let info = try TimeStampProtocol.readResponse(Data(base64Encoded: timestamp.response) ?? Data()).info
                    if info.imprint.hexString != record.hash.lowercased() {
                        report.problems.append(.init(seq: entrySeq, reason: "\(name): its timestamp stamps \(info.imprint.hexString), not the anchored hash \(record.hash): forged or altered"))
                    }
                } catch {
                    report.problems.append(.init(seq: entrySeq, reason: "\(name): its timestamp cannot be read (\(error)): forged or altered"))
                }
            } else if tsaConfigured || record.timestampError != nil {
                let later = entries.first { $0.seq > entrySeq && $0.record.timestamp != nil }
                report.gaps.append("\(name) has no TSA timestamp (\(record.timestampError ?? "none requested")); "
                                   + (later.map { "the next timestamped anchor is entry \($0.seq) (\($0.at))" } ?? "no later anchor is timestamped yet"))
            }
            if let error = record.checkpointError { report.gaps.append("\(name) wrote no checkpoint: \(error)") }
        }

        guard let directory else { return report }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let names = Set(files.compactMap { file -> String? in
            guard file.hasPrefix("checkpoint-") else { return nil }
            return file.hasSuffix(".json") ? String(file.dropLast(5)) : file.hasSuffix(".tsr") ? String(file.dropLast(4)) : nil
        }).sorted()
        for name in names {
            let json = directory.appendingPathComponent(name + ".json")
            var anchored: (seq: Int64, hash: String)?
            if let bytes = try? Data(contentsOf: json) {
                let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: bytes)
                let signature = try? Data(contentsOf: directory.appendingPathComponent(name + ".json.sig"))
                guard let checkpoint, checkpoint.seq >= 1 else {
                    report.problems.append(.init(seq: chain.first, reason: "checkpoint \(name) is not a checkpoint: refused"))
                    continue
                }
                guard let publicKeyPEM, let signature, TrustCenter.verify(signature: signature, of: bytes, publicKeyPEM: publicKeyPEM) else {
                    let why = publicKeyPEM == nil ? "there is no public key to check it with" : signature == nil ? "its signature file is missing" : "its signature does not verify"
                    report.problems.append(.init(seq: checkpoint.seq, reason: "checkpoint \(name) is forged or altered (\(why)): refused"))
                    continue
                }
                anchored = (checkpoint.seq, checkpoint.hash)
                if let problem = try compare(seq: checkpoint.seq, hash: checkpoint.hash, anchor: "checkpoint \(name) (signed \(checkpoint.at))",
                                             at: TimeText.parse(checkpoint.at)) {
                    report.problems.append(problem)
                }
            }
            let tsr = directory.appendingPathComponent(name + ".tsr")
            guard let response = try? Data(contentsOf: tsr) else { continue }
            let info: TimeStampProtocol.TokenInfo
            do { info = try TimeStampProtocol.readResponse(response).info } catch {
                report.problems.append(.init(seq: anchored?.seq ?? chain.first, reason: "timestamp \(name).tsr cannot be read (\(error)): refused"))
                continue
            }
            let seq = anchored?.seq ?? Int64(String(name.dropFirst("checkpoint-".count).prefix { $0.isNumber })) ?? 0
            let label = "timestamp \(name).tsr (TSA time \(TimeText.iso(info.time)))"
            if let anchored, info.imprint.hexString != anchored.hash.lowercased() {
                report.problems.append(.init(seq: seq, reason: "\(label) stamps \(info.imprint.hexString), not the checkpoint's hash \(anchored.hash): forged or altered"))
                continue
            }
            if let problem = try compare(seq: seq, hash: info.imprint.hexString, anchor: label, at: info.time) { report.problems.append(problem) }
        }
        return report
    }

    /// The anchor entries among ledger entries (canonical JSON), with their own seq and time.
    package static func entries(_ canonical: [Data]) -> [(seq: Int64, at: String, record: Record)] {
        canonical.compactMap { entry in
            guard let object = LedgerPayload.object(entry), let seq = (object["seq"] as? NSNumber)?.int64Value, let at = object["at"] as? String,
                  let record = LedgerPayload.data(entry, kind: kind, as: Record.self) else { return nil }
            return (seq, at, record)
        }
    }

    /// One line for `soc2bot status`: the latest anchor, and the gap while its timestamp or checkpoint is missing.
    package static func status(_ tx: any LedgerRepository, settings: LedgerAnchorSettings) throws -> String {
        guard let entry = try tx.latestEvidence(subject: subject, kind: kind), let at = LedgerPayload.at(entry),
              let record = LedgerPayload.data(entry, kind: kind, as: Record.self) else {
            return "Ledger anchors: none yet (one every \(DurationText.format(settings.every)))"
        }
        var line = "Ledger anchored at entry \(record.seq) on \(TimeText.human(at))"
        if let checkpoint = record.checkpoint { line += " · \(checkpoint)" }
        if let timestamp = record.timestamp { line += " · TSA time \(TimeText.human(timestamp.time))" }
        if settings.tsa != nil, record.timestamp == nil {
            line += " · GAP: no TSA timestamp (\(record.timestampError ?? "none requested")); retried every \(DurationText.format(LedgerAnchorSettings.tsaRetry))"
        }
        if let error = record.checkpointError { line += " · GAP: \(error)" }
        return line
    }

    /// Checks the live ledger's anchors (after its chain verified).
    package static func check(_ tx: any LedgerRepository, directory: URL?, publicKeyPEM: String?, tsaConfigured: Bool) throws -> Report {
        let head = try tx.ledgerHead()
        return try check(chain: Chain(first: 1, last: head?.seq, hash: { try tx.ledgerHash(seq: $0) }),
                         entries: entries(try tx.evidence(subject: subject)), directory: directory, publicKeyPEM: publicKeyPEM, tsaConfigured: tsaConfigured)
    }
}
