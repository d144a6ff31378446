import ArgumentParser
import Core
import Engine
import Foundation
import Manifests
import Reports
import Store

/// `soc2bot evidence verify|export`.
struct Evidence: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Verify or export the evidence ledger; the pre-audit exceptions report.",
                                                    subcommands: [Verify.self, Export.self, Exceptions.self, OSCAL.self])

    struct OSCAL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "oscal",
            abstract: "Write a period's results as an OSCAL 1.1 assessment-results document (JSON): a finding per criterion, an observation per control and alert.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var period: PeriodOptions
        @Option(name: .long, help: frameworkHelp)
        var framework: String = "soc2"
        @Option(name: .long, help: "File to write (default: print it).")
        var out: String?

        func run() throws {
            let framework = try parseFramework(framework)
            let (start, end) = try period.bounds()
            let config = try loadConfig(common.manifests)
            let database = try openDatabase(common.database, readOnly: true, requireIntactLedger: false)
            let document = try database.read {
                try OSCALExport.assessmentResults(config: config, store: $0, period: DateInterval(start: start, end: end), framework: framework, generatedAt: systemClock.now())
            }
            if let out {
                try document.write(to: URL(fileURLWithPath: out))
                print("wrote the \(framework.shortName) assessment results of \(TimeText.human(start)) to \(TimeText.human(end)) to \(out)")
            } else {
                print(String(decoding: document, as: UTF8.self))
            }
        }
    }

    struct Exceptions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the exceptions of a period as an auditor would list them: SLA breaches, accepted risks, alerts closed without a link.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var period: PeriodOptions
        @Option(name: .long, help: frameworkHelp)
        var framework: String = "soc2"

        func run() throws {
            let framework = try parseFramework(framework)
            let (start, end) = try period.bounds()
            let config = try loadConfig(common.manifests)
            let database = try openDatabase(common.database, readOnly: true, requireIntactLedger: false)
            print(try database.read {
                try ExceptionsReport.build(config: config, store: $0, period: DateInterval(start: start, end: end), framework: framework)
            }.markdown, terminator: "")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recompute the hash chain; name the first bad entry (exit 1 if broken).")
        @OptionGroup var common: CommonOptions
        @Option(name: .long, help: "Verify an exported directory offline instead of the database.")
        var export: String?
        @Option(name: .long, help: "The ledger anchors' checkpoint directory (default: the manifests' ledger.anchor.checkpoints).")
        var checkpoints: String?

        func run() throws {
            let verdict: LedgerVerdict
            var anchors: LedgerAnchors.Report?
            if let export {
                do { verdict = try EvidenceExport.verify(directory: URL(fileURLWithPath: export)) } catch {
                    standardError("soc2bot: cannot read the export in \(export): \(error)")
                    throw Exit.errors
                }
            } else {
                // The manifests say where the checkpoints are and whether a TSA is configured, when they are there.
                var config: BotConfig?
                if FileManager.default.fileExists(atPath: common.manifests) {
                    switch ManifestLoader.load(directory: URL(fileURLWithPath: common.manifests), catalog: .builtIn) {
                    case .success(let loaded): config = loaded
                    case .failure:
                        standardError("soc2bot: warning: the manifests in \(common.manifests) do not load (`soc2bot validate` says why), "
                                      + "so ledger anchors are checked only with --checkpoints")
                    }
                }
                let directory = (checkpoints ?? config?.ledgerAnchor?.checkpoints).map { URL(fileURLWithPath: $0) }
                let key = try publicKey(config: config, directory: directory)
                let database = try openDatabase(common.database, readOnly: true, requireIntactLedger: false)
                (verdict, anchors) = try database.read { tx in
                    let verdict = try tx.verifyLedger()
                    guard verdict.isIntact else { return (verdict, nil) }
                    return (verdict, try LedgerAnchors.check(tx, directory: directory, publicKeyPEM: key, tsaConfigured: config?.ledgerAnchor?.tsa != nil))
                }
            }
            print(verdict)
            for line in anchors?.lines ?? [] { print(line) }
            if !verdict.isIntact || !(anchors?.isClean ?? true) { throw Exit.problems }
        }

        /// The key checkpoints must be signed with: the trust-center key's, when its variable is set; else the
        /// `public-key.pem` the bot wrote beside its first checkpoint.
        private func publicKey(config: BotConfig?, directory: URL?) throws -> String? {
            if let variable = config?.server?.trustCenterKeyVariable, let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty {
                do { return try TrustCenter(base64Key: value).publicKeyPEM } catch {
                    standardError("soc2bot: \(variable): \(error)")
                    throw Exit.errors
                }
            }
            return directory.flatMap { try? String(contentsOf: $0.appendingPathComponent(LedgerAnchors.publicKeyFile), encoding: .utf8) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the auditor's package for a period: ledger slice with its chain, alerts, runs, VERIFY.md.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var period: PeriodOptions
        @Option(name: .long, help: "Directory to write (created).")
        var out: String
        @Option(name: .long, help: frameworkHelp)
        var framework: String = "soc2"

        func run() async throws {
            let framework = try parseFramework(framework)
            let (start, end) = try period.bounds()
            let config = try loadConfig(common.manifests)
            // Read only: the export verifies the chain itself, in the snapshot it exports. With `ledger.anchor` set the
            // export first anchors the head, so the database is opened for writing (a broken chain is refused first).
            let database = try openDatabase(common.database, readOnly: config.ledgerAnchor == nil, requireIntactLedger: config.ledgerAnchor != nil)
            // Signed with the trust-center key when the manifests name one and it is set.
            var signer: TrustCenter?
            if let variable = config.server?.trustCenterKeyVariable {
                if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty {
                    do { signer = try TrustCenter(base64Key: value) } catch {
                        standardError("soc2bot: \(variable): \(error)")
                        throw Exit.errors
                    }
                } else {
                    standardError("soc2bot: warning: \(variable) is not set, so anchor.json is not signed")
                }
            }
            var anchorFiles: EvidenceExport.AnchorFiles?
            if let settings = config.ledgerAnchor {
                let anchoring = LedgerAnchoring(settings: settings, organisation: config.organisation, database: database, signer: signer)
                let record = try await anchoring.anchor(at: systemClock.now(), reason: "export")
                if let problem = record?.checkpointError ?? record?.timestampError {
                    standardError("soc2bot: warning: the export's anchor is incomplete: \(problem) (recorded in the ledger; `evidence verify` reports it)")
                }
                anchorFiles = .init(checkpoints: settings.checkpoints.map { URL(fileURLWithPath: $0) },
                                    tsaCertificates: settings.tsaCertificates.map { URL(fileURLWithPath: $0) })
            }
            let summary: EvidenceExport.Summary
            do {
                summary = try EvidenceExport.export(database: database, config: config, from: start, to: end,
                                                    exportedAt: systemClock.now(), directory: URL(fileURLWithPath: out), signer: signer, framework: framework,
                                                    anchorFiles: anchorFiles)
            } catch let broken as EvidenceExport.BrokenLedger {
                standardError("soc2bot: \(database.path): \(broken)")
                throw Exit.errors
            }
            print("wrote \(summary.entries) ledger entries (\(summary.firstSeq.map(String.init) ?? "-")…\(summary.lastSeq.map(String.init) ?? "-")) and \(summary.alerts) alerts to \(out): \(summary.files.joined(separator: ", "))")
            print("verify offline: soc2bot evidence verify --export \(out)")
        }
    }
}

/// `--from DATE --to DATE`: the period an evidence command reports on, the end exclusive.
struct PeriodOptions: ParsableArguments {
    @Option(name: .long, help: "Start of the period (inclusive), e.g. 2026-01-01.")
    var from: String
    @Option(name: .long, help: "End of the period (exclusive), e.g. 2026-04-01.")
    var to: String

    /// The period's start and end, or a usage error naming what is wrong.
    func bounds() throws -> (start: Date, end: Date) {
        let start = try parseDate(from, option: "--from")
        let end = try parseDate(to, option: "--to")
        guard start < end else { throw ValidationError("--from must be before --to") }
        return (start, end)
    }
}
