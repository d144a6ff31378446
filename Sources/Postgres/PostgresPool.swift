import Foundation

/// A bounded pool of sessions to one server. `withConnection` blocks until a session is free (up to the checkout
/// timeout), opening one when fewer than `size` exist; a session found dead — before it is handed out (its server
/// ended it while it was idle) or after a use that broke it — is closed and replaced by a new one on demand.
///
/// `Sendable`: the idle sessions and the count live under one `NSCondition`; a session itself is only ever used by
/// the thread that checked it out.
package final class PostgresPool: @unchecked Sendable {
    package let url: String
    package let settings: [String: String]
    package let size: Int
    package let checkoutTimeout: Duration
    /// Server settings each new session takes (`set_config`, for the session), e.g. a limit on idling in a transaction.
    package let sessionSettings: [String: String]
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    /// Sessions open or being opened: idle ones plus those checked out.
    private var open = 0
    private var closed = false

    /// `size` ≥ 1 sessions at most; nothing is opened until the first checkout.
    package init(url: String, settings: [String: String] = [:], size: Int, checkoutTimeout: Duration = .seconds(30),
                 sessionSettings: [String: String] = [:]) {
        precondition(size >= 1, "a pool holds at least one session")
        (self.url, self.settings, self.size, self.checkoutTimeout) = (url, settings, size, checkoutTimeout)
        self.sessionSettings = sessionSettings
    }

    /// Runs `body` with a session of its own, then takes the session back (or closes it when `body` left it broken
    /// or inside a transaction).
    package func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    /// Closes the idle sessions; sessions in use are closed when they come back. Later checkouts fail.
    package func close() {
        condition.lock()
        closed = true
        open -= idle.count
        idle.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// How many sessions are open (idle or checked out), for tests and metrics.
    package var openCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return open
    }

    private func checkOut() throws -> PostgresConnection {
        let deadline = Date().addingTimeInterval(Double(checkoutTimeout.components.seconds) + Double(checkoutTimeout.components.attoseconds) / 1e18)
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw PostgresError(.misuse, message: "the connection pool is closed")
            }
            if let connection = idle.popLast() {
                if connection.isIdleAndQuiet {
                    condition.unlock()
                    return connection
                }
                open -= 1          // dead while idle: dropped here, replaced below or by the next checkout
                continue
            }
            if open < size { break }
            if !condition.wait(until: deadline) {
                condition.unlock()
                throw PostgresError(.poolTimeout, message: "no PostgreSQL session became free within \(checkoutTimeout) (pool of \(size))")
            }
        }
        open += 1
        condition.unlock()
        do {
            let connection = try PostgresConnection(url: url, settings: settings)
            for (name, value) in sessionSettings.sorted(by: { $0.key < $1.key }) {
                _ = try connection.query("SELECT set_config($1, $2, false)", [.text(name), .text(value)])
            }
            return connection
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        let reusable = !connection.isBroken && !connection.isInTransaction
        condition.lock()
        if reusable && !closed {
            idle.append(connection)
        } else {
            open -= 1
        }
        condition.signal()
        condition.unlock()
    }
}
