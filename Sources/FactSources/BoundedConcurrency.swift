/// Runs `transform` on every element with at most `limit` calls in flight, keeping the input order. The first
/// error cancels the rest and is thrown. Sources use it for per-item API calls (a user's MFA devices, a bucket's
/// encryption), so a run costs about `items / limit` round trips of wall time instead of `items`.
package func boundedMap<T: Sendable, R: Sendable>(_ items: [T], limit: Int, _ transform: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
    var results = [R?](repeating: nil, count: items.count)
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var next = 0
        func startNext() {
            guard next < items.count else { return }
            let index = next
            next += 1
            group.addTask { (index, try await transform(items[index])) }
        }
        for _ in 0..<max(1, limit) { startNext() }
        while let (index, result) = try await group.next() {
            results[index] = result
            startNext()
        }
    }
    return results.map { $0! }
}
