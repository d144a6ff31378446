/// RFC 4180 records: fields separated by commas, records by CRLF or LF; a field in double quotes may hold commas,
/// line breaks and `""` (one quote). A leading UTF-8 byte order mark is dropped. Lenient where it costs nothing: a
/// quote inside an unquoted field is kept as a character. Strict where data would be lost: text after a closing
/// quote, or a quote left open at the end of the file, is a problem of that record.
struct CSVRecords {
    struct Record: Equatable {
        /// The 1-based line the record starts on, for messages like `people.csv:7: …`.
        var line: Int
        var fields: [String]
        /// Why the record could not be read faithfully; nil when it could.
        var problem: String?
    }

    /// Every record of `text`, in order. An entirely empty line is no record.
    static func parse(_ text: String) -> [Record] {
        var scalars = Substring(text).unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var recordLine = 1
        var problem: String?
        var inQuotes = false
        var quotedField = false
        var afterClosingQuote = false
        var index = scalars.startIndex

        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            quotedField = false
            afterClosingQuote = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty && problem == nil) {
                records.append(Record(line: recordLine, fields: fields, problem: problem))
            }
            fields = []
            problem = nil
        }

        while index < scalars.endIndex {
            let c = scalars[index]
            let next = scalars.index(after: index)
            if inQuotes {
                if c == "\"" {
                    if next < scalars.endIndex && scalars[next] == "\"" {
                        field.append("\"")
                        index = scalars.index(after: next)
                        continue
                    }
                    inQuotes = false
                    afterClosingQuote = true
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
                index = next
                continue
            }
            switch c {
            case ",":
                endField()
            case "\r" where next < scalars.endIndex && scalars[next] == "\n":
                break // the LF ends the record
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            case "\"" where field.isEmpty && !quotedField:
                inQuotes = true
                quotedField = true
            default:
                if afterClosingQuote, problem == nil {
                    problem = "text after a closing quote in field \(fields.count + 1); put the whole field in quotes and double any quote inside"
                }
                field.append(c)
            }
            index = next
        }
        if inQuotes, problem == nil {
            problem = "a quote opened in field \(fields.count + 1) is never closed"
        }
        if !(fields.isEmpty && field.isEmpty && !quotedField && problem == nil) { endRecord() }
        return records
    }
}
