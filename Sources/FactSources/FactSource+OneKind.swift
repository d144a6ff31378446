import Core

extension FactSource {
    /// The answer of a source that provides one kind: `read()` stored at `field` when `kind` is asked for (an empty
    /// ask reads nothing), and an error naming `system` for any other kind asked.
    func facts<Fact>(_ kinds: Set<FactKind>, only kind: FactKind, in field: WritableKeyPath<Facts, [Fact]?>, system: String,
                     read: () async throws -> [Fact]) async throws -> Facts {
        try await facts(kinds, only: kind, in: field, system: system, readSkipping: { (try await read(), []) })
    }

    /// The same, for a source that may skip records it cannot read (a CSV's bad rows): what it skipped becomes
    /// `Facts.problems`, reported beside the rest.
    func facts<Fact>(_ kinds: Set<FactKind>, only kind: FactKind, in field: WritableKeyPath<Facts, [Fact]?>, system: String,
                     readSkipping read: () async throws -> (items: [Fact], problems: [String])) async throws -> Facts {
        var facts = Facts()
        for asked in kinds {
            guard asked == kind else {
                throw SourceError.unavailable(source: id, reason: "\(system) provides \(kind.rawValue), not \(asked.rawValue)")
            }
            let read = try await read()
            facts[keyPath: field] = read.items
            facts.problems = read.problems
        }
        return facts
    }
}
