import Core
import FactSources
import Synchronization

/// A source serving fixed facts that counts how often each kind is asked for; `failing` kinds throw.
package final class CountingSource: FactSource {
    package struct Down: Error, CustomStringConvertible { package var description: String { "HTTP 503 from the API" } }
    package let id: SourceID
    let served: Facts
    package let provides: Set<FactKind>
    let failing: Set<FactKind>
    private let asked = Mutex<[FactKind: Int]>([:])

    package init(_ id: SourceID, _ served: Facts, failing: Set<FactKind> = []) {
        self.id = id
        self.served = served
        self.failing = failing
        self.provides = Set(FactKind.allCases.filter { served.has($0) }).union(failing)
    }

    /// How many reads asked for `kind`.
    package func reads(_ kind: FactKind) -> Int { asked.withLock { $0[kind] ?? 0 } }
    package var totalReads: Int { asked.withLock { $0.values.reduce(0, +) } }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        asked.withLock { for kind in kinds { $0[kind, default: 0] += 1 } }
        if !kinds.isDisjoint(with: failing) { throw Down() }
        return served.selecting(kinds)
    }
}
