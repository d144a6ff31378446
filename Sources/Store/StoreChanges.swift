/// What other processes sharing the database tell this one as it happens: on PostgreSQL every enqueue notifies
/// (`NOTIFY soc2bot_outbox`, delivered when its transaction commits), so each replica's dispatchers deliver a message
/// another replica queued at once rather than at their next poll. A protocol so Engine waits on it without knowing
/// the database.
package protocol StoreChanges: Sendable {
    /// Listens until the stream is dropped or its consumer stops: `.listening` once the listening session is in
    /// place (nothing notified from then on is missed), then `.outbox` for each notification that messages were
    /// queued. Ends with an error when the listening session is lost; listen again, and take that something was
    /// missed meanwhile.
    func outboxChanges() -> AsyncThrowingStream<StoreChange, any Error>
}
