import Core
import Foundation

extension CSVHRSource {
    /// Kind `csv_hr`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "csv_hr",
        summary: "columns `employee_id,name,email,status,termination_date,department,manager`; every bad row is reported with its line number",
        provides: [.people],
        settings: [
            SettingSpec("path", .path, required: true, help: "the CSV file, relative to the working directory"),
            SettingSpec("timezone", .string, default: .string("UTC"), help: "the IANA time zone of dates"),
            SettingSpec("skip_bad_rows", .bool, default: .bool(false), help: "count the good rows when some are malformed (each bad one is still reported)"),
        ]), network: false, factory: { try CSVHRSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
