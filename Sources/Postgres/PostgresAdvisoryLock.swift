import Foundation

/// A session-level advisory lock (`pg_try_advisory_lock`) held on a session of its own, so it lasts exactly as
/// long as that session: when the holder's process dies or its session is ended, the server releases the lock and
/// another holder can take it. The holder learns that it lost the lock by `checkHeld()`, which asks the server.
///
/// `Sendable`: the session is used under a lock, one call at a time.
package final class PostgresAdvisoryLock: @unchecked Sendable {
    package let key: Int64
    let url: String
    private let settings: [String: String]
    private let idleLimit: TimeInterval?
    private let lock = NSLock()
    private var session: PostgresConnection?
    private var held = false

    /// `idleLimit`: the server ends the lock's session (`idle_session_timeout`), so releases the lock, when its holder
    /// has not used it for that long: a holder that stopped asking (a paused process, SIGSTOP; a hung one) loses the
    /// lock, where otherwise its open session would keep it for as long as the connection lasts. Nil: no limit.
    package init(url: String, settings: [String: String] = [:], key: Int64, idleLimit: TimeInterval? = nil) {
        (self.url, self.settings, self.key, self.idleLimit) = (url, settings, key, idleLimit)
    }

    /// Takes the lock if no other session holds it; true when this object holds it afterwards. Opens a new session
    /// when there is none or the last one ended. Never waits for another holder.
    package func tryAcquire() throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if held, try verifyHeld() { return true }
        let session = try liveSession()
        do {
            held = try session.query("SELECT pg_try_advisory_lock($1)", [.int(key)])[0].decode(Bool.self, at: 0)
        } catch let error as PostgresError where error.kind == .connectionLost {
            self.session = nil
            held = false
            throw error
        }
        return held
    }

    /// Whether this object still holds the lock, asked of the server (`pg_locks` for its own session): false once
    /// its session has ended (terminated, network lost, server restarted) — whoever relied on holding it must stop.
    package func checkHeld() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return (try? verifyHeld()) ?? false
    }

    /// Runs `body` on the lock's own session while this object holds the lock (asked of the server first), one call
    /// at a time with the others; nil when it does not hold it. What `body` does happens only while the lock is held:
    /// if the session ends meanwhile, its statements fail. (The leadership records its epoch this way.)
    package func whileHeld<T>(_ body: (PostgresConnection) throws -> T) throws -> T? {
        lock.lock()
        defer { lock.unlock() }
        guard try verifyHeld(), let session else { return nil }
        do {
            return try body(session)
        } catch let error as PostgresError where error.kind == .connectionLost {
            self.session = nil
            held = false
            throw error
        }
    }

    /// Releases the lock and closes the session.
    package func release() {
        lock.lock()
        defer { lock.unlock() }
        if held, let session, !session.isBroken {
            _ = try? session.query("SELECT pg_advisory_unlock($1)", [.int(key)])
        }
        held = false
        session = nil
    }

    /// The server process of the lock's session (nil without one), e.g. to report which replica leads.
    package var sessionPID: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return session?.backendPID
    }

    private func verifyHeld() throws -> Bool {
        guard held, let session, !session.isBroken else {
            held = false
            return false
        }
        do {
            // A bigint key is held as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
            held = try session.query("""
                SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                               AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2)
                """, [.int(Int64(UInt32(truncatingIfNeeded: key >> 32))), .int(Int64(UInt32(truncatingIfNeeded: key)))])[0].decode(Bool.self, at: 0)
        } catch {
            held = false
            self.session = nil
            return false
        }
        return held
    }

    private func liveSession() throws -> PostgresConnection {
        if let session, session.isIdleAndQuiet { return session }
        session = nil
        let made = try PostgresConnection(url: url, settings: settings)
        if let idleLimit {
            _ = try made.query("SELECT set_config('idle_session_timeout', $1, false)", [.text("\(max(1, Int(idleLimit * 1000)))")])
        }
        session = made
        return made
    }
}
