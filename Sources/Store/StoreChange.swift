/// One event of `StoreChanges.outboxChanges()`.
package enum StoreChange: Sendable, Equatable {
    /// The listening session is in place: what is queued from now on will be told.
    case listening
    /// A transaction that queued outbox messages committed (in any process, this one included).
    case outbox
}
