import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// A source kind that reads a file named by `settings.path`, as the file half of the conformance suite plays it.
struct FileConformanceSubject: Sendable, CustomTestStringConvertible {
    let kind: String
    let fact: FactKind
    /// A file holding `records` records.
    let valid: String
    let records: Int
    /// A file of the right kind whose content the source cannot read (a header without the required columns,
    /// JSON that is not the format).
    let malformed: String
    /// The valid file cut short mid-write (inside a value the source checks).
    let truncated: String

    var testDescription: String { kind }

    /// The source made the public way, reading `path`.
    func source(_ path: String) throws -> any FactSource {
        try #require(try SourceRegistry.client(for: SourceConfig(id: SourceID(kind), kind: kind, settings: ["path": .string(path)]),
                                            environment: [:], transport: FaultInjectingTransport(base: CannedTransport([])), clock: TestClock()))
    }

    func count(_ facts: Facts) -> Int? {
        switch fact {
        case .people: facts.people?.count
        case .training: facts.training?.count
        case .findings: facts.findings?.count
        default: nil
        }
    }

    /// A recorded Prowler scan of five findings.
    static let prowlerScan = try! String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/prowler-aws-scan1.ocsf.json"), encoding: .utf8)

    static let all: [FileConformanceSubject] = [
        FileConformanceSubject(kind: "csv_hr", fact: .people,
                               valid: "employee_id,name,email,status\nE1,Ada,ada@acme.example,active\nE2,Bo,bo@acme.example,terminated\n", records: 2,
                               malformed: "id;full name;mail\nE1;Ada;ada@acme.example\n",
                               truncated: "employee_id,name,email,status\nE1,Ada,ada@acme.example,active\nE2,Bo,bo@acme.ex"),
        FileConformanceSubject(kind: "csv_training", fact: .training,
                               valid: "email,completed,course\nada@acme.example,2026-01-10,Security awareness\nbo@acme.example,2026-01-12,Security awareness\n",
                               records: 2, malformed: "name;done\nAda;yes\n",
                               truncated: "email,completed,course\nada@acme.example,2026-01-10,Security awareness\nbo@acme.example,2026-0"),
        FileConformanceSubject(kind: "ocsf", fact: .findings, valid: prowlerScan, records: 5, malformed: #"{"findings": "see the console"}"#,
                               truncated: String(prowlerScan.prefix(prowlerScan.count / 2))),
    ]
}
