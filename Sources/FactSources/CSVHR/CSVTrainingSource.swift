import Core
import Foundation
import HTTP

/// Security-awareness training from a CSV export (any training platform, or a spreadsheet kept by People), read
/// afresh on every run (CC1.4).
///
/// Manifest: no credentials. `settings.path` (required), `settings.timezone` and `settings.skip_bad_rows` as for
/// `csv_hr`. Columns: `email` (required), `completed` (a date; empty: not completed), and optionally `due` (the
/// assignment's deadline) and `course`. Several rows per person are fine (one per course or year); the training
/// check takes the latest completion and the earliest open deadline. A bad row is reported with its line number as
/// an `error` result of the control, and the good rows still count (`skip_bad_rows` defaults to true here: a bad
/// row hides one person's training, not everyone's; set it to false to refuse the whole file instead).
package struct CSVTrainingSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.training] }
    let path: String
    let dates: HRDate
    let skipBadRows: Bool

    static let requiredColumns = ["email", "completed"]
    static let optionalColumns = ["due", "course"]

    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let settings = try CSVSettings(config: config, settings: Self.descriptor.settings(config), what: "the training export CSV",
                                       columns: Self.requiredColumns + Self.optionalColumns)
        path = settings.path; dates = settings.dates; skipBadRows = settings.skipBadRows
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .training, in: \.training, system: "a training CSV", readSkipping: {
            try records(in: CSVTable.read(path: path, source: id, required: Self.requiredColumns, optional: Self.optionalColumns))
        })
    }

    func records(in table: CSVTable) throws -> (items: [TrainingRecord], problems: [String]) {
        var records: [TrainingRecord] = []
        let problems = table.rows { field in
            var problems: [String] = []
            let email = field("email")
            if !CSVTable.looksLikeEmail(email) { problems.append(email.isEmpty ? "email is empty" : "email \"\(email)\" is not an e-mail address") }
            func date(_ name: String) -> Date? {
                let text = field(name)
                guard !text.isEmpty else { return nil }
                guard let date = dates.parse(text) else {
                    problems.append("\(name) \"\(text)\" is not a date (YYYY-MM-DD or ISO 8601 with Z or an offset)")
                    return nil
                }
                return date
            }
            let completed = date("completed"), due = date("due")
            guard problems.isEmpty else { return problems }
            let course = field("course")
            records.append(TrainingRecord(email: email, completedAt: completed, dueAt: due, course: course.isEmpty ? nil : course))
            return []
        }
        return (records, try CSVTable.check(problems, path: path, source: id, skipBadRows: skipBadRows))
    }
}
