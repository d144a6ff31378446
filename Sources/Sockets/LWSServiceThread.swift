import CLibWebSockets
import Foundation

/// What a `LWSServiceThread` forwards libwebsockets callbacks to.
///
/// Every method is called on the service thread only, so an implementation may keep its per-connection state in
/// plain stored properties as long as nothing else touches them (that is the invariant each conformer documents).
protocol LWSCallbackHandler: AnyObject, Sendable {
    /// One lws protocol callback (all reasons except `EVENT_WAIT_CANCELLED`, which the thread handles itself).
    ///
    /// The per-session `user` pointer is deliberately not passed on: it is the per-session data only in some
    /// callbacks (the fd in `FILTER_NETWORK_CONNECTION`, nil in `EVENT_WAIT_CANCELLED`) and lws re-zeroes it per
    /// HTTP transaction, so handlers key their state by the `wsi` pointer and the ids they hand out instead.
    /// Returning non-zero asks lws to close `wsi`.
    func handleCallback(wsi: OpaquePointer, reason: lws_callback_reasons, input: UnsafeMutableRawPointer?,
                        length: Int) -> Int32

    /// The context has been destroyed (every connection's close callbacks have run); the thread is about to exit.
    func serviceDidStop()
}

/// The one thread that owns a libwebsockets context and loops on `lws_service`, shared by `HTTPServer` and
/// `WebSocketClient`.
///
/// lws is single-threaded (`LWS_MAX_SMP 1`): only this thread may call into the context or any `wsi`, with one
/// exception, `lws_cancel_service`, which wakes the loop from any thread. Other threads therefore hand work over
/// with `perform(_:)`: the job goes into an `NSLock`-guarded queue, `lws_cancel_service` wakes the loop, and the
/// queue is drained on `LWS_CALLBACK_EVENT_WAIT_CANCELLED` and again whenever `lws_service` returns (lws delivers
/// that callback only through a vhost's protocols, so a context without vhosts would otherwise never drain).
///
/// Invariants of this `@unchecked Sendable` bridge:
/// - `context`, `jobs`, `state` and `threadID` are read and written only under `lock`.
/// - `lws_cancel_service` is called only under `lock` and only while `context` is non-nil; the service thread sets
///   `context` to nil under the same lock before `lws_context_destroy`, so no other thread can touch a context
///   being destroyed.
/// - `handler` is written before the thread starts and cleared by the service thread as its last act; it is read
///   only on the service thread. `protocols`, `arena` and `ownContext` are the service thread's alone.
/// - Jobs run on the service thread, in submission order. A job submitted after `stop()` (or after the context is
///   gone) is dropped without running, so a job must never be the only owner of something that has to complete
///   (a continuation, say): keep such things in the handler's state.
///
/// Lifetime: while the thread runs it retains this object and the handler (a handler that owns its service thread
/// forms a cycle that `stop()` breaks when the thread exits). A started thread runs until `stop()` or until the
/// handler stops it from a callback.
final class LWSServiceThread: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private enum State { case idle, running, stopping, stopped }

    private let name: String
    private let lock = NSLock()
    private let exited = NSCondition()
    private var hasExited = false
    private var context: OpaquePointer?
    private var jobs: [Job] = []
    private var state = State.idle
    private var threadID: pthread_t?
    private var handler: (any LWSCallbackHandler)?
    // Service thread only: what the context borrows, freed after it is destroyed.
    private var protocols: UnsafeMutablePointer<lws_protocols>?
    private var arena: CStringArena?
    private var ownContext: OpaquePointer?

    /// - Parameter name: the thread's name, as shown by debuggers and `top -H`.
    init(name: String) {
        self.name = name
    }

    /// Starts the thread, which creates the context on itself.
    ///
    /// - Parameters:
    ///   - protocolName: the name of the single lws protocol (HTTP and WebSocket callbacks alike go to it).
    ///   - rxBufferSize: the protocol's `rx_buffer_size` (0: lws' default); WebSocket payloads larger than this
    ///     arrive in several receive callbacks.
    ///   - handler: receives every callback; retained until the thread exits.
    ///   - configure: fills in the creation info (port, interface, options, TLS); runs on the service thread.
    ///     `protocols` and `user` are set by the thread. Strings must come from the arena, which outlives the
    ///     context.
    ///   - started: runs on the service thread right after `lws_create_context`, with the context or nil if it
    ///     could not be created (the thread then exits). It may call lws on the context, e.g. start a connection.
    func start(protocolName: String, rxBufferSize: Int, handler: any LWSCallbackHandler,
               configure: @escaping @Sendable (inout lws_context_creation_info, CStringArena) -> Void,
               started: @escaping @Sendable (OpaquePointer?) -> Void) {
        _ = LWSLog.setUp
        lock.lock()
        precondition(state == .idle, "LWSServiceThread \(name) started twice")
        state = .running
        self.handler = handler
        lock.unlock()

        let thread = Thread { [self] in
            run(protocolName: protocolName, rxBufferSize: rxBufferSize, configure: configure, started: started)
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Queues `job` to run on the service thread and wakes the loop. Returns false (and drops the job) once the
    /// thread is stopping or gone. Callable from any thread, the service thread included.
    @discardableResult
    func perform(_ job: @escaping Job) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard state == .idle || state == .running else { return false }
        jobs.append(job)
        if let context { lws_cancel_service(context) }
        return true
    }

    /// Asks the loop to end; the thread then destroys the context (closing every connection and the listener),
    /// calls `serviceDidStop()` and exits. Idempotent.
    ///
    /// - Parameter waiting: block until the thread has exited. Ignored when called on the service thread itself
    ///   (the loop ends once the current callback returns).
    func stop(waiting: Bool) {
        lock.lock()
        switch state {
        case .idle:
            state = .stopped
            lock.unlock()
            markExited()
            return
        case .running:
            state = .stopping
        case .stopping, .stopped:
            break
        }
        if let context { lws_cancel_service(context) }
        let onServiceThread = threadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        lock.unlock()
        if waiting && !onServiceThread { waitUntilExited() }
    }

    /// Blocks until the thread has exited (immediately if it never started or already exited).
    func waitUntilExited() {
        exited.lock()
        while !hasExited { exited.wait() }
        exited.unlock()
    }

    // MARK: - On the service thread

    /// Adds a vhost to the running context (a client vhost with its own CA file, say), with the thread's
    /// protocols; its strings come from the thread's arena. Service thread only. Returns nil on failure.
    func createVhost(configure: (inout lws_context_creation_info, CStringArena) -> Void) -> OpaquePointer? {
        guard let ownContext, let protocols, let arena else { return nil }
        var info = lws_context_creation_info()
        configure(&info, arena)
        info.protocols = UnsafePointer(protocols)
        return lws_create_vhost(ownContext, &info)
    }

    /// Called from the global lws callback for every reason.
    fileprivate func dispatch(wsi: OpaquePointer, reason: lws_callback_reasons, input: UnsafeMutableRawPointer?,
                              length: Int) -> Int32 {
        if reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED {
            drainJobs()
            return 0
        }
        return handler?.handleCallback(wsi: wsi, reason: reason, input: input, length: length) ?? 0
    }

    private func drainJobs() {
        lock.lock()
        let pending = jobs
        jobs.removeAll()
        lock.unlock()
        for job in pending { job() }
    }

    private func run(protocolName: String, rxBufferSize: Int,
                     configure: (inout lws_context_creation_info, CStringArena) -> Void,
                     started: (OpaquePointer?) -> Void) {
        lock.lock()
        threadID = pthread_self()
        lock.unlock()

        let arena = CStringArena()
        self.arena = arena
        // The protocols array, with its zeroed terminator, must outlive the context.
        let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 2)
        self.protocols = protocols
        protocols.initialize(repeating: lws_protocols(), count: 2)
        protocols[0].name = arena.copy(protocolName)
        protocols[0].callback = soc2botLWSCallback
        protocols[0].rx_buffer_size = rxBufferSize

        var info = lws_context_creation_info()
        configure(&info, arena)
        info.protocols = UnsafePointer(protocols)
        info.user = Unmanaged.passUnretained(self).toOpaque()

        let created = lws_create_context(&info)
        ownContext = created
        lock.lock()
        context = created
        lock.unlock()
        started(created)

        if let created {
            drainJobs()
            while true {
                lock.lock()
                let stopping = state != .running
                lock.unlock()
                if stopping || lws_service(created, 0) < 0 { break }
                drainJobs() // see the type's comment: EVENT_WAIT_CANCELLED needs a vhost
            }
            lock.lock()
            context = nil
            state = .stopped
            jobs.removeAll()
            lock.unlock()
            lws_context_destroy(created)
        } else {
            lock.lock()
            state = .stopped
            lock.unlock()
            // Jobs queued before the context failed still run, once: they find no context and report it (a
            // client's connect fails with the reason instead of waiting forever). No new job is accepted now.
            drainJobs()
        }

        ownContext = nil
        handler?.serviceDidStop()
        handler = nil
        self.protocols = nil
        protocols.deinitialize(count: 2)
        protocols.deallocate()
        self.arena = nil
        markExited()
    }

    private func markExited() {
        exited.lock()
        hasExited = true
        exited.broadcast()
        exited.unlock()
    }
}

/// The lws protocol callback for every context this module creates. A plain function, because a stored closure
/// cannot become a C function pointer; it finds its `LWSServiceThread` through the context's user pointer.
private func soc2botLWSCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons,
                                _ user: UnsafeMutableRawPointer?, _ input: UnsafeMutableRawPointer?,
                                _ length: Int) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else { return 0 }
    let thread = Unmanaged<LWSServiceThread>.fromOpaque(owner).takeUnretainedValue()
    return thread.dispatch(wsi: wsi, reason: reason, input: input, length: length)
}
