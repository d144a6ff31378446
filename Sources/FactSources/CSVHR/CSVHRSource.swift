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
/// returned and the bad ones are left out, a choice the manifest makes knowingly.
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
                 now: @escaping @Sendable () -> Date = { Date() }) throws {
        id = config.id
        guard let path = config.settings["path"]?.string?.trimmingCharacters(in: .whitespaces), !path.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "set settings.path to the HR export CSV (columns "
                                          + (Self.requiredColumns + Self.optionalColumns).joined(separator: ",") + ")")
        }
        self.path = path
        dates = try HRDate(setting: config.settings["timezone"], source: config.id)
        if let value = config.settings["skip_bad_rows"], value.bool == nil {
            throw SourceError.unavailable(source: config.id, reason: "settings.skip_bad_rows must be true or false")
        }
        skipBadRows = config.settings["skip_bad_rows"]?.bool ?? false
        self.now = now
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        for kind in kinds {
            guard kind == .people else {
                throw SourceError.unavailable(source: id, reason: "an HR CSV provides people, not \(kind.rawValue)")
            }
            facts.people = try people()
        }
        return facts
    }

    /// Reads and checks the file; see the type's documentation for what a bad row does.
    func people() throws -> [HRPerson] {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "it exists but cannot be read (check its permissions)" : "no such file"
            throw SourceError.unavailable(source: id, reason: "cannot read \(path) (\(url.standardizedFileURL.path)): \(reason); fix settings.path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SourceError.unavailable(source: id, reason: "\(path) is not UTF-8 text; export the CSV as UTF-8")
        }
        return try people(in: text)
    }

    /// The people of CSV `text`, checked row by row.
    func people(in text: String) throws -> [HRPerson] {
        var records = CSVRecords.parse(text)[...]
        guard let header = records.popFirst() else {
            throw SourceError.unavailable(source: id, reason: "\(path) is empty; it needs a header row: "
                                          + (Self.requiredColumns + Self.optionalColumns).joined(separator: ","))
        }
        if let problem = header.problem { throw SourceError.unavailable(source: id, reason: "\(path):\(header.line): \(problem)") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var column: [String: Int] = [:]
        for (index, name) in names.enumerated() where column[name] == nil { column[name] = index }
        let missing = Self.requiredColumns.filter { column[$0] == nil }
        guard missing.isEmpty else {
            throw SourceError.unavailable(source: id, reason: "\(path):\(header.line): the header has no column "
                                          + missing.joined(separator: ", ") + "; it needs " + Self.requiredColumns.joined(separator: ",")
                                          + " (and optionally " + Self.optionalColumns.joined(separator: ",") + ")")
        }

        let today = now()
        var people: [HRPerson] = []
        var problems: [String] = []
        var seenIDs: [String: Int] = [:]
        for record in records {
            func field(_ name: String) -> String {
                guard let index = column[name], index < record.fields.count else { return "" }
                return record.fields[index].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            func bad(_ message: String) { problems.append("\(path):\(record.line): \(message)") }
            if let problem = record.problem { bad(problem); continue }
            guard record.fields.count == names.count else {
                bad("\(record.fields.count) fields where the header has \(names.count); quote any field that holds a comma")
                continue
            }
            var rowProblems: [String] = []
            let employeeID = field("employee_id")
            if employeeID.isEmpty { rowProblems.append("employee_id is empty") }
            else if let first = seenIDs[employeeID] { rowProblems.append("employee_id \"\(employeeID)\" already appears on line \(first)") }
            let email = field("email")
            if email.isEmpty { rowProblems.append("email is empty, so no account can be matched to this person") }
            else if !Self.looksLikeEmail(email) { rowProblems.append("email \"\(email)\" is not an e-mail address") }
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
            guard rowProblems.isEmpty, let status else {
                for problem in rowProblems { bad(problem) }
                continue
            }
            seenIDs[employeeID] = record.line
            let name = field("name")
            let department = field("department")
            let manager = field("manager")
            people.append(HRPerson(employeeID: employeeID, name: name.isEmpty ? email : name, email: email, status: status,
                                   terminatedAt: status == .terminated ? terminatedAt : nil,
                                   department: department.isEmpty ? nil : department, manager: manager.isEmpty ? nil : manager))
        }
        if !problems.isEmpty && !skipBadRows {
            throw SourceError.unavailable(source: id, reason: "\(problems.count) bad row\(problems.count == 1 ? "" : "s") in \(path) "
                                          + "(fix them, or set skip_bad_rows: true to check the other rows):\n" + problems.joined(separator: "\n"))
        }
        return people
    }

    /// `local@domain` with no spaces: enough to tell an address from a name or a typo'd column.
    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !text.contains(where: \.isWhitespace)
    }
}
