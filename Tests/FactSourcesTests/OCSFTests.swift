import Checks
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// OCSF Detection Findings in (Prowler's `json-ocsf` shape, JSON Lines, our own export) and out, through the
/// `ocsf` source and `imported_findings` controls.
@Suite("OCSF findings")
struct OCSFTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/prowler-aws-scan1.ocsf.json")
    static let scanTime = Date(timeIntervalSince1970: 1_772_438_400)

    func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-ocsf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func source(_ path: String, maxAge: String? = nil, now: Date = PeerTime.now()) throws -> OCSFSource {
        var settings: [String: ConfigValue] = ["path": .string(path)]
        if let maxAge { settings["max_age"] = .string(maxAge) }
        return try OCSFSource(config: SourceConfig(id: "prowler", kind: "ocsf", settings: settings), environment: [:],
                              transport: URLSessionTransport(), clock: TestClock(start: now))
    }

    func control(_ parameters: [String: ConfigValue] = [:]) -> Control {
        Control(id: "prowler-soc2", title: "Prowler SOC 2 checks", criteria: [Criterion("CC6.1")!], owner: "platform", severity: .high,
                cadence: 3_600, check: CheckSpec(type: "imported_findings", sources: ["prowler"], parameters: parameters), remediation: "see the finding")
    }

    @Test func aProwlerScanBecomesFindings() throws {
        let findings = try OCSFDetectionFinding.findings(in: Data(contentsOf: Self.fixture), file: "scan.json")
        // The suppressed (muted) finding and the Authentication event are left out.
        #expect(findings.map(\.checkID) == ["s3_bucket_default_encryption", "iam_root_mfa_enabled",
                                              "account_security_contact_information_is_registered",
                                              "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", "accessanalyzer_enabled"])
        let s3 = findings[0]
        #expect(s3.status == .fail && s3.severity == .high && s3.resource == "arn:aws:s3:::acme-customer-exports")
        #expect(s3.resourceName == "acme-customer-exports" && s3.provider == "aws 123456789012 us-east-1")
        #expect(s3.compliance["SOC2"] == ["cc_6_1", "cc_6_7"] && s3.compliance["CIS-3.0"] == ["2.1.1"])
        #expect(s3.firstSeenAt == Self.scanTime, "Prowler writes seconds where OCSF says milliseconds: both are read")
        #expect(s3.remediation == "Enable default encryption on the bucket.")
        #expect(findings[1].status == .pass && findings[1].severity == .critical)
        #expect(findings[2].status == .manual)
        #expect(findings[4].severity == nil, "Informational has no severity of ours")
    }

    @Test func importedFindingsAreSelectedBySeverityCheckAndCompliance() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scan = dir.appendingPathComponent("scan.ocsf.json")
        try FileManager.default.copyItem(at: Self.fixture, to: scan)
        try FileManager.default.setAttributes([.modificationDate: Self.scanTime], ofItemAtPath: scan.path)
        let runner = ControlRunner(sources: [try source(scan.path, now: Self.scanTime)])

        // Everything down to low: MANUAL is left out (the scanner cannot tell), Informational is not low.
        let all = await runner.run(control(), at: Self.scanTime)
        #expect(all.map(\.status) == [.fail, .pass, .fail])
        let s3 = all[0]
        #expect(s3.resource.id == "finding:s3_bucket_default_encryption:arn:aws:s3:::acme-customer-exports")
        #expect(s3.observed.hasPrefix("high: S3 Bucket acme-customer-exports"))
        #expect(s3.failingSince == Self.scanTime)

        // `SOC2:CC6.1` matches Prowler's `cc_6_1`.
        let cc61 = await runner.run(control(["compliance": .list([.string("SOC2:CC6.1")])]), at: Self.scanTime)
        #expect(cc61.map(\.resource.id).allSatisfy { $0.contains("s3_bucket") || $0.contains("iam_root") })
        #expect(cc61.count == 2)
        let ssh = await runner.run(control(["checks": .list([.string("ec2_securitygroup_*_22")])]), at: Self.scanTime)
        #expect(ssh.count == 1 && ssh[0].status == .fail)
        let critical = await runner.run(control(["min_severity": .string("critical")]), at: Self.scanTime)
        #expect(critical.map(\.status) == [.pass])
    }

    @Test func theNextScanInTheDirectoryResolvesWhatItNoLongerFails() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = dir.appendingPathComponent("prowler-output-1.ocsf.json")
        try FileManager.default.copyItem(at: Self.fixture, to: first)
        try FileManager.default.setAttributes([.modificationDate: PeerTime.now().addingTimeInterval(-3_600)], ofItemAtPath: first.path)
        let runner = ControlRunner(sources: [try source(dir.path)])
        let before = await runner.run(control(["checks": .list([.string("s3_*")])]), at: PeerTime.now())
        #expect(before.map(\.status) == [.fail])

        // The next scan (newer file, JSON Lines this time): the bucket passes now.
        var fixed = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixture)) as? [[String: Any]])[0]
        fixed["status_code"] = "PASS"
        fixed["status_detail"] = "S3 Bucket acme-customer-exports has default encryption (aws:kms)."
        let line = try JSONSerialization.data(withJSONObject: fixed)
        try (line + Data("\n".utf8)).write(to: dir.appendingPathComponent("prowler-output-2.ocsf.json"))
        let after = await runner.run(control(["checks": .list([.string("s3_*")])]), at: PeerTime.now())
        #expect(after.map(\.status) == [.pass])
        #expect(after[0].resource == before[0].resource, "the same resource, so the engine resolves its alert")
    }

    /// `latest → scan-2026-…`, as scan jobs publish their newest output: the link is followed to the directory or
    /// file it names, and a link inside the directory to the scan it names (whose age counts, not the link's).
    @Test func aSymlinkToTheScanDirectoryOrFileIsFollowed() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scans = dir.appendingPathComponent("scan-2026-03-02")
        try FileManager.default.createDirectory(at: scans, withIntermediateDirectories: true)
        let scan = scans.appendingPathComponent("prowler-output.ocsf.json")
        try FileManager.default.copyItem(at: Self.fixture, to: scan)
        let latest = dir.appendingPathComponent("latest")
        try FileManager.default.createSymbolicLink(atPath: latest.path, withDestinationPath: "scan-2026-03-02")
        let latestFile = dir.appendingPathComponent("latest.json")
        try FileManager.default.createSymbolicLink(atPath: latestFile.path, withDestinationPath: scan.path)

        let viaDirectory = try #require(try await source(latest.path).facts([.findings]).findings)
        let viaFile = try #require(try await source(latestFile.path).facts([.findings]).findings)

        #expect(viaDirectory.count == 5)
        #expect(viaFile == viaDirectory)

        // A link inside the directory is a scan too, dated by the file it names.
        let linked = try directory()
        defer { try? FileManager.default.removeItem(at: linked) }
        try FileManager.default.createSymbolicLink(atPath: linked.appendingPathComponent("current.json").path, withDestinationPath: scan.path)
        try FileManager.default.setAttributes([.modificationDate: PeerTime.now().addingTimeInterval(-8 * 86_400)], ofItemAtPath: scan.path)
        let stale = await thrownMessage { _ = try await source(linked.path).facts([.findings]) }
        #expect(stale.contains("older than 7d"), "\(stale)")
    }

    @Test func staleMissingOrMalformedScansAreErrorsNeverPasses() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func results(_ source: OCSFSource) async -> [CheckResult] { await ControlRunner(sources: [source]).run(control(), at: PeerTime.now()) }
        func errorText(_ results: [CheckResult]) -> String {
            if results.count == 1, case .error(let text) = results[0].status { return text }
            Issue.record("expected one error, got \(results)"); return ""
        }

        #expect(errorText(await results(try source(dir.path))).contains("no *.json scan"))
        #expect(errorText(await results(try source(dir.appendingPathComponent("gone.json").path))).contains("does not exist"))

        let stale = dir.appendingPathComponent("old.ocsf.json")
        try FileManager.default.copyItem(at: Self.fixture, to: stale)
        try FileManager.default.setAttributes([.modificationDate: PeerTime.now().addingTimeInterval(-8 * 86_400)], ofItemAtPath: stale.path)
        #expect(errorText(await results(try source(dir.path))).contains("older than 7d"))
        #expect(await results(try source(dir.path, maxAge: "30d")).contains { $0.status == .fail })

        let garbled = dir.appendingPathComponent("garbled.json")
        try Data("{\"class_uid\": 2004, \"status_code\": \"FAIL\"}\nnot json at all\n".utf8).write(to: garbled)
        let garbledText = errorText(await results(try source(garbled.path)))
        #expect(garbledText.contains("garbled.json") && garbledText.contains("line 2: not JSON"))

        let incomplete = dir.appendingPathComponent("incomplete.json")
        try Data(#"[{"class_uid": 2004, "status_code": "FAIL", "metadata": {"event_code": "x"}}]"#.utf8).write(to: incomplete)
        #expect(errorText(await results(try source(incomplete.path))).contains("finding 1: x: no resource"))

        // An empty file (a scan that crashed or is still being written) is an error; `[]` is a clean scan.
        let empty = dir.appendingPathComponent("empty.json")
        try Data("\n".utf8).write(to: empty)
        #expect(errorText(await results(try source(empty.path))).contains("empty: a scan that failed or is still being written"))
        let clean = dir.appendingPathComponent("clean.json")
        try Data("[]".utf8).write(to: clean)
        #expect(await results(try source(clean.path)).isEmpty)

        #expect(throws: SourceError.self) { try source("") }
        #expect(throws: SourceError.self) { try source(dir.path, maxAge: "a week") }
    }

    @Test func exportedResultsReadBackAsTheSameFindings() async throws {
        let control = Control(id: "s3-encryption", title: "Buckets are encrypted", criteria: [Criterion("CC6.1")!, Criterion("CC6.7")!],
                              owner: "platform", severity: .high, cadence: 3_600,
                              check: CheckSpec(type: "storage_encryption", sources: ["aws"]), remediation: "aws s3api put-bucket-encryption …")
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let results = [
            CheckResult(resource: ResourceRef(id: "s3:exports", name: "exports (S3)", kind: "bucket"), status: .fail,
                        expected: "default encryption enabled", observed: "no default encryption", failingSince: at.addingTimeInterval(-3_600)),
            CheckResult(resource: ResourceRef(id: "s3:logs", name: "logs (S3)", kind: "bucket"), status: .pass,
                        expected: "default encryption enabled", observed: "provider-managed keys (SSE-S3)"),
            CheckResult(resource: ResourceRef(id: "aws", kind: "source"), status: .error("source aws could not be read: AccessDenied"),
                        expected: "default encryption enabled", observed: "unknown"),
        ]
        let document = try OCSFDetectionFinding.document(results.map { OCSFDetectionFinding.encode($0, control: control, organisation: "acme", at: at) })
        let objects = try #require(try JSONSerialization.jsonObject(with: document) as? [[String: Any]])
        #expect(objects.allSatisfy { $0["class_uid"] as? Int == 2004 && $0["type_uid"] as? Int == 200401 && $0["severity_id"] as? Int == 4 })
        #expect(objects[0]["time"] as? Int64 == 1_790_000_000_000, "milliseconds, as the schema says")
        #expect((objects[0]["compliance"] as? [String: Any])?["requirements"] as? [String] == ["CC6.1", "CC6.7"])
        #expect((objects[2]["compliance"] as? [String: Any])?["status"] as? String == "Unknown", "an error is never exported as a pass")

        let back = try OCSFDetectionFinding.findings(in: document, file: "export.json")
        #expect(back.map(\.status) == [.fail, .pass, .unknown])
        #expect(back.map(\.resource) == ["s3:exports", "s3:logs", "aws"])
        #expect(back.allSatisfy { $0.checkID == "s3-encryption" && $0.severity == .high && $0.compliance["SOC2"] == ["CC6.1", "CC6.7"] })
        #expect(back[0].firstSeenAt == at.addingTimeInterval(-3_600))
        // Through an imported_findings control, the unknown status is an error result, not a pass.
        let check = try CheckFactory.make(CheckSpec(type: "imported_findings", sources: ["x"]))
        var facts = Facts()
        facts.findings = back
        let judged = check.evaluate(facts, at: at)
        #expect(judged.map(\.status.label) == ["fail", "pass", "error"])
    }
}
