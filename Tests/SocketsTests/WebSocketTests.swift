import Foundation
import Testing
@testable import Sockets

/// A server whose WebSocket endpoint `/ws` answers every text message `echo X` with `X`, and its recorded events.
func withEchoServer<T>(_ configuration: HTTPServer.Configuration = .init(webSocketPaths: ["/ws"]),
                       _ body: (HTTPServer, EventRecorder<WebSocketServerEvent>) async throws -> T) async throws -> T {
    try await withServer(configuration) { server in
        let events = EventRecorder(server.webSocketEvents) { [server] event in
            if case .text(let id, let text) = event, text.hasPrefix("echo ") {
                server.send(String(text.dropFirst(5)), to: id)
            }
        }
        return try await body(server, events)
    }
}

/// Connects a client to `path` on the server.
func connectClient(_ server: HTTPServer, _ pathAndQuery: String = "/ws",
                   configuration: WebSocketClient.Configuration = .init()) async throws
    -> (WebSocketClient, EventRecorder<WebSocketEvent>) {
    let client = WebSocketClient(url: URL(string: "ws://127.0.0.1:\(server.port)\(pathAndQuery)")!,
                                 configuration: configuration)
    try await client.connect(timeout: 5)
    return (client, EventRecorder(client.messages))
}

/// The id of the server connection opened with `query`.
func openedID(_ events: EventRecorder<WebSocketServerEvent>, query: String?) async -> Int? {
    let event = await events.first { event in
        if case .opened(_, _, let seen) = event { return seen == query }
        return false
    }
    if case .opened(let id, _, _) = event { return id }
    return nil
}

@Suite("WebSocket")
struct WebSocketTests {
    @Test func textEchoesBetweenClientAndServer() async throws {
        try await withEchoServer { server, serverEvents in
            let (client, messages) = try await connectClient(server, "/ws?ticket=abc%2Fdef&app=A1")
            defer { client.close() }
            let opened = await serverEvents.first { if case .opened = $0 { return true }; return false }
            guard case .opened(_, let path, let query) = opened else {
                Issue.record("the server saw no connection")
                return
            }
            #expect(path == "/ws")
            #expect(query == "ticket=abc%2Fdef&app=A1")

            try await client.send("echo hello")
            try await client.send("echo wörld ✓")
            #expect(await messages.first { $0 == .text("hello") } != nil)
            #expect(await messages.first { $0 == .text("wörld ✓") } != nil)
            #expect(messages.all.prefix(2) == [.text("hello"), .text("wörld ✓")])
        }
    }

