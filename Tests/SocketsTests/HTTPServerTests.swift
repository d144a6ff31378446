import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Sockets

/// What the echo handler reports about the request it saw.
struct SeenRequest: Codable, Sendable {
    var method: String
    var path: String
    var query: String?
    var headers: [String: String]
    var body: String
}

/// Starts a server on an ephemeral loopback port, runs `body`, and always stops the server.
@discardableResult
func withServer<T>(_ configuration: HTTPServer.Configuration = .init(),
                   handler: @escaping @Sendable (HTTPServerRequest) async -> HTTPServerResponse = echo,
                   _ body: (HTTPServer) async throws -> T) async throws -> T {
    let server = HTTPServer(configuration: configuration, handler: handler)
    try server.start()
    defer { server.stop() }
    return try await body(server)
}

/// Answers 200 with the request as JSON.
@Sendable func echo(_ request: HTTPServerRequest) async -> HTTPServerResponse {
    let seen = SeenRequest(method: request.method, path: request.path, query: request.query,
                           headers: request.headers, body: String(decoding: request.body, as: UTF8.self))
    return (try? .json(200, encoding: seen)) ?? .text(500, "encoding failed")
}

/// One request through URLSession (libcurl); returns the status, headers and body.
func fetch(_ url: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil,
           session: URLSession = .shared) async throws -> (status: Int, headers: [AnyHashable: Any], body: Data) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    request.timeoutInterval = 30 // generous: TSan runs of the whole suite are slow
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await session.data(for: request)
    let http = response as! HTTPURLResponse
    return (http.statusCode, http.allHeaderFields, data)
}

@Suite("HTTPServer")
struct HTTPServerTests {
    @Test func getRoundTripCarriesPathAndReconstructedQuery() async throws {
        try await withServer { server in
            let result = try await fetch("http://127.0.0.1:\(server.port)/hooks/status?b=2&a=x%20y%26z")
            #expect(result.status == 200)
            let seen = try JSONDecoder().decode(SeenRequest.self, from: result.body)
            #expect(seen.method == "GET")
            #expect(seen.path == "/hooks/status")
            #expect(seen.query == "b=2&a=x%20y%26z")
            #expect(seen.headers["host"] == "127.0.0.1:\(server.port)")
            #expect(seen.body == "")
        }
    }

