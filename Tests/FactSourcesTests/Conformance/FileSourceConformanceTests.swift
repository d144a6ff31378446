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
        try #require(try LiveSources.client(for: SourceConfig(id: SourceID(kind), kind: kind, settings: ["path": .string(path)]),
                                            environment: [:], transport: FaultInjectingTransport(base: CannedTransport([]))))
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

/// The file equivalents of the live sources' conformance: a file read whole, also through a symlink; a missing,
/// empty, binary or malformed file is an error naming the source, never an empty pass.
@Suite("File source conformance")
struct FileSourceConformanceTests {
    func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func write(_ data: Data, in dir: URL, _ subject: FileConformanceSubject) throws -> String {
        let file = dir.appendingPathComponent(subject.kind == "ocsf" ? "scan.ocsf.json" : "\(subject.kind).csv")
        try data.write(to: file)
        return file.path
    }

    /// The error reading `path` throws; records an issue when it returns facts or another error.
    /// With `reportedSuffices`, facts that carry problems (a CSV's bad rows, each an `error` result) count as reported.
    func failure(_ subject: FileConformanceSubject, _ path: String, _ comment: Comment, reportedSuffices: Bool = false) async -> String {
        do {
            let facts = try await subject.source(path).facts([subject.fact])
            if reportedSuffices, !facts.problems.isEmpty { return facts.problems.joined(separator: "; ") }
            Issue.record("\(comment): read \(subject.count(facts).map(String.init) ?? "no") records instead of failing")
        } catch let error as SourceError {
            guard case .unavailable(let source, _) = error, source == SourceID(subject.kind) else {
                Issue.record("\(comment): the error names another source: \(error)"); return ""
            }
            return "\(error)"
        } catch {
            Issue.record("\(comment): not a source error: \(error)")
        }
        return ""
    }

    @Test(arguments: FileConformanceSubject.all)
    func aFileIsReadWholeAlsoThroughASymlink(_ subject: FileConformanceSubject) async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try write(Data(subject.valid.utf8), in: dir, subject)
        let link = dir.appendingPathComponent("latest-" + URL(fileURLWithPath: path).lastPathComponent).path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)

        let direct = try await subject.source(path).facts([subject.fact])
        let linked = try await subject.source(link).facts([subject.fact])

        #expect(subject.count(direct) == subject.records)
        #expect(direct.problems.isEmpty)
        #expect(linked == direct)
    }

    @Test(arguments: FileConformanceSubject.all)
    func aMissingFileIsAnError(_ subject: FileConformanceSubject) async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("gone").path
        #expect(await failure(subject, missing, "a missing file").contains(missing))
    }

    @Test(arguments: FileConformanceSubject.all, ["", "\n", "   \n\n"])
    func anEmptyFileIsAnError(_ subject: FileConformanceSubject, content: String) async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = await failure(subject, try write(Data(content.utf8), in: dir, subject), "an empty file")
    }

    @Test(arguments: FileConformanceSubject.all)
    func aMalformedFileIsAnError(_ subject: FileConformanceSubject) async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = await failure(subject, try write(Data(subject.malformed.utf8), in: dir, subject), "a malformed file")
        // Not text at all (a zip or image saved under the name).
        _ = await failure(subject, try write(Data([0x50, 0x4B, 0x03, 0x04, 0xFF, 0xFE, 0x00, 0x00, 0xC3, 0x28, 0x0A]), in: dir, subject), "a binary file")
        // Cut short mid-write.
        _ = await failure(subject, try write(Data(subject.truncated.utf8), in: dir, subject), "a truncated file",
                      reportedSuffices: true)
    }
}