    @Test(arguments: [64 * 1024, 1 << 20])
    func largeMessagesArriveWholeBothWays(_ size: Int) async throws {
        try await withEchoServer { server, serverEvents in
            let (client, messages) = try await connectClient(server)
            defer { client.close() }
            let payload = String((0..<size).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
            try await client.send("echo " + payload)
            let received = await serverEvents.first { if case .text = $0 { return true }; return false }
            if case .text(_, let text) = received {
                #expect(text.utf8.count == size + 5)
            } else {
                Issue.record("the server saw no message")
            }
            let echoed = await messages.first(within: 10) { _ in true }
            #expect(echoed == .text(payload))
        }
    }

    @Test func fragmentedMessageFromARawClientIsReassembled() async throws {
        try await withEchoServer { server, serverEvents in
            let connection = try RawConnection(port: server.port)
            let upgrade = try await offPool { () -> RawConnection.Response in
                try connection.send("GET /ws?raw=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    + "Sec-WebSocket-Version: 13\r\n\r\n")
                let response = try connection.readResponse(bodyless: true)
                // A text frame without FIN, a continuation frame with FIN: one message, "echo fragmented".
                try connection.send(Self.maskedFrame(opcode: 0x1, final: false, payload: "echo frag"))
                try connection.send(Self.maskedFrame(opcode: 0x0, final: true, payload: "mented"))
                return response
            }
            #expect(upgrade.status == 101)
            let text = await serverEvents.first { if case .text = $0 { return true }; return false }
            guard case .text(_, let message) = text else {
                Issue.record("no message")
                return
            }
            #expect(message == "echo fragmented")
        }
    }

    /// A client-to-server frame (always masked) with a payload under 126 bytes.
    static func maskedFrame(opcode: UInt8, final: Bool, payload: String) -> [UInt8] {
        let bytes = Array(payload.utf8)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var frame: [UInt8] = [(final ? 0x80 : 0) | opcode, 0x80 | UInt8(bytes.count)]
        frame += mask
        frame += bytes.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame
    }

    @Test func serverCloseIsSeenByTheClientWithCodeAndReason() async throws {
        try await withEchoServer { server, serverEvents in
            let (client, messages) = try await connectClient(server, "/ws?n=1")
            let id = try #require(await openedID(serverEvents, query: "n=1"))
            server.close(id, code: 1001, reason: "going away")
            let closed = await messages.first { if case .closed = $0 { return true }; return false }
            #expect(closed == .closed(code: 1001, reason: "going away"))
            #expect(await messages.waitUntilFinished())
            #expect(await serverEvents.first { $0 == .closed(id: id) } != nil)
            await #expect(throws: SocketError.self) { try await client.send("too late") }
        }
    }

    @Test func clientCloseIsSeenByTheServer() async throws {
        try await withEchoServer { server, serverEvents in
            let (client, messages) = try await connectClient(server, "/ws?n=2")
            let id = try #require(await openedID(serverEvents, query: "n=2"))
            client.close()
            client.close()
            #expect(await serverEvents.first { $0 == .closed(id: id) } != nil)
            // The recorder reads the stream on its own task: wait for the event rather than snapshot what it has.
            let closed = await messages.first { if case .closed = $0 { return true }; return false }
            #expect(closed == .closed(code: nil, reason: "closed by this client"))
            #expect(messages.all.filter { if case .closed = $0 { return true }; return false }.count == 1)
            await #expect(throws: SocketError.notConnected(endpoint: client.endpoint)) { try await client.send("x") }
        }
    }

    @Test func twoClientsAtOnceAreIndependent() async throws {
        try await withEchoServer { server, serverEvents in
            let (first, firstMessages) = try await connectClient(server, "/ws?c=first")
            let (second, secondMessages) = try await connectClient(server, "/ws?c=second")
            defer { second.close() }
            try await first.send("echo to first")
            try await second.send("echo to second")
            #expect(await firstMessages.first { $0 == .text("to first") } != nil)
            #expect(await secondMessages.first { $0 == .text("to second") } != nil)
            #expect(!firstMessages.all.contains(.text("to second")))
            #expect(!secondMessages.all.contains(.text("to first")))

            // Closing the old one (as Socket Mode does after opening its replacement) leaves the other working.
            let firstID = try #require(await openedID(serverEvents, query: "c=first"))
            first.close()
            #expect(await serverEvents.first { $0 == .closed(id: firstID) } != nil)
            try await second.send("echo still here")
            #expect(await secondMessages.first { $0 == .text("still here") } != nil)
        }
    }

    @Test func connectingToAClosedPortFailsQuickly() async throws {
        let port = try closedPort()
        let client = WebSocketClient(url: URL(string: "ws://127.0.0.1:\(port)/ws")!)
        let messages = EventRecorder(client.messages)
        await #expect {
            try await client.connect(timeout: 5)
        } throws: { error in
            guard case SocketError.connectFailed(let endpoint, _) = error else { return false }
            return endpoint == "ws://127.0.0.1:\(port)/ws"
        }
        #expect(await messages.waitUntilFinished())
        await #expect(throws: SocketError.alreadyStarted) { try await client.connect() }
    }

    @Test func abruptDropIsSeenAsClosedWithoutCode() async throws {
        try await withEchoServer { server, serverEvents in
            let (client, messages) = try await connectClient(server, "/ws?n=drop")
            defer { client.close() }
            let id = try #require(await openedID(serverEvents, query: "n=drop"))
            server.drop(id)
            let closed = await messages.first { if case .closed = $0 { return true }; return false }
            guard case .closed(let code, _) = closed else {
                Issue.record("no close after an abrupt drop")
                return
            }
            #expect(code == nil)
        }
    }

    @Test func deadPeerIsDetectedByThePingWatchdog() async throws {
        try await withEchoServer { server, serverEvents in
            let watchdog = WebSocketClient.Configuration(pingInterval: 0.25, idleTimeout: 2)
            let (client, messages) = try await connectClient(server, "/ws?n=stall", configuration: watchdog)
            defer { client.close() }
            let id = try #require(await openedID(serverEvents, query: "n=stall"))

            // Given a live connection with no application traffic for longer than the idle timeout, pings keep
            // it open.
            try await Task.sleep(for: .seconds(3))
            #expect(!messages.all.contains { if case .closed = $0 { return true }; return false })
            try await client.send("echo alive")
            #expect(await messages.first(within: 10) { $0 == .text("alive") } != nil)

            // When the link goes half-open (nothing read, nothing answered, TCP still up), then the client
            // declares it dead.
            server.stall(id)
            let closed = await messages.first(within: 20) { if case .closed = $0 { return true }; return false }
            guard case .closed(let code, let reason) = closed else {
                Issue.record("a stalled peer was not detected")
                return
            }
            #expect(code == nil)
            #expect(reason.contains("dead"))
        }
    }

    @Test func upgradeOnAnotherPathIsRefused() async throws {
        try await withEchoServer { server, serverEvents in
            let client = WebSocketClient(url: URL(string: "ws://127.0.0.1:\(server.port)/elsewhere")!)
            await #expect {
                try await client.connect(timeout: 5)
            } throws: { error in
                guard case SocketError.handshakeRejected(_, let status, _) = error else { return false }
                return status == 404
            }
            let plain = try await fetch("http://127.0.0.1:\(server.port)/elsewhere")
            #expect(plain.status == 200)
        }
    }

