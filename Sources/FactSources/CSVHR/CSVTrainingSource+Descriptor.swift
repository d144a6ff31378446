import Core
import Foundation

extension CSVTrainingSource {
    /// Kind `csv_training`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "csv_training",
        summary: "columns `email,completed` and optionally `due,course`, one row per person and course; every bad row is reported with its line number",
        provides: [.training],
        settings: [
            SettingSpec("path", .path, required: true, help: "the CSV file, relative to the working directory"),
            SettingSpec("timezone", .string, default: .string("UTC"), help: "the IANA time zone of dates"),
            SettingSpec("skip_bad_rows", .bool, default: .bool(true), help: "count the good rows when some are malformed (each bad one is still reported)"),
        ]), network: false, factory: { try CSVTrainingSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
