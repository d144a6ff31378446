import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Clients that open connections to a loopback server, send a request head with a `Content-Length` and then
/// withhold the body: `holders` send nothing more, `tricklers` send one body byte per second. A connection the
/// server closes is opened again a second later, so the load stays in place for as long as it runs.
///
/// Connections come from `sourceAddresses` (other loopback addresses, round robin), as from several machines.
/// One thread drives every socket with `poll`; `stop()` closes them all and returns what the server did to them.
/// Loopback only; bounded by `stop()` and by its own `maxSeconds`.
final class SlowBodyClients: @unchecked Sendable {
    /// What the server did to the slow connections.
    struct Outcome: Sendable {
        /// Connections opened (first ones and reopenings).
        var opened = 0
        /// Connections that could not be opened (refused, reset, no address).
        var failedToOpen = 0
        /// Connections the server closed, by the status it answered first (0: closed without a response).
        var closedWithStatus: [Int: Int] = [:]
    }

    private struct Slot {
        var fd: Int32 = -1
        var trickles: Bool
        var source: String
        /// When to reopen a closed connection, or to send the next trickled byte (seconds since start).
        var due: Double = 0
        var response: [UInt8] = []
    }

    private let port: Int
    private let head: String
    private let maxSeconds: Double
    private let lock = NSLock()
    private var running = true
    private var allOpen = false
    private var outcome = Outcome()
    private var slots: [Slot]
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - path: the request target; `headers` are sent as they are (one `Name: value` a line).
    ///   - contentLength: the body length declared and never sent in full.
    init(port: Int, path: String, headers: [String], contentLength: Int, holders: Int, tricklers: Int,
         sourceAddresses: [String], maxSeconds: Double = 120) {
        self.port = port
        self.maxSeconds = maxSeconds
        head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n" + headers.map { $0 + "\r\n" }.joined()
            + "Content-Length: \(contentLength)\r\n\r\n"
        let total = holders + tricklers
        slots = (0..<total).map { index in
            Slot(trickles: index >= holders, source: sourceAddresses[index % sourceAddresses.count])
        }
    }

    /// Starts the thread; returns once every connection has been opened and has sent its head.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "bench-slow-clients"
        thread.start()
        while true {
            lock.lock()
            let ready = allOpen || !running
            lock.unlock()
            if ready { return }
            usleep(10_000)
        }
    }

    /// Closes every connection and returns what the server did to them.
    func stop() -> Outcome {
        lock.lock()
        running = false
        lock.unlock()
        finished.wait()
        lock.lock()
        defer { lock.unlock() }
        return outcome
    }

    private func run() {
        let start = ContinuousClock.now
        func now() -> Double { seconds(ContinuousClock.now - start) }
        for index in slots.indices { open(index, at: 0) }
        lock.lock()
        allOpen = true
        lock.unlock()

        while true {
            lock.lock()
            let keepGoing = running && now() < maxSeconds
            lock.unlock()
            guard keepGoing else { break }

            var pollFDs = slots.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            _ = poll(&pollFDs, nfds_t(pollFDs.count), 50)
            let t = now()
            for index in slots.indices {
                if slots[index].fd < 0 {
                    if t >= slots[index].due { open(index, at: t) }
                    continue
                }
                if pollFDs[index].revents != 0 { read(index, at: t) }
                if slots[index].fd >= 0, slots[index].trickles, t >= slots[index].due {
                    var byte: UInt8 = 97
                    if send(slots[index].fd, &byte, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) != 1 {
                        closed(index, at: t)
                    } else {
                        slots[index].due = t + 1
                    }
                }
            }
        }
        for index in slots.indices where slots[index].fd >= 0 { close(slots[index].fd) }
        finished.signal()
    }

    /// Opens slot `index` from its source address and sends the head; on failure, tries again a second later.
    private func open(_ index: Int, at t: Double) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(slots[index].source)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &local) { localPointer in
            withUnsafePointer(to: &remote) { remotePointer in
                localPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { l in
                    remotePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { r in
                        bind(fd, l, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                            && connect(fd, r, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                    }
                }
            }
        }
        let bytes = Array(head.utf8)
        guard connected, send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            close(fd)
            lock.lock()
            outcome.failedToOpen += 1
            lock.unlock()
            slots[index].due = t + 1
            return
        }
        slots[index].fd = fd
        slots[index].response = []
        slots[index].due = t + 1
        lock.lock()
        outcome.opened += 1
        lock.unlock()
    }

    /// Reads what the server sent; an end of stream or an error closes the slot.
    private func read(_ index: Int, at t: Double) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(slots[index].fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
        if count > 0 {
            slots[index].response.append(contentsOf: chunk[0..<count])
            return
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
        closed(index, at: t)
    }

    private func closed(_ index: Int, at t: Double) {
        let text = String(decoding: slots[index].response.prefix(32), as: UTF8.self)
        let parts = text.split(separator: " ")
        let status = parts.count >= 2 && text.hasPrefix("HTTP/") ? Int(parts[1]) ?? 0 : 0
        close(slots[index].fd)
        slots[index].fd = -1
        slots[index].due = t + 1
        lock.lock()
        outcome.closedWithStatus[status, default: 0] += 1
        lock.unlock()
    }
}
