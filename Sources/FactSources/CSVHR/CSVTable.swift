import Core
import Foundation

/// A CSV export with a header row, as the CSV sources read it (HR, training): the file read afresh, columns found by
/// name (trimmed, any case, in any order; unknown columns ignored), and each row handed over with its line number so
/// every problem is reported as `file.csv:7: …`.
struct CSVTable {
    let path: String
    let names: [String]
    let column: [String: Int]
    let records: ArraySlice<CSVRecords.Record>

    /// Reads `path`; throws (naming the file and, where it applies, the line) when it cannot be read, is not UTF-8,
    /// is empty or lacks a required column.
    static func read(path: String, source: SourceID, required: [String], optional: [String]) throws -> CSVTable {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "it exists but cannot be read (check its permissions)" : "no such file"
            throw SourceError.unavailable(source: source, reason: "cannot read \(path) (\(url.standardizedFileURL.path)): \(reason); fix settings.path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SourceError.unavailable(source: source, reason: "\(path) is not UTF-8 text; export the CSV as UTF-8")
        }
        return try parse(text, path: path, source: source, required: required, optional: optional)
    }

    static func parse(_ text: String, path: String, source: SourceID, required: [String], optional: [String]) throws -> CSVTable {
        var records = CSVRecords.parse(text)[...]
        guard let header = records.popFirst() else {
            throw SourceError.unavailable(source: source, reason: "\(path) is empty; it needs a header row: " + (required + optional).joined(separator: ","))
        }
        if let problem = header.problem { throw SourceError.unavailable(source: source, reason: "\(path):\(header.line): \(problem)") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var column: [String: Int] = [:]
        for (index, name) in names.enumerated() where column[name] == nil { column[name] = index }
        let missing = required.filter { column[$0] == nil }
        guard missing.isEmpty else {
            throw SourceError.unavailable(source: source, reason: "\(path):\(header.line): the header has no column " + missing.joined(separator: ", ")
                                          + "; it needs " + required.joined(separator: ",") + " (and optionally " + optional.joined(separator: ",") + ")")
        }
        return CSVTable(path: path, names: names, column: column, records: records)
    }

    /// One data row: its fields by column name and a place for its problems.
    struct Row {
        let table: CSVTable
        let record: CSVRecords.Record
        var line: Int { record.line }
        /// The trimmed field of column `name` ("" when the column or field is absent).
        func callAsFunction(_ name: String) -> String {
            guard let index = table.column[name], index < record.fields.count else { return "" }
            return record.fields[index].trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Hands each well-formed row to `body`, which returns its problems (empty: good). Returns every problem as
    /// `path:line: message`, malformed rows included.
    func rows(_ body: (Row) -> [String]) -> [String] {
        var problems: [String] = []
        for record in records {
            if let problem = record.problem { problems.append("\(path):\(record.line): \(problem)"); continue }
            guard record.fields.count == names.count else {
                problems.append("\(path):\(record.line): \(record.fields.count) fields where the header has \(names.count); quote any field that holds a comma")
                continue
            }
            problems += body(Row(table: self, record: record)).map { "\(path):\(record.line): \($0)" }
        }
        return problems
    }

    /// Throws one error listing every bad row, unless `skipBadRows`: then the good rows are used and the bad ones
    /// are returned, to be reported beside them (`Facts.problems`).
    static func check(_ problems: [String], path: String, source: SourceID, skipBadRows: Bool) throws -> [String] {
        guard !problems.isEmpty, !skipBadRows else { return problems }
        throw SourceError.unavailable(source: source, reason: "\(problems.count) bad row\(problems.count == 1 ? "" : "s") in \(path) "
                                      + "(fix them, or set skip_bad_rows: true to check the other rows):\n" + problems.joined(separator: "\n"))
    }

    /// `local@domain` with no spaces: enough to tell an address from a name or a typo'd column.
    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !text.contains(where: \.isWhitespace)
    }
}

/// The settings every CSV source takes: `path` (required), `timezone` (of bare dates) and `skip_bad_rows`, with
/// the defaults of the source's descriptor.
struct CSVSettings {
    let path: String
    let dates: HRDate
    let skipBadRows: Bool

    /// - Parameter what: the export, for the message when `path` is missing ("the HR export CSV").
    init(config: SourceConfig, settings: DescribedSettings, what: String, columns: [String]) throws {
        guard let path = try settings.path(ifSet: "path") else {
            throw SourceError.unavailable(source: config.id, reason: "set settings.path to \(what) (columns \(columns.joined(separator: ",")))")
        }
        self.path = path
        dates = try HRDate(zone: settings.string("timezone"), source: config.id)
        skipBadRows = try settings.bool("skip_bad_rows")
    }
}
