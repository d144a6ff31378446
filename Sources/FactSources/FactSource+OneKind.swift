import Core

extension FactSource {
    /// The answer of a source that provides one kind: `read()` stored at `field` when `kind` is asked for (an empty
    /// ask reads nothing), and an error naming `system` for any other kind asked.
    func facts<Fact>(_ kinds: Set<FactKind>, only kind: FactKind, in field: WritableKeyPath<Facts, [Fact]?>, system: String,
                     read: () async throws -> [Fact]) async throws -> Facts {
        var facts = Facts()
        for asked in kinds {
            guard asked == kind else {
                throw SourceError.unavailable(source: id, reason: "\(system) provides \(kind.rawValue), not \(asked.rawValue)")
            }
            facts[keyPath: field] = try await read()
        }
        return facts
    }
}
