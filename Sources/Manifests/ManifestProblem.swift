/// One thing wrong with the manifests, where it is and what to do about it.
///
/// Printed as `file:line:column: message — fix`, the form editors and CI annotate.
package struct ManifestProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's path as given: the directory path the loader was called with, plus the file name.
    package var file: String
    /// 1-based line of the offending node.
    package var line: Int
    /// 1-based column of the offending node, counted in Unicode scalars.
    package var column: Int
    /// What is wrong.
    package var message: String
    /// What to do about it.
    package var fix: String

    package init(file: String, line: Int, column: Int, message: String, fix: String) {
        self.file = file; self.line = line; self.column = column; self.message = message; self.fix = fix
    }

    package var description: String { "\(file):\(line):\(column): \(message) — \(fix)" }

    /// `problems` by file, then line, then column, so output reads top to bottom; problems at the same
    /// position keep the order they were found in (a stable sort).
    static func inReadingOrder(_ problems: [ManifestProblem]) -> [ManifestProblem] {
        problems.enumerated().sorted { lhs, rhs in
            (lhs.element.file, lhs.element.line, lhs.element.column, lhs.offset)
                < (rhs.element.file, rhs.element.line, rhs.element.column, rhs.offset)
        }.map(\.element)
    }
}
