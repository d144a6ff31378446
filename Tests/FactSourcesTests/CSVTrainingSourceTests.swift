import Checks
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// People from HR, for the end-to-end check.
struct HRPeople: FactSource {
    let id: SourceID = "hr"
    let provides: Set<FactKind> = [.people]
    let emails: [String]
    func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        facts.people = emails.enumerated().map { HRPerson(employeeID: "\($0.offset)", name: $0.element, email: $0.element, status: .active) }
        return facts.selecting(kinds)
    }
}

@Suite("CSV training source")
struct CSVTrainingSourceTests {
    func source(_ csv: String, skipBadRows: Bool? = nil) throws -> (CSVTrainingSource, URL) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("training-\(UUID().uuidString).csv")
        try csv.write(to: url, atomically: true, encoding: .utf8)
        var settings: [String: ConfigValue] = ["path": .string(url.path)]
        if let skipBadRows { settings["skip_bad_rows"] = .bool(skipBadRows) }
        return (try CSVTrainingSource(config: SourceConfig(id: "training", kind: "csv_training", settings: settings), environment: [:],
                                      transport: URLSessionTransport(), clock: TestClock()), url)
    }

    static let csv = """
        Email,Completed,Due,Course
        dana@acme.example,2026-01-10,,Annual security awareness
        omar@acme.example,,2026-04-01,Annual security awareness
        kim@acme.example,last week,,
        not-an-address,2026-01-10,,
        lena@acme.example,2026-02-01,soon,

        """

    @Test func refusingBadRowsReportsEveryOneWithItsLine() async throws {
        let (source, url) = try source(Self.csv, skipBadRows: false)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try await source.facts([.training])
            Issue.record("expected an error")
        } catch {
            let text = "\(error)"
            #expect(text.contains("3 bad rows"))
            #expect(text.contains(":4: completed \"last week\" is not a date"))
            #expect(text.contains(":5: email \"not-an-address\" is not an e-mail address"))
            #expect(text.contains(":6: due \"soon\" is not a date"))
        }
    }

    /// By default the good rows count and each bad row is an error result of the control, with its line.
    @Test func byDefaultTheGoodRowsCountAndEachBadRowIsAnError() async throws {
        let (source, url) = try source(Self.csv)
        defer { try? FileManager.default.removeItem(at: url) }
        let facts = try await source.facts([.training])
        #expect(facts.problems.count == 3 && facts.problems[0].hasSuffix(".csv:4: completed \"last week\" is not a date (YYYY-MM-DD or ISO 8601 with Z or an offset)"))
        let people = HRPeople(emails: ["dana@acme.example", "omar@acme.example", "kim@acme.example"])
        let control = Control(id: "training", title: "Training", criteria: [Criterion("CC1.4")!], owner: "people", severity: .medium, cadence: 86_400,
                              check: CheckSpec(type: "training"), remediation: "Complete it.")
        let results = await ControlRunner(sources: [people, source]).run(control, at: TimeText.parse("2026-03-01")!)
        #expect(results.filter { $0.status.label == "error" }.count == 3, "one error per bad row")
        #expect(results.first { $0.resource.id == "person:dana@acme.example" }?.status == .pass)
        #expect(results.first { $0.resource.id == "person:kim@acme.example" }?.status == .fail, "kim's row was bad: no training on file")
        let records = try #require(facts.training)
        #expect(records == [
            TrainingRecord(email: "dana@acme.example", completedAt: TimeText.parse("2026-01-10"), course: "Annual security awareness"),
            TrainingRecord(email: "omar@acme.example", completedAt: nil, dueAt: TimeText.parse("2026-04-01"), course: "Annual security awareness"),
        ])
    }

    @Test func aMissingColumnOrFileIsAnErrorNeverAnEmptyList() async throws {
        let (noColumn, url) = try source("email,course\ndana@acme.example,x\n")
        defer { try? FileManager.default.removeItem(at: url) }
        await #expect(throws: SourceError.self) { try await noColumn.facts([.training]) }
        let missing = try CSVTrainingSource(config: SourceConfig(id: "t", kind: "csv_training", settings: ["path": .string("/nonexistent/training.csv")]),
                                            environment: [:], transport: URLSessionTransport(), clock: TestClock())
        await #expect(throws: SourceError.self) { try await missing.facts([.training]) }
        #expect(throws: SourceError.self) { try CSVTrainingSource(config: SourceConfig(id: "t", kind: "csv_training"), environment: [:], transport: URLSessionTransport(), clock: TestClock()) }
    }
}
