import ArgumentParser
import Checks
import FactSources
import Core
import Demo
import Engine
import PostgresStore
import Foundation

/// `soc2bot check`: runs every automated control once and prints a table. Exit 1 when any control fails,
/// 2 when any could not be evaluated (errors) — usable as a CI gate. Read-only: it opens no alerts.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run every control once and print the results (exit 1 on failures, 2 on errors).")
    @OptionGroup var common: CommonOptions
    @Flag(name: .long, help: "Print JSON instead of a table (same as --format json).")
    var json = false
    @Option(name: .long, help: "table, json, or ocsf (every result as an OCSF Detection Finding, for a SIEM or Security Lake).")
    var format: String?
    @Option(name: .long, help: "Write the output to this file instead of standard output.")
    var out: String?
    @Option(name: .long, help: "Only these controls (comma-separated ids).")
    var only: String?

    struct Row: Encodable {
        var control: String
        var criteria: [String]
        var severity: String
        var status: String
        var passed: Int
        var failed: Int
        var errors: Int
        var failing: [String]
        var errorMessages: [String]
        /// Every resource judged, passing ones too, in the check's order: what a pipeline diffs between runs.
        var results: [Resource]
    }

    /// One resource's verdict in `--format json`: the id as the source gives it (an ARN, a login, the system's own id),
    /// its kind, pass/fail/error, what was observed, and for an error its message.
    struct Resource: Encodable {
        var id: String
        var kind: String
        var name: String
        var status: String
        var observed: String
        var error: String?

        init(_ result: CheckResult) {
            id = result.resource.id; kind = result.resource.kind; name = result.resource.name; status = result.status.label
            observed = result.observed
            if case .error(let message) = result.status { error = message }
        }
    }

    func run() async throws {
        let format = self.format ?? (json ? "json" : "table")
        guard ["table", "json", "ocsf"].contains(format) else { throw ValidationError("--format must be table, json or ocsf, not `\(format)`") }
        let config = try loadConfig(common.manifests, exitCode: Exit.errors)
        let now = systemClock.now()
        // Integration health reflects the reads this run made (all of them: the bot's own facts are read last). With the bot's
        // database at hand, its own records count too: certified reviews, attestations, vendor renewals. The sources and
        // the runner are the scheduler's own, built by the composition root (`Bot.checkRunner`).
        let database = common.database.address.mayExist
            ? try openDatabase(common.database, readOnly: true, requireIntactLedger: false) : nil
        let runner = Bot.checkRunner(config: config, database: database, clock: systemClock) {
            try demoWorld(for: $0, manifests: common.manifests, now: now)
        }
        let selected = only.map { Set($0.split(separator: ",").map { ControlID(String($0)) }) }
        var rows: [Row] = []
        var findings: [[String: Any]] = []
        // One step, as the scheduler runs one: each source and fact kind read once for all the controls.
        let controls = config.controls.filter { $0.isAutomated && (selected?.contains($0.id) ?? true) }
        for (control, results) in zip(controls, await runner.run(controls, at: now)) {
            findings += results.map { OCSFDetectionFinding.encode($0, control: control, organisation: config.organisation, at: now) }
            let failing = results.filter { $0.status == .fail }
            let errors = results.compactMap { if case .error(let m) = $0.status { "\($0.resource.id): \(m)" } else { nil } }
            rows.append(Row(control: control.id.rawValue, criteria: control.criteria.map(\.rawValue), severity: control.severity.rawValue,
                            status: !errors.isEmpty ? "error" : failing.isEmpty ? "pass" : "fail",
                            passed: results.count - failing.count - errors.count, failed: failing.count, errors: errors.count,
                            failing: failing.map { "\($0.resource.name): \($0.observed)" }, errorMessages: errors,
                            results: results.map(Resource.init)))
        }
        if format != "table" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = format == "ocsf" ? try OCSFDetectionFinding.document(findings) : try encoder.encode(rows)
            if let out {
                do { try data.write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                    standardError("soc2bot: cannot write \(out): \(error.localizedDescription)")
                    throw Exit.errors
                }
                standardError("wrote \(format == "ocsf" ? "\(findings.count) OCSF findings" : "\(rows.count) control results") to \(out)")
            } else {
                print(String(decoding: data, as: UTF8.self))
            }
        } else {
            let width = max(7, rows.map(\.control.count).max() ?? 0)
            print("control".padding(toLength: width, withPad: " ", startingAt: 0) + "  criteria       severity  status  pass  fail  err  detail")
            for row in rows {
                let detail = row.errorMessages.first ?? row.failing.first ?? ""
                let more = max(0, (row.errorMessages.isEmpty ? row.failing.count : row.errorMessages.count) - 1)
                print(row.control.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                      + row.criteria.joined(separator: ",").padding(toLength: 13, withPad: " ", startingAt: 0) + "  "
                      + row.severity.padding(toLength: 8, withPad: " ", startingAt: 0) + "  "
                      + row.status.uppercased().padding(toLength: 6, withPad: " ", startingAt: 0) + "  "
                      + String(row.passed).padding(toLength: 4, withPad: " ", startingAt: 0) + "  "
                      + String(row.failed).padding(toLength: 4, withPad: " ", startingAt: 0) + "  "
                      + String(row.errors).padding(toLength: 3, withPad: " ", startingAt: 0) + "  "
                      + detail + (more > 0 ? " (+\(more) more)" : ""))
            }
            let manual = config.controls.filter { !$0.isAutomated }.count
            print("\(rows.count) automated controls: \(rows.filter { $0.status == "pass" }.count) pass, \(rows.filter { $0.status == "fail" }.count) fail, \(rows.filter { $0.status == "error" }.count) error; \(manual) manual controls not run")
        }
        if rows.contains(where: { $0.status == "error" }) { throw Exit.errors }
        if rows.contains(where: { $0.status == "fail" }) { throw Exit.problems }
    }
}

/// The demo world for a `demo` source outside the demo command: the scenario named in its settings
/// (`scenario: scenarios/northwind.yaml`, relative to the manifests) as it stands at its start, moved to `now`.
func demoWorld(for source: SourceConfig, manifests: String, now: Date) throws -> DemoWorld {
    guard let settings = SourceRegistry.settings(of: source) else { throw SettingsError.undeclared(owner: "source kind `\(source.kind)`", key: "scenario") }
    let relative = try settings.path("scenario")
    let scenario = try ScenarioLoader.load(file: URL(fileURLWithPath: manifests).appendingPathComponent(relative), start: now)
    return DemoWorld(id: source.id, initial: scenario.world)
}
