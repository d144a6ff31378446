import Foundation
import Yams

/// Turns a Yams `YamlError` into a problem at the position libyaml reports, with advice for the usual causes.
enum YamlSyntaxProblem {
    static func problem(for error: YamlError, file: String, yaml: String) -> ManifestProblem {
        func at(_ mark: (line: Int, column: Int), _ message: String, _ fix: String) -> ManifestProblem {
            .init(file: file, line: max(1, mark.line), column: max(1, mark.column), message: message, fix: fix)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return at((mark.line, mark.column), "YAML syntax error: \(problem)\(while_)", advice(for: problem, line: mark.line, yaml: yaml))
        case .reader(let problem, let offset, _, _):
            let mark = offset.map { position(ofCharacterOffset: $0, in: yaml) } ?? (1, 1)
            return at(mark, "cannot read the YAML: \(problem)", "save the file as UTF-8 without control characters")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "`\($0)`" }.joined(separator: ", ")
            return at((context.mark.line, context.mark.column), "key \(keys) appears more than once in the same mapping",
                      "keep one of them; a later one would silently replace the first")
        default:
            return .init(file: file, line: 1, column: 1, message: "cannot parse YAML: \(error)", fix: "check the file with a YAML linter")
        }
    }

    /// What usually causes libyaml's terse complaints.
    private static func advice(for problem: String, line lineNumber: Int, yaml: String) -> String {
        let line = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            .dropFirst(max(0, lineNumber - 1)).first.map(String.init) ?? ""
        if problem.contains("cannot start any token"), line.contains("\t") {
            return "indent with spaces, not tabs"
        }
        if problem.contains("mapping values are not allowed") {
            return "quote values that contain `: `, or check the indentation of this line"
        }
        if problem.contains("did not find expected key") || problem.contains("did not find expected '-'") {
            return "check the indentation: keys of one mapping must start in the same column"
        }
        if problem.contains("found unexpected end of stream") || problem.contains("found unknown escape") {
            return "close the quote or bracket opened before this point"
        }
        return "fix the YAML at this position; indentation, a missing `:` or an unclosed quote are the usual causes"
    }

    /// The 1-based line and column of the character at `offset` (counted in `Character`s).
    static func position(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