    @Test func postRoundTripCarriesBodyAndCapturedHeaders() async throws {
        let configuration = HTTPServer.Configuration(
            capturedHeaders: ["X-Slack-Signature", "x-slack-request-timestamp", "x-hub-signature-256"])
        try await withServer(configuration) { server in
            let body = "token=abc&text=%2Fsoc2+status&user_id=U123"
            let result = try await fetch("http://127.0.0.1:\(server.port)/slack/commands", method: "POST",
                                         headers: ["Content-Type": "application/x-www-form-urlencoded",
                                                   "X-Slack-Signature": "v0=deadbeef",
                                                   "X-Slack-Request-Timestamp": "1531420618",
                                                   "X-Not-Captured": "secret",
                                                   "Authorization": "Bearer t0k"],
                                         body: Data(body.utf8))
            #expect(result.status == 200)
            #expect((result.headers["Content-Type"] as? String) == "application/json")
            let seen = try JSONDecoder().decode(SeenRequest.self, from: result.body)
            #expect(seen.method == "POST")
            #expect(seen.body == body)
            #expect(seen.headers["x-slack-signature"] == "v0=deadbeef")
            #expect(seen.headers["x-slack-request-timestamp"] == "1531420618")
            #expect(seen.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(seen.headers["authorization"] == "Bearer t0k")
            #expect(seen.headers["content-length"] == "\(body.utf8.count)")
            #expect(seen.headers["x-not-captured"] == nil)
            #expect(seen.headers["x-hub-signature-256"] == nil)
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withServer { server in
            let connection = try RawConnection(port: server.port)
            let responses = try await offPool {
                try connection.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
                let first = try connection.readResponse()
                try connection.send("POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
                let second = try connection.readResponse()
                try connection.send("GET /three HTTP/1.1\r\nHost: x\r\n\r\n")
                let third = try connection.readResponse()
                return [first, second, third]
            }
            #expect(responses.map(\.status) == [200, 200, 200])
            let seen = try responses.map { try JSONDecoder().decode(SeenRequest.self, from: Data($0.body)) }
            #expect(seen.map(\.path) == ["/one", "/two", "/three"])
            #expect(seen[1].body == "hello")
            #expect(responses.allSatisfy { $0.headers["connection"] != "close" })
        }
    }

    @Test func postWithExplicitZeroContentLengthReachesTheHandler() async throws {
        try await withServer { server in
            let connection = try RawConnection(port: server.port)
            let response = try await offPool {
                try connection.send("POST /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(response.status == 200)
            #expect(try JSONDecoder().decode(SeenRequest.self, from: Data(response.body)).path == "/empty")
        }
    }

    @Test(arguments: [
        ("no content-length", "POST /x HTTP/1.1\r\nHost: x\r\n\r\nhello"),
        ("chunked", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("chunked with a length", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello"),
        ("duplicate content-length", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        ("invalid content-length", "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello"),
        ("negative content-length", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
    ])
    func badBodyFramingGets411AndCloses(_ name: String, _ request: String) async throws {
        let handled = Counter()
        try await withServer(handler: { request in
            handled.increment()
            return await echo(request)
        }) { server in
            let connection = try RawConnection(port: server.port)
            let (response, rest) = try await offPool {
                try connection.send(request)
                return (try connection.readResponse(), connection.readUntilClosed())
            }
            #expect(response.status == 411, "\(name)")
            #expect(response.headers["connection"] == "close", "\(name)")
            #expect(rest.closed, "\(name): the connection should close")
            #expect(handled.value == 0, "\(name): the handler must not run")
            #expect(try await fetch("http://127.0.0.1:\(server.port)/after").status == 200)
        }
    }

    @Test func oversizedBodyGets413BeforeItIsSent() async throws {
        try await withServer(.init(maxBodyBytes: 1024)) { server in
            let connection = try RawConnection(port: server.port)
            // Only the head is sent: the 413 must come without waiting for the 10 MB body.
            let (response, rest) = try await offPool {
                try connection.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
                return (try connection.readResponse(), connection.readUntilClosed())
            }
            #expect(response.status == 413)
            #expect(rest.closed)
        }
    }

    @Test func bodyAtTheLimitIsAccepted() async throws {
        try await withServer(.init(maxBodyBytes: 1024)) { server in
            let body = String(repeating: "a", count: 1024)
            let result = try await fetch("http://127.0.0.1:\(server.port)/limit", method: "POST",
                                         body: Data(body.utf8))
            #expect(result.status == 200)
            #expect(try JSONDecoder().decode(SeenRequest.self, from: result.body).body == body)
        }
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        try await withServer { server in
            let connection = try RawConnection(port: server.port)
            let (interim, final) = try await offPool {
                try connection.send("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
                let interim = try connection.readResponse()
                try connection.send("abc")
                return (interim, try connection.readResponse())
            }
            #expect(interim.status == 100)
            #expect(final.status == 200)
            #expect(try JSONDecoder().decode(SeenRequest.self, from: Data(final.body)).body == "abc")
        }
    }

    /// Requests lws must refuse without reaching the handler, by name (the bytes are built in `malformed(_:)`).
    static let malformedRequests = ["binary garbage", "unknown method", "header without colon", "relative uri",
                                    "oversized head", "http/2 preface", "truncated head"]

    static func malformed(_ name: String) -> [UInt8] {
        switch name {
        case "binary garbage": return [0, 1, 2, 3, 0xff, 0xfe, 13, 10, 13, 10]
        case "unknown method": return Array("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        case "header without colon": return Array("GET / HTTP/1.1\r\nHost x\r\nthis is not a header\r\n\r\n".utf8)
        case "relative uri": return Array("GET x/y HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        case "oversized head":
            return Array(("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 20000) + "\r\n\r\n").utf8)
        case "http/2 preface": return Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        default: return Array("GET /half HTTP/1.1\r\nHost: x\r\n".utf8) // never finished
        }
    }

    @Test(arguments: malformedRequests)
    func malformedRequestsAreRefusedAndTheServerKeepsServing(_ name: String) async throws {
        let handled = Counter()
        // requestTimeout bounds how long lws waits for a head that never completes.
        try await withServer(.init(requestTimeout: 1), handler: { request in
            handled.increment()
            return await echo(request)
        }) { server in
            let bytes = Self.malformed(name)
            let connection = try RawConnection(port: server.port, readTimeout: 8)
            let rest = try await offPool {
                try? connection.send(bytes)
                return connection.readUntilClosed()
            }
            let reply = String(decoding: rest.bytes, as: UTF8.self)
            #expect(rest.closed, "\(name): the connection should close; got \(reply.prefix(80))")
            // lws answers some of these itself (`HTTP/1.0 403`) and silently closes on others.
            let refusal = reply.range(of: #"^HTTP/1\.[01] 4\d\d "#, options: .regularExpression) != nil
            #expect(reply.isEmpty || refusal, "\(name): got \(reply.prefix(80))")
            #expect(handled.value == 0, "\(name): the handler must not run")
            #expect(try await fetch("http://127.0.0.1:\(server.port)/after").status == 200, "\(name)")
        }
    }

    @Test func pipelinedRequestsBehindABodyCloseTheConnectionWithoutDoubleDispatch() async throws {
        let handled = Counter()
        try await withServer(handler: { request in
            handled.increment()
            return await echo(request)
        }) { server in
            let connection = try RawConnection(port: server.port)
            let rest = try await offPool {
                try connection.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                                    + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nho")
                return connection.readUntilClosed()
            }
            #expect(rest.closed)
            #expect(handled.value <= 2)
            #expect(try await fetch("http://127.0.0.1:\(server.port)/after").status == 200)
        }
    }

    @Test func bodyThatStopsArrivingGets408AfterTheIdleTimeoutAndCloses() async throws {
        let handled = Counter()
        // requestTimeout is long: only the idle-body timeout can end this body in time.
        try await withServer(.init(requestTimeout: 10, bodyIdleTimeout: 0.5), handler: { request in
            handled.increment()
            return await echo(request)
        }) { server in
            let connection = try RawConnection(port: server.port, readTimeout: 8)
            // Given a head that declares 10 bytes and 3 of them, when nothing more comes, then 408 and a close.
            let (response, rest) = try await offPool {
                try connection.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
                return (try connection.readResponse(), connection.readUntilClosed())
            }
            #expect(response.status == 408)
            #expect(response.headers["connection"] == "close")
            #expect(rest.closed)
            #expect(handled.value == 0)
            #expect(try await fetch("http://127.0.0.1:\(server.port)/after").status == 200)
        }
    }

    @Test func bodyTrickledWithinTheIdleTimeoutIsCutOffAtTheRequestTimeout() async throws {
        let handled = Counter()
        try await withServer(.init(requestTimeout: 2, bodyIdleTimeout: 1), handler: { request in
            handled.increment()
            return await echo(request)
        }) { server in
            // Each read waits up to 0.3 s for the server's answer; when none comes, one more body byte goes out.
            let connection = try RawConnection(port: server.port, readTimeout: 0.3)
            let (response, trickled) = try await offPool { () -> (RawConnection.Response?, Int) in
                try connection.send("POST /trickle HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
                for sent in 0..<60 {
                    if let response = try? connection.readResponse() { return (response, sent) }
                    try connection.send("a")
                }
                return (nil, 60)
            }
            // Given a body that never pauses for the idle timeout, then it still ends with 408 once the whole body
            // is overdue (lws alone would wait as long as bytes keep coming).
            #expect(response?.status == 408, "no answer after \(trickled) trickled bytes")
            #expect(response?.headers["connection"] == "close")
            #expect(handled.value == 0)
        }
    }

    @Test func connectionsBeyondThePerPeerCapAreRefusedAndOtherPeersAreServed() async throws {
        // Loopback addresses play the peers here, so the cap applies to them too.
        let configuration = HTTPServer.Configuration(requestTimeout: 30, maxConnectionsPerPeer: 3, capsLoopbackPeers: true)
        try await withServer(configuration) { server in
            // Given three idle connections from 127.0.0.1 (lws waits for their heads)…
            var held = try (0..<3).map { _ in try RawConnection(port: server.port) }
            // …when a fourth comes from the same address, then it is refused at once with 503 and closed.
            let excess = try RawConnection(port: server.port, readTimeout: 8)
            let (refusal, rest) = try await offPool { (try excess.readResponse(), excess.readUntilClosed()) }
            #expect(refusal.status == 503)
            #expect(refusal.headers["connection"] == "close")
            #expect(rest.closed)

            // Another address is not affected, and the held connections still work.
            let other = try RawConnection(port: server.port, source: "127.0.0.2")
            let first = held[0]
            let (otherResponse, heldResponse) = try await offPool {
                try other.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
                try first.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
                return (try other.readResponse(), try first.readResponse())
            }
            #expect(otherResponse.status == 200)
            #expect(heldResponse.status == 200)

            // When one of the three closes, a new connection from 127.0.0.1 is admitted (once the server has seen
            // the close).
            held.removeLast()
            let admitted = await eventually {
                guard let connection = try? RawConnection(port: server.port, readTimeout: 8),
                      (try? connection.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")) != nil else { return false }
                return (try? connection.readResponse())?.status == 200
            }
            #expect(admitted)
            withExtendedLifetime(held) {}
        }
    }

    @Test func loopbackPeersAreNotCappedByDefault() async throws {
        // A reverse proxy on the same machine connects from loopback for every client it serves.
        try await withServer(.init(requestTimeout: 30, maxConnectionsPerPeer: 2)) { server in
            let held = try (0..<3).map { _ in try RawConnection(port: server.port) }
            let last = held[2]
            let response = try await offPool {
                try last.send("GET /third HTTP/1.1\r\nHost: x\r\n\r\n")
                return try last.readResponse()
            }
            #expect(response.status == 200)
            withExtendedLifetime(held) {}
        }
    }

    @Test func requestsArriveWholeAreServedWhileSlowBodiesHang() async throws {
        let handled = Counter()
        // Four slots for requests, two for bodies still arriving; slow clients never send theirs and no timeout
        // ends them during the test.
        let configuration = HTTPServer.Configuration(requestTimeout: 60, bodyIdleTimeout: 60, maxConcurrentRequests: 4,
                                                     maxPendingBodies: 2, maxConnectionsPerPeer: 0)
        try await withServer(configuration, handler: { request in
            handled.increment()
            return await echo(request)
        }) { server in
            // Given eight clients that sent a head with a Content-Length and no body (more than both shares)…
            let slow = try (0..<8).map { _ in try RawConnection(port: server.port, readTimeout: 20) }
            try await offPool {
                for connection in slow {
                    try connection.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
                }
            }
            // …when a request arrives whole, then it is answered while they hang.
            let result = try await fetch("http://127.0.0.1:\(server.port)/whole", method: "POST",
                                         body: Data("payload".utf8))
            #expect(result.status == 200)
            #expect(try JSONDecoder().decode(SeenRequest.self, from: result.body).body == "payload")
            #expect(handled.value == 1)
            // The body that waited longest made room for the newer ones: 408, closed.
            let oldest = slow[0]
            let (evicted, rest) = try await offPool { (try oldest.readResponse(), oldest.readUntilClosed()) }
            #expect(evicted.status == 408)
            #expect(rest.closed)
        }
    }

    @Test func handlerSlowerThanLwsDefaultTimeoutIsStillAnswered() async throws {
        // lws would drop the request after requestTimeout (1 s here, 5 s by default) if the server did not raise
        // the timeout while the handler runs.
        let configuration = HTTPServer.Configuration(handlerTimeout: 10, requestTimeout: 1)
        try await withServer(configuration, handler: { _ in
            try? await Task.sleep(for: .milliseconds(2500))
            return .text(200, "late but fine")
        }) { server in
            let result = try await fetch("http://127.0.0.1:\(server.port)/slow")
            #expect(result.status == 200)
            #expect(String(decoding: result.body, as: UTF8.self) == "late but fine")
        }
    }

    @Test func handlerPastItsTimeoutGets503AndIsCancelled() async throws {
        let cancelled = Counter()
        let configuration = HTTPServer.Configuration(handlerTimeout: 0.5)
        try await withServer(configuration, handler: { _ in
            // Wait until cancelled (bounded, so a broken server cannot hang the test run).
            try? await Task.sleep(for: .seconds(30))
            if Task.isCancelled { cancelled.increment() }
            return .text(200, "too late")
        }) { server in
            let result = try await fetch("http://127.0.0.1:\(server.port)/stuck")
            #expect(result.status == 503)
            #expect(await eventually { cancelled.value == 1 })
            // The connection stays usable for the next request.
            #expect(try await fetch("http://127.0.0.1:\(server.port)/stuck").status == 503)
        }
    }

    @Test func clientLeavingBeforeTheHandlerReturnsIsDroppedSafely() async throws {
        let started = Counter()
        let answered = Counter()
        let release = Gate()
        try await withServer(handler: { request in
            guard request.path == "/slow" else { return .text(200, "ok") }
            started.increment()
            await release.wait()
            answered.increment()
            return .text(200, String(repeating: "x", count: 200_000))
        }) { server in
            do {
                let connection = try RawConnection(port: server.port)
                try connection.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(await eventually { started.value == 1 })
            } // the client leaves here, before the handler answers
            // Given the client is gone, when the handler answers, then its response goes nowhere and the server
            // keeps serving (lws does not read a connection whose request is being handled, so it learns that
            // the client left only when the response is written).
            release.open()
            #expect(await eventually { answered.value == 1 })
            for _ in 0..<3 {
                #expect(try await fetch("http://127.0.0.1:\(server.port)/after").status == 200)
            }
        }
    }

    @Test func fiftyConcurrentRequestsAreAllAnswered() async throws {
        try await withServer(handler: { request in
            try? await Task.sleep(for: .milliseconds(50))
            return .text(200, request.path)
        }) { server in
            let session = URLSession(configuration: .ephemeral)
            let bodies = try await withThrowingTaskGroup(of: (Int, Int, String).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let result = try await fetch("http://127.0.0.1:\(server.port)/r/\(index)", session: session)
                        return (index, result.status, String(decoding: result.body, as: UTF8.self))
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2) }
            }
            #expect(bodies.count == 50)
            for index in 0..<50 {
                #expect(bodies[index]?.0 == 200)
                #expect(bodies[index]?.1 == "/r/\(index)")
            }
        }
    }

    @Test func largeResponseArrivesIntact() async throws {
        let payload = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try await withServer(handler: { _ in
            HTTPServerResponse(status: 200, headers: [("content-type", "application/octet-stream")], body: payload)
        }) { server in
            let result = try await fetch("http://127.0.0.1:\(server.port)/dump")
            #expect(result.status == 200)
            #expect(result.body == payload)
        }
    }

    @Test func headRequestGetsHeadersWithoutBody() async throws {
        try await withServer(handler: { _ in .text(200, "twelve bytes") }) { server in
            let connection = try RawConnection(port: server.port)
            let (head, get) = try await offPool {
                try connection.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
                let head = try connection.readResponseHeadOnly()
                try connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                return (head, try connection.readResponse())
            }
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == "12")
            #expect(get.text == "twelve bytes")
        }
    }

    @Test func responseHeadersAreWrittenAndSanitised() async throws {
        try await withServer(handler: { _ in
            HTTPServerResponse(status: 201, headers: [("X-Request-Id", "abc"), ("X-Evil", "a\r\nSet-Cookie: x=1")],
                               body: Data("made".utf8))
        }) { server in
            let connection = try RawConnection(port: server.port)
            let response = try await offPool {
                try connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(response.status == 201)
            #expect(response.headers["x-request-id"] == "abc")
            #expect(response.headers["x-evil"] == "aSet-Cookie: x=1")
            #expect(response.headers["set-cookie"] == nil)
            #expect(response.text == "made")
        }
    }

    @Test func stopIsIdempotentAndFreesThePort() async throws {
        let first = HTTPServer(configuration: .init(), handler: echo)
        try first.start()
        let port = first.port
        #expect(port > 0)
        #expect(try await fetch("http://127.0.0.1:\(port)/").status == 200)
        first.stop()
        first.stop()

        let second = HTTPServer(configuration: .init(port: port), handler: { _ in .text(200, "second") })
        try second.start()
        defer { second.stop() }
        #expect(second.port == port)
        let result = try await fetch("http://127.0.0.1:\(port)/", session: URLSession(configuration: .ephemeral))
        #expect(String(decoding: result.body, as: UTF8.self) == "second")
    }

    @Test func startingOnAPortInUseFailsClearly() async throws {
        try await withServer { server in
            let clash = HTTPServer(configuration: .init(port: server.port), handler: echo)
            #expect {
                try clash.start()
            } throws: { error in
                guard case SocketError.listenFailed(_, let port, let reason) = error else { return false }
                return port == server.port && reason.contains("in use")
            }
            clash.stop()
        }
    }

    @Test func startTwiceAndBadHostAreRefused() async throws {
        try await withServer { server in
            #expect(throws: SocketError.alreadyStarted) { try server.start() }
        }
        let named = HTTPServer(configuration: .init(host: "localhost"), handler: echo)
        #expect(throws: SocketError.self) { try named.start() }
    }
}

/// A thread-safe counter for observing handlers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// A one-shot gate handlers wait on until the test opens it.
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        await withCheckedContinuation { continuation in
            lock.lock()
            if isOpen {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }

    func open() {
        lock.lock()
        isOpen = true
        let pending = waiters
        waiters = []
        lock.unlock()
        for waiter in pending { waiter.resume() }
    }
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(within seconds: Double = 15, _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
