import Core
import Foundation

/// OCSF Detection Findings (class 2004, schema 1.x) in and out: the interchange format Prowler's `json-ocsf` output,
/// AWS Security Lake and SIEMs speak. Import reads what the bot needs to run a finding through its lifecycle; export
/// writes each check result as one finding another tool can read. Import accepts our own export.
package enum OCSFDetectionFinding {
    static let classUID = 2004
    /// Finding classes whose records carry a pass/fail verdict this import understands (Security, Compliance,
    /// Detection Finding).
    static let findingClasses: Set<Int> = [2001, 2003, 2004]
    package static let schemaVersion = "1.4.0"
    /// The bot's version as a product in `metadata.product.version`.
    package static let productVersion = "0.9.0"

    // MARK: Import

    /// A file that could not be read as OCSF findings, with where.
    package struct ImportError: Error, CustomStringConvertible, Equatable {
        package var file: String
        package var problems: [String]
        package var description: String { problems.map { "\(file): \($0)" }.joined(separator: "; ") }
    }

    /// Findings in `data`: a JSON array of finding objects (Prowler), a single object, or JSON Lines. Records of
    /// other OCSF classes are skipped; records that are not findings at all, or findings without a check id or
    /// resource, are problems: the whole file is refused, since a half-read scan would resolve what it left out.
    package static func findings(in data: Data, file: String) throws -> [ImportedFinding] {
        // An empty file is a scan that failed or is still being written, not a clean one (a clean scan is `[]`):
        // taken as "no findings" it would resolve every alert the scanner raised.
        guard data.contains(where: { !" \t\r\n".utf8.contains($0) }) else {
            throw ImportError(file: file, problems: ["empty: a scan that failed or is still being written (a scan with no findings is `[]`)"])
        }
        var records: [(line: Int?, object: Any)] = []
        if let whole = try? JSONSerialization.jsonObject(with: data) {
            if let list = whole as? [Any] { records = list.map { (nil, $0) } } else { records = [(nil, whole)] }
        } else {
            // JSON Lines: one finding per line.
            var problems: [String] = []
            for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty { continue }
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
                    problems.append("line \(index + 1): not JSON"); continue
                }
                records.append((index + 1, object))
            }
            if !problems.isEmpty || records.isEmpty && !data.isEmpty {
                throw ImportError(file: file, problems: problems.isEmpty ? ["not JSON (an array of OCSF findings or JSON Lines)"] : problems)
            }
        }
        var findings: [ImportedFinding] = []
        var problems: [String] = []
        for (position, record) in records.enumerated() {
            let at = record.line.map { "line \($0)" } ?? "finding \(position + 1)"
            guard let object = record.object as? [String: Any] else { problems.append("\(at): not a JSON object"); continue }
            if let classUID = int(object["class_uid"]), !findingClasses.contains(classUID) { continue }
            do { if let finding = try finding(object) { findings.append(finding) } } catch { problems.append("\(at): \(error)") }
            if problems.count >= 20 { problems.append("…"); break }
        }
        if !problems.isEmpty { throw ImportError(file: file, problems: problems) }
        return findings
    }

    struct Missing: Error, CustomStringConvertible { var description: String }

    /// One finding, or nil when the scanner marked it suppressed (muted there: the bot does not re-raise it).
    static func finding(_ o: [String: Any]) throws -> ImportedFinding? {
        let metadata = o["metadata"] as? [String: Any]
        let info = o["finding_info"] as? [String: Any] ?? o["finding"] as? [String: Any]
        let compliance = o["compliance"] as? [String: Any]
        guard let checkID = nonEmpty(metadata?["event_code"]) ?? nonEmpty(compliance?["control"]) ?? nonEmpty(info?["uid"]) else {
            throw Missing(description: "no check id (metadata.event_code, compliance.control or finding_info.uid)")
        }
        let resources = o["resources"] as? [[String: Any]] ?? []
        let cloud = o["cloud"] as? [String: Any]
        let account = nonEmpty((cloud?["account"] as? [String: Any])?["uid"])
        guard let resource = nonEmpty(resources.first?["uid"]) ?? nonEmpty(resources.first?["name"]) ?? account else {
            throw Missing(description: "\(checkID): no resource (resources[0].uid or name, or cloud.account.uid)")
        }
        if nonEmpty(o["status"])?.lowercased() == "suppressed" || int(o["status_id"]) == 3 { return nil }

        let status: ImportedFinding.Status
        switch nonEmpty(o["status_code"])?.uppercased() {
        case "PASS": status = .pass
        case "FAIL": status = .fail
        case "MANUAL": status = .manual
        default:
            switch int(compliance?["status_id"]) {
            case 1: status = .pass
            case 3: status = .fail
            default: status = .unknown
            }
        }
        var mappings: [String: [String]] = [:]
        if let unmapped = (o["unmapped"] as? [String: Any])?["compliance"] as? [String: Any] {
            for (framework, requirements) in unmapped { mappings[framework] = (requirements as? [Any])?.compactMap(nonEmpty) ?? [] }
        }
        if let requirements = (compliance?["requirements"] as? [Any])?.compactMap(nonEmpty), !requirements.isEmpty {
            for standard in (compliance?["standards"] as? [Any])?.compactMap(nonEmpty) ?? ["OCSF"] {
                mappings[standard, default: []] += requirements.filter { !(mappings[standard] ?? []).contains($0) }
            }
        }
        let remediation = (o["remediation"] as? [String: Any]).flatMap { nonEmpty($0["desc"]) }
        return ImportedFinding(
            checkID: checkID, title: nonEmpty(info?["title"]) ?? checkID, status: status, severity: severity(o),
            resource: resource, resourceName: nonEmpty(resources.first?["name"]),
            compliance: mappings, provider: [nonEmpty(cloud?["provider"]), account, nonEmpty(resources.first?["region"])].compactMap { $0 }
                .joined(separator: " ").nilIfEmpty,
            statusDetail: nonEmpty(o["status_detail"]) ?? nonEmpty(o["message"]), remediation: remediation,
            firstSeenAt: time(info?["first_seen_time"]) ?? time(info?["created_time"]))
    }

    /// `severity_id` 1 Informational (nil: below every control's threshold) … 5 Critical, 6 Fatal; the caption when
    /// the id is missing or Other. An unknown severity is taken as low, so a finding is never dropped for lacking one.
    static func severity(_ o: [String: Any]) -> Severity? {
        switch int(o["severity_id"]) {
        case 2: return .low
        case 3: return .medium
        case 4: return .high
        case 5, 6: return .critical
        case 1: return nil
        default:
            switch nonEmpty(o["severity"])?.lowercased() {
            case "low": return .low
            case "medium": return .medium
            case "high": return .high
            case "critical", "fatal": return .critical
            case "informational", "info": return nil
            default: return .low
            }
        }
    }

    /// OCSF timestamps are milliseconds since the epoch; some producers (Prowler) write seconds.
    static func time(_ value: Any?) -> Date? {
        guard let number = (value as? NSNumber)?.doubleValue ?? (value as? String).flatMap(Double.init) else {
            return (value as? String).flatMap(TimeText.parse)
        }
        return Date(timeIntervalSince1970: number > 100_000_000_000 ? number / 1_000 : number)
    }

    static func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue ?? (value as? String).flatMap { Int($0) } }
    static func nonEmpty(_ value: Any?) -> String? {
        guard let text = value as? String else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    // MARK: Export

    /// One check result as a Detection Finding. `status_code` is PASS, FAIL or ERROR (a result the bot could not
    /// evaluate: its reason is the status detail; the compliance status is Unknown, never Pass).
    package static func encode(_ result: CheckResult, control: Control, organisation: String, at time: Date) -> [String: Any] {
        let (code, detail, complianceStatus, complianceID): (String, String, String, Int) = switch result.status {
        case .pass: ("PASS", result.observed, "Pass", 1)
        case .fail: ("FAIL", result.observed, "Fail", 3)
        case .error(let reason): ("ERROR", reason, "Unknown", 0)
        }
        let severityID = switch control.severity {
        case .critical: 5
        case .high: 4
        case .medium: 3
        case .low: 2
        }
        let ms = Int64((time.timeIntervalSince1970 * 1_000).rounded())
        var info: [String: Any] = [
            "uid": "soc2bot:\(organisation):\(control.id.rawValue):\(result.resource.id)",
            "title": control.title,
            "desc": "Expected: \(result.expected)",
            "created_time": ms,
            "types": control.criteria.map(\.rawValue),
            "product_uid": "soc2bot",
        ]
        if let since = result.failingSince { info["first_seen_time"] = Int64((since.timeIntervalSince1970 * 1_000).rounded()) }
        return [
            "class_uid": classUID, "class_name": "Detection Finding", "category_uid": 2, "category_name": "Findings",
            "activity_id": 1, "activity_name": "Create", "type_uid": classUID * 100 + 1, "type_name": "Detection Finding: Create",
            "time": ms, "time_dt": TimeText.iso(time),
            "severity_id": severityID, "severity": control.severity.rawValue.capitalized,
            "status_id": 1, "status": "New",
            "status_code": code, "status_detail": detail, "message": "\(result.resource.name): \(detail)",
            "metadata": [
                "version": schemaVersion, "event_code": control.id.rawValue, "profiles": ["datetime"], "tenant_uid": organisation,
                "product": ["name": "soc2bot", "uid": "soc2bot", "vendor_name": "soc2bot", "version": Self.productVersion],
            ] as [String: Any],
            "finding_info": info,
            "resources": [["uid": result.resource.id, "name": result.resource.name, "type": result.resource.kind]],
            "compliance": [
                "standards": ["SOC2"], "requirements": control.criteria.map(\.rawValue), "control": control.id.rawValue,
                "status": complianceStatus, "status_id": complianceID, "status_detail": detail,
            ] as [String: Any],
            "remediation": ["desc": control.remediation],
        ]
    }

    /// Results as a JSON array of findings, keys sorted (stable output for diffs and digests).
    package static func document(_ findings: [[String: Any]]) throws -> Data {
        try JSONSerialization.data(withJSONObject: findings, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
