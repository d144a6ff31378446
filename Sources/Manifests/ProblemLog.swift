/// Collects problems while the manifests are read and checked, so all of them are reported at once.
struct ProblemLog {
    private(set) var problems: [ManifestProblem] = []

    var isEmpty: Bool { problems.isEmpty }

    mutating func report(_ position: ManifestPosition, _ message: String, fix: String) {
        problems.append(.init(file: position.file, line: position.line, column: position.column, message: message, fix: fix))
    }
}
