import Core
import Engine
import Foundation
import Reports
import Store
import Testing

/// `soc2bot evidence oscal`: a period's results as an OSCAL assessment-results document, valid against NIST's
/// published JSON schema (Fixtures/OSCAL), with a finding per criterion of the chosen framework.
@Suite("OSCAL assessment results")
struct OSCALExportTests {
    let reports = FrameworkReportsTests()

    struct NoPython: Error, CustomStringConvertible {
        var description: String { "no Python with jsonschema: run the tests with scripts/test, which installs it into .venv (SOC2BOT_TEST_PYTHON)" }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/OSCAL/oscal_complete_schema.json")

    /// The schema's problems with `document` as `path: message` lines, from PyPI's jsonschema (Draft 7); empty when valid.
    func schemaProblems(_ document: Data) throws -> [String] {
        let python = ProcessInfo.processInfo.environment["SOC2BOT_TEST_PYTHON"] ?? Self.root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else { throw NoPython() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("oscal-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try document.write(to: file)
        let script = #"""
            import json, sys
            import jsonschema
            schema = json.load(open(sys.argv[1]))
            # Python's re has no \p{..}: TokenDatatype's letters and digits as Python's Unicode-aware classes.
            token = schema["definitions"]["TokenDatatype"]
            token["pattern"] = token["pattern"].replace("\\p{L}", "[^\\W\\d_]").replace("\\p{N}", "\\d")
            validator = jsonschema.Draft7Validator(schema)
            for error in validator.iter_errors(json.load(open(sys.argv[2]))):
                print("/".join(str(p) for p in error.absolute_path) + ": " + error.message[:300])
            """#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, Self.schema.path, file.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let failure = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidatorFailed(output: failure) }
        return text.split(separator: "\n").map(String.init)
    }

    struct ValidatorFailed: Error, CustomStringConvertible {
        var output: String
        var description: String { "the schema validator failed: \(output)" }
    }

    func document(_ framework: Framework) throws -> (Data, [String: Any]) {
        let engine = try reports.history()
        let data = try engine.database.read {
            try OSCALExport.assessmentResults(config: engine.config, store: $0, period: reports.period, framework: framework, generatedAt: reports.t0 + 20 * 86_400)
        }
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (data, try #require(object["assessment-results"] as? [String: Any]))
    }

    @Test(arguments: Framework.allCases)
    func theDocumentIsValidOSCAL(_ framework: Framework) throws {
        let (data, _) = try document(framework)
        #expect(try schemaProblems(data) == [])
    }

    @Test func theValidatorRefusesABrokenDocument() throws {
        let (data, _) = try document(.iso27001)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var results = try #require(object["assessment-results"] as? [String: Any])
        results["import-ap"] = nil
        results["uuid"] = "not-a-uuid"
        object["assessment-results"] = results
        let problems = try schemaProblems(try JSONSerialization.data(withJSONObject: object))
        #expect(!problems.isEmpty)
    }

    @Test func findingsAreTheFrameworksCriteriaWithTheirObservations() throws {
        let (data, results) = try document(.iso27001)
        #expect(try document(.iso27001).0 == data, "the same period exports the same document")
        let result = try #require((results["results"] as? [[String: Any]])?.first)
        let findings = try #require(result["findings"] as? [[String: Any]])
        let targets = findings.compactMap { $0["target"] as? [String: Any] }
        #expect(targets.map { $0["target-id"] as? String } == ["iso27001-a.5.18", "iso27001-a.8.24"])
        #expect(targets.map { ($0["status"] as? [String: Any])?["state"] as? String } == ["not-satisfied", "not-satisfied"])
        let observations = try #require(result["observations"] as? [[String: Any]])
        #expect(observations.count == 4)
        #expect(observations.prefix(2).map { $0["title"] as? String } == ["bucket-encryption: Buckets encrypted", "leavers: Leavers' access removed"])
        let byUUID = Dictionary(uniqueKeysWithValues: observations.compactMap { o in (o["uuid"] as? String).map { ($0, o) } })
        let related = (findings[1]["related-observations"] as? [[String: String]] ?? []).compactMap { byUUID[$0["observation-uuid"] ?? ""]?["title"] as? String }
        #expect(related.count == 2 && related[0].hasPrefix("bucket-encryption") && related[1].hasPrefix("A-1 "))
        let selected = ((result["reviewed-controls"] as? [String: Any])?["control-selections"] as? [[String: Any]])?.first?["include-controls"] as? [[String: String]]
        #expect(selected?.map { $0["control-id"] } == ["iso27001-a.5.18", "iso27001-a.8.24"])
        #expect(OSCALExport.controlToken("164.308(a)(1)(ii)(D)", in: .hipaa) == "hipaa-164.308.a.1.ii.d")
    }
}
