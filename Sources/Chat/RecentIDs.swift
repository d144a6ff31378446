/// The most recent ids (Slack envelope ids, Matrix event ids), for de-duplication with bounded memory.
package struct RecentIDs: Sendable {
    let capacity: Int
    private var set = Set<String>()
    private var order: [String] = []
    private var head = 0
    package init(capacity: Int) { self.capacity = capacity }

    /// True when `id` is among the recent ids.
    package func contains(_ id: String) -> Bool { set.contains(id) }

    /// True when `id` was not among the recent ids (it is now).
    package mutating func insert(_ id: String) -> Bool {
        guard !set.contains(id) else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            set.remove(order[head])
            order[head] = id
            head = (head + 1) % capacity
        }
        set.insert(id)
        return true
    }
}
