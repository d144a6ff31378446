import Core
import Crypto
import Foundation
import Store

/// A period's results as an OSCAL assessment-results document (NIST OSCAL 1.1, JSON): one result for the period whose
/// findings are the criteria of the chosen framework and whose observations are the controls and the alerts behind
/// them. Built from the same point-in-time definitions as the other reports: the alerts touching the period
/// (`alertFacts(touching:)`), `MetricsBreakdown` per criterion of `Framework.groups`, each control's latest run at the
/// period's end. A criterion is `satisfied` when none of its alerts breached its SLA in the period and none was open at
/// its end; otherwise `not-satisfied`. Ids are name-based (UUID v5) so the same period exports the same document.
package enum OSCALExport {
    package static let oscalVersion = "1.1.2"
    /// The namespace of soc2bot's name-based UUIDs and of its own property names.
    static let namespace = UUID(uuidString: "6f1d3c52-8a47-4b0e-9c55-2f0e5d9a7b13")!
    static let propertyNamespace = "urn:soc2bot:oscal"

    package static func assessmentResults(config: BotConfig, store: StoreTransaction, period: DateInterval, framework: Framework,
                                          generatedAt: Date) throws -> Data {
        let alerts = try store.alertFacts(touching: period).sorted { ($0.openedAt, $0.id.description) < ($1.openedAt, $1.id.description) }
        let ran = try store.controlsRun(in: period)
        let evidenced = try ManualCoverage.evidenced(config: config, store: store, at: period.end)
        let rows = MetricsBreakdown.compute(.criterion, alerts: alerts, controls: config.controls, ran: ran, ranBefore: [],
                                            evidencedManual: evidenced, period: period, framework: framework)
        let runs = Dictionary(try store.latestRuns(atOrBefore: period.end.addingTimeInterval(-0.000_001)).map { ($0.control, $0) },
                              uniquingKeysWith: { a, _ in a })
        let controls = Dictionary(config.controls.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let scope = "\(config.organisation)|\(framework.rawValue)|\(TimeText.iso(period.start))|\(TimeText.iso(period.end))"
        func id(_ name: String) -> String { uuid5(scope + "|" + name) }
        func prop(_ name: String, _ value: String) -> [String: Any] { ["name": name, "ns": propertyNamespace, "value": value] }

        // Observations: each control as it stood at the period's end, then each alert of the period.
        var observations: [[String: Any]] = []
        var controlObservation: [ControlID: String] = [:]
        for control in config.controls {
            let own = alerts.filter { $0.control == control.id }
            let breached = own.filter { $0.breachedRemediationSLA(in: period) }.count
            let open = own.filter { $0.isOpen(at: period.end) }.count
            var text: String
            if let check = control.check {
                text = "Automated test `\(check.type)`, every \(DurationText.format(control.cadence)). "
                text += runs[control.id].map { "Latest run by the period's end, \(TimeText.iso($0.at)): \($0.passed) passed, \($0.failed) failed, \($0.errors) errors (results digest \($0.digest))." }
                    ?? "No run recorded by the period's end."
            } else {
                text = "Manual evidence: \(control.evidenceExpected ?? "recorded from chat") every \(DurationText.format(control.cadence)); "
                    + (evidenced.contains(control.id) ? "current at the period's end." : "not current at the period's end.")
            }
            text += " In the period: \(own.count) alert\(own.count == 1 ? "" : "s"), \(breached) past \(breached == 1 ? "its" : "their") SLA, \(open) open at the end."
            let uuid = id("control:\(control.id.rawValue)")
            controlObservation[control.id] = uuid
            var observation: [String: Any] = [
                "uuid": uuid, "title": "\(control.id.rawValue): \(control.title)", "description": text,
                "methods": [control.isAutomated ? "TEST" : "EXAMINE"], "types": ["control-objective"],
                "collected": TimeText.iso(runs[control.id]?.at ?? period.end),
                "props": [prop("control-id", control.id.rawValue), prop("owner", control.owner.rawValue), prop("severity", control.severity.rawValue)]
                    + framework.criteria(of: control).map { prop("criterion", $0) },
            ]
            if let run = runs[control.id] {
                observation["relevant-evidence"] = [["description": "Check run recorded in the evidence ledger at \(TimeText.iso(run.at)), results digest \(run.digest)."]]
            }
            observations.append(observation)
        }
        var alertObservation: [AlertID: String] = [:]
        for alert in alerts {
            let uuid = id("alert:\(alert.id)")
            alertObservation[alert.id] = uuid
            let ended = alert.endedAt.flatMap { $0 < period.end ? "ended \(TimeText.iso($0)) (\(alert.state.label))" : nil }
                ?? "still open at the period's end"
            observations.append([
                "uuid": uuid, "title": "\(alert.id) \(alert.title)",
                "description": "\(alert.severity.label) alert of control \(alert.control.rawValue), team \(alert.team.rawValue): failing since \(TimeText.iso(alert.failingSince)), "
                    + "opened \(TimeText.iso(alert.openedAt)), SLA deadline \(TimeText.iso(alert.slaDeadline))"
                    + (alert.breachedRemediationSLA(in: period) ? " (breached in the period)" : "") + "; \(ended).",
                "methods": ["TEST"], "types": ["finding"], "collected": TimeText.iso(alert.openedAt),
                "props": [prop("alert-id", alert.id.description), prop("control-id", alert.control.rawValue), prop("severity", alert.severity.rawValue)],
            ])
        }

        // Findings: one per criterion of the framework (controls it maps to none of are observed, not judged).
        var findings: [[String: Any]] = []
        for row in rows where row.group != Framework.unmapped {
            let mapped = config.controls.filter { framework.groups(of: $0).contains(row.group) }
            let related = alerts.filter { framework.groups(ofAlert: $0.criteria, control: controls[$0.control]).contains(row.group) }
            let open = row.openRisk.values.reduce(0, +)
            let satisfied = row.current.slaBreaches == 0 && open == 0
            let related_ = mapped.compactMap { controlObservation[$0.id] } + related.compactMap { alertObservation[$0.id] }
            var finding: [String: Any] = [
                "uuid": id("finding:\(row.group)"), "title": framework.label(row.group),
                "description": "\(mapped.count) control\(mapped.count == 1 ? "" : "s") (\(mapped.map(\.id.rawValue).joined(separator: ", "))); in the period "
                    + "\(row.current.opened) alert\(row.current.opened == 1 ? "" : "s") opened, \(row.current.remediated) remediated, \(row.current.accepted) risk-accepted, "
                    + "\(row.current.slaBreaches) SLA breach\(row.current.slaBreaches == 1 ? "" : "es"), \(open) open at the end; MTTD "
                    + "\(row.current.mttd.map(DurationText.format) ?? "no data"), MTTR \(row.current.mttr.map(DurationText.format) ?? "no data"), "
                    + "evidence coverage \(Int((row.current.coverage * 100).rounded()))%.",
                "props": [prop("framework", framework.rawValue), prop("criterion", row.group)],
                "target": [
                    "type": "objective-id", "target-id": controlToken(row.group, in: framework), "title": framework.label(row.group),
                    "status": ["state": satisfied ? "satisfied" : "not-satisfied", "reason": satisfied ? "pass" : "fail"],
                ] as [String: Any],
            ]
            if !related_.isEmpty { finding["related-observations"] = related_.map { ["observation-uuid": $0] } }
            findings.append(finding)
        }

        let criteria = findings.compactMap { (($0["target"] as? [String: Any])?["target-id"] as? String) }
        let plan = id("assessment-plan")
        var result: [String: Any] = [
            "uuid": id("result"), "title": "\(framework.shortName) results, \(TimeText.human(period.start)) to \(TimeText.human(period.end))",
            "description": "What soc2bot observed of \(config.organisation)'s controls in the period, judged per criterion of \(framework.title): "
                + "a criterion is satisfied when none of its alerts breached its SLA in the period and none was open at the end.",
            "start": TimeText.iso(period.start), "end": TimeText.iso(period.end),
            "reviewed-controls": ["control-selections": [criteria.isEmpty ? ["include-all": [String: Any]()] : ["include-controls": criteria.map { ["control-id": $0] }]]],
        ]
        if !observations.isEmpty { result["observations"] = observations }
        if !findings.isEmpty { result["findings"] = findings }
        let document: [String: Any] = ["assessment-results": [
            "uuid": id("assessment-results"),
            "metadata": [
                "title": "\(config.organisation) — \(framework.title) assessment results, \(TimeText.human(period.start)) to \(TimeText.human(period.end))",
                "last-modified": TimeText.iso(generatedAt), "version": "1", "oscal-version": oscalVersion,
                "props": [prop("generator", "soc2bot")],
            ] as [String: Any],
            "import-ap": ["href": "#\(plan)", "remarks": "The assessment plan is the organisation's soc2bot manifests: its controls, checks and cadences."],
            "results": [result],
            "back-matter": ["resources": [[
                "uuid": plan, "title": "soc2bot manifests of \(config.organisation)",
                "description": "The controls, their checks, owners and cadences that soc2bot tests (\(config.controls.count) controls).",
            ] as [String: Any]]],
        ] as [String: Any]]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// A criterion id as an OSCAL control id (a token: a letter first, then letters, digits, `.`, `-`, `_`):
    /// the framework's name, `-`, the id in lower case with parentheses as dots — `iso27001-a.5.18`,
    /// `hipaa-164.308.a.1.ii.d`, `pci-8.4.2`.
    package static func controlToken(_ criterion: String, in framework: Framework) -> String {
        var token = ""
        for character in criterion.lowercased() {
            switch character {
            case "(": if !token.hasSuffix(".") { token.append(".") }
            case ")": continue
            case _ where character.isLetter || character.isNumber || character == "." || character == "-" || character == "_": token.append(character)
            default: token.append("_")
            }
        }
        return "\(framework.rawValue)-\(token)"
    }

    /// A name-based UUID (RFC 4122 version 5, SHA-1) in soc2bot's namespace.
    static func uuid5(_ name: String) -> String {
        var bytes = withUnsafeBytes(of: namespace.uuid) { Data($0) }
        bytes.append(Data(name.utf8))
        var digest = Array(Insecure.SHA1.hash(data: bytes).prefix(16))
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        let uuid = UUID(uuid: (digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                               digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]))
        return uuid.uuidString.lowercased()
    }
}
