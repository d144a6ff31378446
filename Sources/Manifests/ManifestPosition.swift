import Yams

/// Where a node is in the manifests: the file's path as given and the node's 1-based line and column.
struct ManifestPosition: Sendable, Equatable {
    var file: String
    var line: Int
    var column: Int

    /// The start of a file, for problems that concern the file (or the directory) as a whole.
    static func start(of file: String) -> ManifestPosition { .init(file: file, line: 1, column: 1) }

    /// `file:line`, used when one problem mentions another place ("first defined at people.yaml:3").
    var shortDescription: String { "\(file):\(line)" }
}

/// A value read from the manifests together with the position of the node it came from.
struct Located<Value> {
    var value: Value
    var position: ManifestPosition
}

extension Located: Sendable where Value: Sendable {}
