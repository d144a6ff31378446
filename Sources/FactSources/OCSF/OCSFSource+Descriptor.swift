import Core
import Foundation

extension OCSFSource {
    /// Kind `ocsf`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "ocsf",
        summary: "OCSF Detection Findings (Prowler's `-M json-ocsf`, any OCSF producer, or `soc2bot check --format ocsf`), a JSON array or JSON Lines; suppressed findings and other classes left out",
        provides: [.findings],
        settings: [
            SettingSpec("path", .path, required: true, help: "a file, or a directory whose newest `*.json` is the latest scan"),
            SettingSpec("max_age", .duration, default: .string("7d"), help: "an older scan is an error, never a pass"),
        ]), network: false, factory: { try OCSFSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
