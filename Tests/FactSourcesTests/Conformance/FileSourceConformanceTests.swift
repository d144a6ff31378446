import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

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
