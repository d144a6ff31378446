import Core
import FactSources
import Foundation
import HTTP
import Testing

@Suite("CSV training source")
struct CSVTrainingSourceTests {
    func source(_ csv: String, skipBadRows: Bool = false) throws -> (CSVTrainingSource, URL) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("training-\(UUID().uuidString).csv")
        try csv.write(to: url, atomically: true, encoding: .utf8)
        var settings: [String: ConfigValue] = ["path": .string(url.path)]
        if skipBadRows { settings["skip_bad_rows"] = .bool(true) }
        return (try CSVTrainingSource(config: SourceConfig(id: "training", kind: "csv_training", settings: settings), environment: [:],
                                      transport: URLSessionTransport()), url)
    }

    static let csv = """
        Email,Completed,Due,Course
        dana@acme.example,2026-01-10,,Annual security awareness
        omar@acme.example,,2026-04-01,Annual security awareness
        kim@acme.example,last week,,
        not-an-address,2026-01-10,,
        lena@acme.example,2026-02-01,soon,

        """

    @Test func everyBadRowIsReportedWithItsLine() async throws {
        let (source, url) = try source(Self.csv)
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

    @Test func withSkipBadRowsTheGoodRowsCount() async throws {
        let (source, url) = try source(Self.csv, skipBadRows: true)
        defer { try? FileManager.default.removeItem(at: url) }
        let records = try #require(try await source.facts([.training]).training)
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
                                            environment: [:], transport: URLSessionTransport())
        await #expect(throws: SourceError.self) { try await missing.facts([.training]) }
        #expect(throws: SourceError.self) { try CSVTrainingSource(config: SourceConfig(id: "t", kind: "csv_training"), environment: [:], transport: URLSessionTransport()) }
    }
}
