import Core
@testable import FactSources
import Foundation
import Testing
import TestSupport

@Suite("CSV HR source")
struct CSVHRSourceTests {
    /// 2026-02-25 06:13:20 UTC.
    static let now = Date(timeIntervalSince1970: 1_772_000_000)
    static let header = "employee_id,name,email,status,termination_date,department,manager\n"

    /// Writes `text` to a fresh temporary file and returns a source reading it.
    func source(_ text: String, settings: [String: ConfigValue] = [:], file: String = "people.csv") throws -> (CSVHRSource, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csvhr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(file)
        try Data(text.utf8).write(to: url)
        let config = SourceConfig(id: "hr", kind: "csv_hr", settings: ["path": .string(url.path)].merging(settings) { _, new in new })
        return (try CSVHRSource(config: config, environment: [:], transport: FakeBambooHR(), clock: TestClock(start: Self.now)), url)
    }

    func people(_ text: String, settings: [String: ConfigValue] = [:]) async throws -> [HRPerson] {
        try #require(try await source(text, settings: settings).0.facts([.people]).people)
    }

    @Test func rowsBecomePeople() async throws {
        let people = try await people(Self.header + """
            E1,Ada Lovelace,ada@acme.example,active,,Engineering,grace@acme.example
            E2,Bo Brown,bo@acme.example,Terminated,2026-02-20,Sales,Cy Chief
            E3,Cy Chief,cy@acme.example,terminated,2026-02-21T17:30:00+01:00,,
            E4,Di Date,di@acme.example,terminated,,,
            E5,Ed Early,ed@acme.example,active,2026-03-31,,

            """)
        #expect(people == [
            HRPerson(employeeID: "E1", name: "Ada Lovelace", email: "ada@acme.example", status: .active, department: "Engineering",
                     manager: "grace@acme.example"),
            HRPerson(employeeID: "E2", name: "Bo Brown", email: "bo@acme.example", status: .terminated,
                     terminatedAt: Date(timeIntervalSince1970: 1_771_545_600), department: "Sales", manager: "Cy Chief"),
            HRPerson(employeeID: "E3", name: "Cy Chief", email: "cy@acme.example", status: .terminated,
                     terminatedAt: Date(timeIntervalSince1970: 1_771_691_400)),
            // Terminated without a date: passed through for the offboarding check to report.
            HRPerson(employeeID: "E4", name: "Di Date", email: "di@acme.example", status: .terminated),
            // A future termination of an active person is not a termination yet.
            HRPerson(employeeID: "E5", name: "Ed Early", email: "ed@acme.example", status: .active),
        ])
    }

    @Test func aBareDateIsMidnightInTheConfiguredZone() async throws {
        let people = try await people(Self.header + "E2,Bo,bo@acme.example,terminated,2026-02-20,,\n", settings: ["timezone": .string("America/New_York")])
        // 2026-02-20 00:00 EST = 05:00 UTC
        #expect(people.first?.terminatedAt == Date(timeIntervalSince1970: 1_771_545_600 + 5 * 3_600))
    }

    @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() async throws {
        let people = try await people("\u{FEFF}email,name,status,employee_id,department\r\n"
                                      + "ada@acme.example,\"Lovelace, Ada \"\"The Countess\"\"\",active,E1,\"R&D\r\nLondon\"\r\n"
                                      + "bo@acme.example,Bo,active,E2,\r\n")
        #expect(people.map(\.name) == ["Lovelace, Ada \"The Countess\"", "Bo"])
        #expect(people.first?.department == "R&D\r\nLondon")
        #expect(people.map(\.employeeID) == ["E1", "E2"])
    }

    @Test func everyBadRowIsReportedWithItsLine() async throws {
        // Given rows 3, 5 (spanning two lines), 7, 8, 9, 10 and 11 are bad; 2 and 4 are good
        let text = Self.header + """
            E1,Ada,ada@acme.example,active,,,
            E2,Bo,bo@acme.example,gone,,,
            E3,"Cy
            Chief",cy@acme.example,active,,,
            E4,Di,,active,,,
            E5,Ed,ed@acme.example,terminated,20/02/2026,,
            E6,Fa,fa@acme.example,active,2026-01-01,,
            E1,Ada again,ada2@acme.example,active,,,
            E7,Gu,gu@acme.example,active
            E8,Ha,"ha@acme.example"x,active,,,

            """
        let (source, url) = try source(text)
        do {
            _ = try await source.facts([.people])
            Issue.record("expected an error")
        } catch {
            let message = "\(error)"
            let path = url.path
            #expect(message.contains("7 bad rows in \(path)"))
            #expect(message.contains("skip_bad_rows: true"))
            #expect(message.contains("\(path):3: status \"gone\" is not active or terminated"))
            #expect(message.contains("\(path):6: email is empty"))
            #expect(message.contains("\(path):7: termination_date \"20/02/2026\" is not a date"))
            #expect(message.contains("\(path):8: status is active but termination_date 2026-01-01 has passed"))
            #expect(message.contains("\(path):9: employee_id \"E1\" already appears on line 2"))
            #expect(message.contains("\(path):10: 4 fields where the header has 7"))
            #expect(message.contains("\(path):11: text after a closing quote"))
            #expect(!message.contains(":2:") && !message.contains(":4:"))
        }

        // When the manifest chooses to skip bad rows, the good ones are still checked
        let people = try await self.people(text, settings: ["skip_bad_rows": .bool(true)])
        #expect(people.map(\.employeeID) == ["E1", "E3"])
        #expect(people.last?.name == "Cy\nChief")
    }

    @Test func anUnclosedQuoteIsAProblemOfItsRow() async throws {
        await #expect(throws: SourceError.self) {
            try await people(Self.header + "E1,\"Ada,ada@acme.example,active,,,\nE2,Bo,bo@acme.example,active,,,\n")
        }
    }

    @Test func aHeaderWithoutRequiredColumnsNamesThem() async throws {
        do {
            _ = try await people("id,name,mail,status\nE1,Ada,ada@acme.example,active\n")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains(":1: the header has no column employee_id, email"))
        }
    }

    @Test func anEmptyFileAndAMissingFileAreErrors() async throws {
        await #expect(throws: SourceError.self) { try await people("") }
        let config = SourceConfig(id: "hr", kind: "csv_hr", settings: ["path": .string("no/such/people.csv")])
        let source = try CSVHRSource(config: config, environment: [:], transport: FakeBambooHR(), clock: TestClock())
        do {
            _ = try await source.facts([.people])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("cannot read no/such/people.csv"))
            #expect("\(error)".contains("no such file"))
        }
    }

    @Test func aHeaderOnlyFileIsNobody() async throws {
        #expect(try await people(Self.header) == [])
    }

    @Test func settingsAreChecked() {
        #expect(throws: SourceError.self) { try CSVHRSource(config: SourceConfig(id: "hr", kind: "csv_hr"), environment: [:], transport: FakeBambooHR(), clock: TestClock()) }
        #expect(throws: SourceError.self) {
            try CSVHRSource(config: SourceConfig(id: "hr", kind: "csv_hr", settings: ["path": .string("p.csv"), "timezone": .string("Mars/Base")]),
                            environment: [:], transport: FakeBambooHR(), clock: TestClock())
        }
        #expect(throws: SourceError.self) {
            try CSVHRSource(config: SourceConfig(id: "hr", kind: "csv_hr", settings: ["path": .string("p.csv"), "skip_bad_rows": .string("yes")]),
                            environment: [:], transport: FakeBambooHR(), clock: TestClock())
        }
        #expect((try? SourceRegistry.client(for: SourceConfig(id: "hr", kind: "csv_hr", settings: ["path": .string("p.csv")]),
                                         environment: [:], transport: FakeBambooHR(), clock: TestClock())) is CSVHRSource)
    }

    @Test(arguments: [
        ("a,b\nc,d", [[1, 2], [2, 2]]),
        ("a,\"b\nc\",d\ne,f,g\n", [[1, 3], [3, 3]]),
        ("\n\na\n\n", [[3, 1]]),
        ("\"\",x", [[1, 2]]),
    ])
    func recordsKeepTheirStartingLine(_ text: String, _ expected: [[Int]]) {
        #expect(CSVRecords.parse(text).map { [$0.line, $0.fields.count] } == expected)
    }
}
