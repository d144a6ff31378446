import Core
import Foundation

/// The time of the real peers the tests talk to — moto, a `soc2bot` child process, the file system — which
/// stamp what they keep with this machine's wall clock (an access key's creation, CloudTrail's event history, a
/// request signature's window, an STS session's expiry, a scan file's modification time). A test that compares against such stamps reads the time
/// here: with `Tests/SocketsTests`, the only place in Tests that reads the wall clock or waits on it
/// (ArchitectureTests checks it). Everything in process takes a `TestClock` instead.
package enum PeerTime {
    /// The peers' time now.
    package static func now() -> Date { Date() }

    /// A clock on the peers' time, for a client that signs requests to a real peer and waits out its real
    /// throttling (a source reading moto).
    package static var clock: any BotClock { SystemClock() }
}

/// Waits until `condition` holds, polling every 10 ms; false if it never did within `timeout` seconds of real time.
///
/// Only for what happens in another thread or process with no in-process event to wait on: a real socket on
/// loopback (Socket Mode's WebSocket, the inbound server), a `soc2bot` child process, a real peer. In-process work
/// is waited on as an event instead — `TestClock.sleepers`, `SlackTestBed.settled()`, a `Doorbell`, an
/// `AsyncStream` the fake yields to — and ArchitectureTests keeps `eventually` to the files that drive real sockets
/// or processes.
package func eventually(timeout: TimeInterval = 10, _ condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
