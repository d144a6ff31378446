import Core
import Foundation
import HTTP

/// People from a CSV export of the HR system of record (CC6.2 offboarding, CC1.4 training), read afresh on every run.
///
/// Manifest: no credentials. `settings.path` (required) is the file; a relative path is resolved against the bot's
/// current directory when the file is read. `settings.timezone` (IANA name, default UTC) is the zone a bare date
/// means 00:00 in. `settings.skip_bad_rows` (default false), see below.
///
/// The file has a header row naming its columns, in any order (names are trimmed and case-insensitive; unknown
/// columns are ignored): `employee_id`, `name`, `email`, `status` are required; `termination_date`, `department`
/// and `manager` (an e-mail or a name) are optional. Quoting follows RFC 4180 (see `CSVRecords`).
/// Each row:
/// - `status` is `active` or `terminated` (any case).
/// - `termination_date` is `YYYY-MM-DD` (00:00 in `timezone`) or an ISO 8601 instant with `Z` or an offset; empty
///   means none. A terminated person without one is passed through: the offboarding check reports it as an error.
///   An active person whose termination date has passed is a contradiction and a bad row; a future one is ignored
///   until the status changes.
/// - `employee_id` must be unique and `email` must look like an address: without one no account can be matched.
///
/// Bad rows: every problem is reported with its line, `people.csv:7: status "gone" is not active or terminated`.
/// A bad row means a person the checks cannot see, so by default reading throws one error listing them all (the
/// controls that read people then record an `error`, never a pass). With `skip_bad_rows: true` the good rows are
/// judged and each bad row becomes an `error` result of its own (`Facts.problems`), a choice the manifest makes
/// knowingly.
package struct CSVHRSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.people] }
    /// As configured, for messages.
    let path: String
    let dates: HRDate
    let skipBadRows: Bool
    let now: @Sendable () -> Date

    static let requiredColumns = ["employee_id", "name", "email", "status"]
    static let optionalColumns = ["termination_date", "department", "manager"]

    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let settings = try CSVSettings(config: config, settings: Self.descriptor.settings(config), what: "the HR export CSV",
                                       columns: Self.requiredColumns + Self.optionalColumns)
        path = settings.path; dates = settings.dates; skipBadRows = settings.skipBadRows
        self.now = clock.nowFunction
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .people, in: \.people, system: "an HR CSV", readSkipping: {
            try people(in: CSVTable.read(path: path, source: id, required: Self.requiredColumns, optional: Self.optionalColumns))
        })
    }

    /// The people of the file, checked row by row, and the bad rows skipped (with `skip_bad_rows`; else they throw).
    func people(in table: CSVTable) throws -> (items: [HRPerson], problems: [String]) {
        let today = now()
        var people: [HRPerson] = []
        var seenIDs: [String: Int] = [:]
        let problems = table.rows { field in
            var rowProblems: [String] = []
            let employeeID = field("employee_id")
            if employeeID.isEmpty { rowProblems.append("employee_id is empty") }
            else if let first = seenIDs[employeeID] { rowProblems.append("employee_id \"\(employeeID)\" already appears on line \(first)") }
            let email = field("email")
            if email.isEmpty { rowProblems.append("email is empty, so no account can be matched to this person") }
            else if !CSVTable.looksLikeEmail(email) { rowProblems.append("email \"\(email)\" is not an e-mail address") }
            let statusText = field("status")
            let status = HRPerson.Status(rawValue: statusText.lowercased())
            if status == nil { rowProblems.append("status \"\(statusText)\" is not active or terminated") }
            let dateText = field("termination_date")
            var terminatedAt: Date?
            if !dateText.isEmpty {
                terminatedAt = dates.parse(dateText)
                if terminatedAt == nil {
                    rowProblems.append("termination_date \"\(dateText)\" is not a date (YYYY-MM-DD or ISO 8601 with Z or an offset)")
                }
            }
            if status == .active, let date = terminatedAt, date <= today {
                rowProblems.append("status is active but termination_date \(dateText) has passed; set status terminated or clear the date")
            }
            guard rowProblems.isEmpty, let status else { return rowProblems }
            seenIDs[employeeID] = field.line
            let name = field("name"), department = field("department"), manager = field("manager")
            people.append(HRPerson(employeeID: employeeID, name: name.isEmpty ? email : name, email: email, status: status,
                                   terminatedAt: status == .terminated ? terminatedAt : nil,
                                   department: department.isEmpty ? nil : department, manager: manager.isEmpty ? nil : manager))
            return []
        }
        return (people, try CSVTable.check(problems, path: path, source: id, skipBadRows: skipBadRows))
    }
}
