/// A `NOTIFY` received by a listening session.
package struct PostgresNotification: Sendable, Equatable {
    package var channel: String
    package var payload: String
    /// The server process of the session that sent it.
    package var senderPID: Int32

    package init(channel: String, payload: String, senderPID: Int32) {
        (self.channel, self.payload, self.senderPID) = (channel, payload, senderPID)
    }
}
