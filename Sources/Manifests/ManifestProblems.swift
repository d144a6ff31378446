/// Every problem found in a manifest directory; the loader never stops at the first.
package struct ManifestProblems: Error, Sendable, CustomStringConvertible {
    /// The problems, sorted by file, line and column.
    package var problems: [ManifestProblem]

    package init(problems: [ManifestProblem]) {
        self.problems = ManifestProblem.inReadingOrder(problems)
    }

    /// One problem per line, sorted by file, line and column.
    package var description: String {
        ManifestProblem.inReadingOrder(problems).map(\.description).joined(separator: "\n")
    }
}
