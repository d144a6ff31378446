import Core
import Foundation
import Store

/// The auditor's package for a period: the ledger slice with its hash chain, the alerts and control runs of the
/// period, and how to verify it offline. Verification needs only the exported files (`soc2bot evidence verify
/// --export DIR`, or any SHA-256 tool following VERIFY.md).
package enum EvidenceExport {
    /// Summary of what was written.
    package struct Summary: Sendable, Equatable {
        package var entries: Int
        package var firstSeq: Int64?
        package var lastSeq: Int64?
        package var alerts: Int
        package var files: [String]
    }

    /// One line of `ledger.jsonl`: the entry's exact canonical bytes as a string, with its chain hashes in hex.
    struct ExportedRow: Codable {
        var seq: Int64
        var at: String
        var kind: String
        var subject: String?
        var entry: String
        var prevHash: String
        var hash: String
        enum CodingKeys: String, CodingKey { case seq, at, kind, subject, entry, prevHash = "prev_hash", hash }
    }

    struct Anchor: Codable {
        var organisation: String
        var from: String
        var to: String
        var exportedAt: String
        var firstSeq: Int64?
        var lastSeq: Int64?
        /// The hash the first exported entry chains from (the previous entry's, or 64 zeros for the genesis).
        var anchorHash: String
        var headHash: String?
        var algorithm: String
    }

    /// The ledger does not verify: nothing is exported from it.
    package struct BrokenLedger: Error, CustomStringConvertible {
        package let verdict: LedgerVerdict
        package var description: String {
            "\(verdict). The evidence chain was altered outside soc2bot; refusing to export. Inspect it with `soc2bot evidence verify`, restore from backup."
        }
    }

    /// Verifies the whole ledger (every column against its hashed entry, in the snapshot the export reads) and
    /// refuses a broken one: the period's slice is chosen by the rows' times, so an edited time would silently
    /// move the slice's edges.
    ///
    /// - Parameter signer: the bot's trust-center key, when configured: anchor.json is then signed (anchor.json.sig,
    ///   public-key.pem), so the head hash itself can be checked against a key published elsewhere.
    ///   - anchorFiles: the checkpoint directory (`ledger.anchor.checkpoints`), copied whole into `anchors/`, and the
    ///     TSA's certificate chain (`ledger.anchor.tsa_certificates`), copied to `tsa-chain.pem`.
    package static func export(database: BotDatabase, config: BotConfig, from: Date, to: Date, exportedAt: Date,
                               directory: URL, signer: TrustCenter? = nil, framework: Framework = .soc2, anchorFiles: AnchorFiles? = nil) throws -> Summary {
        let organisation = config.organisation
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var ledger = Data()
        var first: LedgerRow?
        var last: LedgerRow?
        var count = 0
        let (alerts, runs): ([Alert], [CheckRunRecord]) = try database.read { tx in
            let verdict = try tx.verifyLedger()
            guard verdict.isIntact else { throw BrokenLedger(verdict: verdict) }
            try tx.ledgerRows(from: from, to: to) { row in
                if first == nil { first = row }
                last = row
                count += 1
                ledger.append(try encoder.encode(ExportedRow(
                    seq: row.seq, at: row.at, kind: row.kind, subject: row.subject,
                    entry: String(decoding: row.entry, as: UTF8.self), prevHash: row.prevHash.hexString, hash: row.hash.hexString)))
                ledger.append(0x0A)
            }
            let alerts = try tx.alerts(touching: DateInterval(start: from, end: to))
            return (alerts, try tx.latestRuns(atOrBefore: to.addingTimeInterval(-0.000_001)))
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try ledger.write(to: directory.appendingPathComponent("ledger.jsonl"))

        let anchor = Anchor(organisation: organisation, from: TimeText.iso(from), to: TimeText.iso(to), exportedAt: TimeText.iso(exportedAt),
                            firstSeq: first?.seq, lastSeq: last?.seq,
                            anchorHash: (first?.prevHash ?? EvidenceLedger.genesis).hexString, headHash: last?.hash.hexString,
                            algorithm: "hash = SHA-256(prev_hash bytes || entry UTF-8 bytes); prev_hash of entry 1 is 32 zero bytes")
        var pretty = JSONEncoder()
        pretty.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let anchorJSON = try pretty.encode(anchor)
        try anchorJSON.write(to: directory.appendingPathComponent("anchor.json"))
        var files = ["ledger.jsonl", "anchor.json", "alerts.json", "alerts.csv", "control_runs.csv", "criteria.json", "criteria.csv",
                     "report.html", "VERIFY.md", "exceptions.md"]
        var anchorCopies = 0
        if let anchorFiles {
            anchorCopies = try copyAnchors(anchorFiles, to: directory)
            if anchorCopies > 0 { files.append("anchors/") }
            if anchorFiles.tsaCertificates != nil { files.append("tsa-chain.pem") }
        }
        if let signer {
            try signer.sign(anchorJSON).write(to: directory.appendingPathComponent("anchor.json.sig"))
            try signer.publicKeyPEM.write(to: directory.appendingPathComponent("public-key.pem"), atomically: true, encoding: .utf8)
            files += ["anchor.json.sig", "public-key.pem"]
        }

        pretty = JSONEncoder()
        pretty.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        pretty.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer(); try c.encode(TimeText.iso(date))
        }
        try pretty.encode(alerts).write(to: directory.appendingPathComponent("alerts.json"))

        var csv = "alert,control,resource,episode,severity,team,state,opened_at,ended_at,failing_since,sla_deadline,sla_breached,remediation\n"
        for a in alerts {
            let fields = [a.id.description, a.control.rawValue, a.resourceKey, "\(a.episode)", a.severity.rawValue, a.team.rawValue,
                          a.state.rawValue, TimeText.iso(a.openedAt), a.endedAt.map(TimeText.iso) ?? "", TimeText.iso(a.failingSince),
                          TimeText.iso(a.slaDeadline), a.facts.breachedSLA(in: DateInterval(start: from, end: max(from, min(exportedAt, to)))) ? "yes" : "no", a.remediationNote ?? ""]
            csv += fields.map(csvField).joined(separator: ",") + "\n"
        }
        try csv.write(to: directory.appendingPathComponent("alerts.csv"), atomically: true, encoding: .utf8)

        var runsCSV = "control,last_run_at,passed,failed,errors,digest\n"
        for r in runs { runsCSV += [r.control.rawValue, TimeText.iso(r.at), "\(r.passed)", "\(r.failed)", "\(r.errors)", r.digest].joined(separator: ",") + "\n" }
        try runsCSV.write(to: directory.appendingPathComponent("control_runs.csv"), atomically: true, encoding: .utf8)

        let verify = """
        # Verifying this evidence export

        `ledger.jsonl` holds entries \(first?.seq ?? 0)…\(last?.seq ?? 0) of \(organisation)'s soc2bot evidence ledger
        recorded between \(TimeText.iso(from)) and \(TimeText.iso(to)), one JSON object per line.

        Each line's `entry` is the exact canonical JSON that was hashed. For every line, in order:

            hash = SHA-256( bytes(prev_hash from hex) || UTF-8 bytes of entry )

        and `prev_hash` must equal the previous line's `hash`. The first line's `prev_hash` must equal
        `anchorHash` in anchor.json (64 zeros when the export starts at the ledger's first entry); the last
        line's `hash` must equal `headHash`. Sequence numbers must be consecutive, and each entry's `seq`, `at`,
        `kind` and `subject` must equal its line's (a line without `subject` has none in its entry).

        With soc2bot:  soc2bot evidence verify --export <this directory>
        \(signer == nil ? "" : """

        anchor.json is signed with the bot's Ed25519 key (the trust-center key; compare public-key.pem with the one the
        organisation publishes at /trust-center.pub):

            openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in anchor.json -sigfile anchor.json.sig

        """)

        \(anchorCopies == 0 ? "" : anchorsText(tsaChain: anchorFiles?.tsaCertificates != nil))
        Compare `headHash` with the head the bot reports (`soc2bot evidence verify`) to confirm nothing was
        removed after the export.
        """
        try verify.write(to: directory.appendingPathComponent("VERIFY.md"), atomically: true, encoding: .utf8)
        let period = DateInterval(start: from, end: to)
        let (exceptions, criteria) = try database.read { tx in
            (try ExceptionsReport.build(config: config, store: tx, period: period, framework: framework),
             MetricsBreakdown.compute(.criterion, alerts: try tx.alertFacts(touching: DateInterval(start: from.addingTimeInterval(-period.duration), end: to)), controls: config.controls, ran: try tx.controlsRun(in: period),
                                      ranBefore: [], evidencedManual: try ManualCoverage.evidenced(config: config, store: tx, at: to), period: period,
                                      framework: framework))
        }
        try exceptions.markdown.write(to: directory.appendingPathComponent("exceptions.md"), atomically: true, encoding: .utf8)

        // Per criterion of the chosen framework: its controls and the period's metrics.
        struct CriterionRow: Encodable {
            var framework: String
            var criterion: String
            var title: String?
            var controls: [String]
            var alertsOpened: Int
            var remediated: Int
            var riskAccepted: Int
            var stillOpen: Int
            var slaBreaches: Int
            var mttdSeconds: Double?
            var mttrSeconds: Double?
            var evidenceCoverage: Double
        }
        let rows = criteria.map { row in
            CriterionRow(framework: framework.rawValue, criterion: row.group, title: framework.criterion(row.group)?.title,
                         controls: config.controls.filter { framework.groups(of: $0).contains(row.group) }.map(\.id.rawValue),
                         alertsOpened: row.current.opened, remediated: row.current.remediated, riskAccepted: row.current.accepted,
                         stillOpen: row.current.stillOpen, slaBreaches: row.current.slaBreaches, mttdSeconds: row.current.mttd,
                         mttrSeconds: row.current.mttr, evidenceCoverage: row.current.coverage)
        }
        try pretty.encode(rows).write(to: directory.appendingPathComponent("criteria.json"))
        var criteriaCSV = "criterion,title,controls,alerts_opened,remediated,risk_accepted,still_open,sla_breaches,mttd_seconds,mttr_seconds,evidence_coverage\n"
        for r in rows {
            criteriaCSV += [r.criterion, r.title ?? "", r.controls.joined(separator: " "), "\(r.alertsOpened)", "\(r.remediated)", "\(r.riskAccepted)", "\(r.stillOpen)",
                            "\(r.slaBreaches)", r.mttdSeconds.map { String(Int($0)) } ?? "", r.mttrSeconds.map { String(Int($0)) } ?? "",
                            String(format: "%.2f", r.evidenceCoverage)].map(csvField).joined(separator: ",") + "\n"
        }
        try criteriaCSV.write(to: directory.appendingPathComponent("criteria.csv"), atomically: true, encoding: .utf8)
        try report(organisation: organisation, period: period, anchor: anchor, framework: framework,
                   criteria: rows.map { (framework.label($0.criterion), $0.alertsOpened, $0.slaBreaches, $0.mttdSeconds, $0.mttrSeconds) },
                   alerts: alerts, exceptions: exceptions.markdown, signed: signer != nil)
            .write(to: directory.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        return Summary(entries: count, firstSeq: first?.seq, lastSeq: last?.seq, alerts: alerts.count, files: files)
    }

    /// Verifies an export directory with nothing but its files.
    package static func verify(directory: URL) throws -> LedgerVerdict {
        let anchor = try JSONDecoder().decode(Anchor.self, from: Data(contentsOf: directory.appendingPathComponent("anchor.json")))
        let text = try Data(contentsOf: directory.appendingPathComponent("ledger.jsonl"))
        var verifier = ChainVerifier(startingAfter: (anchor.firstSeq ?? 1) - 1, hash: Data(hex: anchor.anchorHash) ?? Data())
        var lastSeq: Int64 = (anchor.firstSeq ?? 1) - 1
        let decoder = JSONDecoder()
        var hashes: [Int64: Data] = [:]
        var anchorEntries: [Data] = []
        for line in text.split(separator: 0x0A) where !line.isEmpty {
            guard let row = try? decoder.decode(ExportedRow.self, from: Data(line)) else {
                return .broken(seq: lastSeq + 1, reason: "line after entry \(lastSeq) is not a ledger row")
            }
            guard let prev = Data(hex: row.prevHash), let hash = Data(hex: row.hash) else {
                return .broken(seq: row.seq, reason: "hashes are not hex")
            }
            if let problem = verifier.check(seq: row.seq, entry: Data(row.entry.utf8), prevHash: prev, hash: hash,
                                            at: row.at, kind: row.kind, subject: row.subject) {
                return .broken(seq: row.seq, reason: problem)
            }
            lastSeq = row.seq
            hashes[row.seq] = hash
            if row.kind == LedgerAnchors.kind { anchorEntries.append(Data(row.entry.utf8)) }
        }
        let verdict = verifier.verdict
        if case .intact = verdict {
            // Every anchor in the export (anchor entries in the slice, copied checkpoints and timestamps) against the slice.
            let anchorsURL = directory.appendingPathComponent("anchors")
            let key = (try? String(contentsOf: anchorsURL.appendingPathComponent(LedgerAnchors.publicKeyFile), encoding: .utf8))
            let report = try LedgerAnchors.check(
                chain: LedgerAnchors.Chain(first: anchor.firstSeq ?? 1, last: anchor.firstSeq == nil ? nil : lastSeq, periodEnd: TimeText.parse(anchor.to),
                                           hash: { hashes[$0] }),
                entries: LedgerAnchors.entries(anchorEntries), directory: FileManager.default.fileExists(atPath: anchorsURL.path) ? anchorsURL : nil,
                publicKeyPEM: key, tsaConfigured: false)
            if let problem = report.problems.first { return .broken(seq: problem.seq, reason: problem.reason) }
        }
        let signatureURL = directory.appendingPathComponent("anchor.json.sig"), keyURL = directory.appendingPathComponent("public-key.pem")
        if FileManager.default.fileExists(atPath: signatureURL.path) || FileManager.default.fileExists(atPath: keyURL.path) {
            guard let pem = try? String(contentsOf: keyURL, encoding: .utf8), let signature = try? Data(contentsOf: signatureURL),
                  TrustCenter.verify(signature: signature, of: try Data(contentsOf: directory.appendingPathComponent("anchor.json")), publicKeyPEM: pem) else {
                return .broken(seq: anchor.firstSeq ?? 1, reason: "anchor.json does not match its signature (anchor.json.sig, public-key.pem): the anchor was altered")
            }
        }
        if case .intact(_, let head) = verdict, let expected = anchor.headHash, head != expected {
            // Name the first missing entry, not the last one that verified.
            return .broken(seq: lastSeq + 1, reason: "the export ends at \(head), but anchor.json says the head is \(expected): entries were removed from the end")
        }
        return verdict
    }

    /// Where the anchors to copy into an export are.
    package struct AnchorFiles: Sendable {
        package var checkpoints: URL?
        package var tsaCertificates: URL?
        package init(checkpoints: URL?, tsaCertificates: URL?) { self.checkpoints = checkpoints; self.tsaCertificates = tsaCertificates }
    }

    /// Copies the checkpoint directory's checkpoints, timestamps and public key into `anchors/`, and the TSA chain to
    /// `tsa-chain.pem`; returns how many anchor files were copied.
    static func copyAnchors(_ files: AnchorFiles, to directory: URL) throws -> Int {
        var copied = 0
        if let source = files.checkpoints, let names = try? FileManager.default.contentsOfDirectory(atPath: source.path) {
            let target = directory.appendingPathComponent("anchors")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            for name in names.sorted() where name.hasPrefix("checkpoint-") || name == LedgerAnchors.publicKeyFile {
                try Data(contentsOf: source.appendingPathComponent(name)).write(to: target.appendingPathComponent(name))
                if name != LedgerAnchors.publicKeyFile { copied += 1 }
            }
        }
        if let chain = files.tsaCertificates {
            try Data(contentsOf: chain).write(to: directory.appendingPathComponent("tsa-chain.pem"))
        }
        return copied
    }

    /// VERIFY.md's section on anchors.
    static func anchorsText(tsaChain: Bool) -> String {
        """

        ## Anchors

        The bot anchored the ledger head outside itself (`ledger_anchor` entries in ledger.jsonl). `anchors/` holds
        copies of the checkpoint directory: `checkpoint-<seq>.json` (organisation, seq, hash and time of the head),
        `checkpoint-<seq>.json.sig` (its Ed25519 signature) and, when a Time Stamping Authority stamped it,
        `checkpoint-<seq>.tsr` (the TSA's RFC 3161 response; its message imprint is the head hash itself). Each
        anchored entry must be in the chain with the anchored hash; an anchor made before the period's end whose
        entry is missing from ledger.jsonl means entries were removed.

            openssl pkeyutl -verify -pubin -inkey anchors/public-key.pem -rawin \\
                -in anchors/checkpoint-<seq>.json -sigfile anchors/checkpoint-<seq>.json.sig
        \(tsaChain ? """

            openssl ts -verify -in anchors/checkpoint-<seq>.tsr -digest <hash of entry seq> -CAfile tsa-chain.pem

        checks the timestamp's signature against the TSA's certificate chain (tsa-chain.pem; compare it with the one
        the TSA publishes) and that it stamps that hash. `soc2bot evidence verify --export` checks that each
        timestamp stamps its anchored hash, but not the TSA's signature: that is openssl's part.
        """ : "")

        """
    }

    /// The package's human-readable report: what it covers, the chain's anchor and head, the criteria, the alerts and
    /// the exceptions. Everything in it is also in the machine-readable files beside it.
    static func report(organisation: String, period: DateInterval, anchor: Anchor, framework: Framework = .soc2, criteria: [(String, Int, Int, Double?, Double?)],
                       alerts: [Alert], exceptions: String, signed: Bool) -> String {
        let escape = HTMLText.escape
        func time(_ seconds: Double?) -> String { seconds.map(DurationText.format) ?? "no data" }
        let criteriaRows = criteria.map { "<tr><td>\(escape($0.0))</td><td>\($0.1)</td><td>\($0.2)</td><td>\(time($0.3))</td><td>\(time($0.4))</td></tr>" }.joined(separator: "\n")
        let alertRows = alerts.map { a in
            "<tr><td>\(a.id)</td><td>\(escape(a.control.rawValue))</td><td>\(escape(a.title))</td><td>\(a.severity.label)</td><td>\(a.state.label)</td>"
                + "<td>\(TimeText.human(a.openedAt))</td><td>\(a.endedAt.map(TimeText.human) ?? "")</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(organisation)) — SOC 2 evidence \(TimeText.human(period.start)) to \(TimeText.human(period.end))</title>
            <style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd}pre{white-space:pre-wrap}</style></head>
            <body><h1>\(escape(organisation)) — SOC 2 evidence</h1>
            <p>Period \(TimeText.human(period.start)) to \(TimeText.human(period.end)). Ledger entries \(anchor.firstSeq.map(String.init) ?? "–") to \(anchor.lastSeq.map(String.init) ?? "–"),
            chained from <code>\(anchor.anchorHash)</code> to head <code>\(anchor.headHash ?? "–")</code>\(signed ? "; anchor.json is signed (anchor.json.sig, public-key.pem)" : ""). Verify with VERIFY.md.</p>
            <h2>By criterion (\(escape(framework.title)))</h2>
            <table><tr><th>Criterion</th><th>Alerts opened</th><th>SLA breaches</th><th>MTTD</th><th>MTTR</th></tr>
            \(criteriaRows)
            </table>
            <h2>Alerts</h2>
            <table><tr><th>Alert</th><th>Control</th><th>Title</th><th>Severity</th><th>State</th><th>Opened</th><th>Ended</th></tr>
            \(alertRows)
            </table>
            <h2>Exceptions</h2>
            <pre>\(escape(exceptions))</pre>
            </body></html>

            """
    }

    private static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