    @Test func handshakeCarriesPathQueryAndHeadersIntact() async throws {
        let listener = try RawListener()
        let head = Task.detached {
            try await offPool { () -> String in
                let peer = listener.accept()
                defer { close(peer) }
                let head = RawListener.readHead(peer)
                RawListener.write(peer, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return head
            }
        }
        let url = URL(string: "ws://127.0.0.1:\(listener.port)/link/?ticket=a%2Bb%3D&debug_reconnects=true")!
        let client = WebSocketClient(url: url, headers: ["Authorization": "Bearer xapp-1"])
        await #expect {
            try await client.connect(timeout: 5)
        } throws: { error in
            guard case SocketError.handshakeRejected(let endpoint, let status, _) = error else { return false }
            return status == 403 && !endpoint.contains("ticket")
        }
        let request = try await head.value
        #expect(request.hasPrefix("GET /link/?ticket=a%2Bb%3D&debug_reconnects=true HTTP/1.1\r\n"))
        #expect(request.lowercased().contains("\r\nauthorization: bearer xapp-1\r\n"))
        #expect(request.lowercased().contains("\r\nhost: 127.0.0.1:\(listener.port)\r\n"))
        #expect(request.lowercased().contains("upgrade: websocket"))
    }

    @Test func silentServerTimesOut() async throws {
        let listener = try RawListener() // accepts (in the kernel backlog) but never answers
        let client = WebSocketClient(url: URL(string: "ws://127.0.0.1:\(listener.port)/ws")!)
        let started = ContinuousClock.now
        await #expect {
            try await client.connect(timeout: 1)
        } throws: { error in
            if case SocketError.timedOut = error { return true }
            if case SocketError.connectFailed = error { return true } // lws' own timer may win the race
            return false
        }
        // Not a timing assertion: only proof that connect gives up instead of hanging (TSan runs are slow).
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func closeWhileConnectingCancelsConnect() async throws {
        let listener = try RawListener()
        let client = WebSocketClient(url: URL(string: "ws://127.0.0.1:\(listener.port)/ws")!)
        let connecting = Task { try await client.connect(timeout: 10) }
        try await Task.sleep(for: .milliseconds(100))
        client.close()
        await #expect(throws: SocketError.cancelled(endpoint: client.endpoint)) { try await connecting.value }
    }

    @Test func unreadableCAFileIsRefusedBeforeConnecting() async throws {
        let client = WebSocketClient(url: URL(string: "wss://127.0.0.1:1/ws")!, caFile: "/nonexistent/ca.pem")
        await #expect {
            try await client.connect()
        } throws: { error in
            guard case SocketError.invalidConfiguration(let problem) = error else { return false }
            return problem.contains("/nonexistent/ca.pem")
        }
    }

    @Test func invalidURLIsRefused() async throws {
        let client = WebSocketClient(url: URL(string: "https://example.invalid/socket?ticket=secret")!)
        await #expect {
            try await client.connect()
        } throws: { error in
            guard case SocketError.invalidURL = error else { return false }
            return !String(describing: error).contains("secret")
        }
    }
}
