import Chat
import Core
import Crypto
import Foundation
import HTTP

/// The Synapse homeserver scripts/test starts for a run (PEERS.md), read from `SOC2BOT_TEST_SYNAPSE_URL`,
/// `SOC2BOT_TEST_SYNAPSE_SECRET` (its `registration_shared_secret`) and `SOC2BOT_TEST_SYNAPSE_SERVER` (its server
/// name, `localhost`). Every test of the run shares it, so users get localparts unique to the run.
///
/// Independent of the bot's own `MatrixClient` on purpose: a test's people speak the client-server API v3
/// (spec.matrix.org/latest/client-server-api) through their own code, so a mistake in the bot's client cannot
/// hide behind the same mistake here.
package struct SynapseTestServer: Sendable {
    /// The client API's base, e.g. `http://127.0.0.1:41755`.
    package let baseURL: URL
    /// The server name in user ids (`@alice:localhost`).
    package let serverName: String
    let sharedSecret: String
    let transport: any HTTPTransport

    /// Fails with what to do when scripts/test did not start Synapse.
    package init(environment: [String: String] = ProcessInfo.processInfo.environment,
                 transport: any HTTPTransport = URLSessionTransport(timeout: 60)) throws {
        func value(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else { throw SynapseTestError.notConfigured(variable: name) }
            return value
        }
        let url = try value("SOC2BOT_TEST_SYNAPSE_URL")
        guard let baseURL = URL(string: url), baseURL.host != nil else { throw SynapseTestError.notConfigured(variable: "SOC2BOT_TEST_SYNAPSE_URL") }
        self.baseURL = baseURL
        sharedSecret = try value("SOC2BOT_TEST_SYNAPSE_SECRET")
        serverName = try value("SOC2BOT_TEST_SYNAPSE_SERVER")
        self.transport = transport
    }

    /// `localpart` plus a random suffix (`alice-3f9a1c0d`), so tests sharing the server never collide.
    package static func uniqueLocalpart(_ localpart: String) -> String {
        "\(localpart)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Registers a new user whose localpart is `localpart` with a random suffix (see `uniqueLocalpart`).
    package func register(localpart: String, password: String = UUID().uuidString, admin: Bool = false) async throws -> MatrixTestUser {
        try await register(exactLocalpart: Self.uniqueLocalpart(localpart), password: password, admin: admin)
    }

    /// Registers exactly `@exactLocalpart:server` through the shared-secret admin API: `GET /_synapse/admin/v1/register`
    /// for a one-time nonce, then `POST` it with `mac` = hex HMAC-SHA1(shared secret,
    /// `nonce NUL username NUL password NUL admin|notadmin`). A taken name fails with `M_USER_IN_USE`.
    package func register(exactLocalpart localpart: String, password: String = UUID().uuidString, admin: Bool = false) async throws -> MatrixTestUser {
        let nonceAnswer = try await call("GET", path: "/_synapse/admin/v1/register")
        guard let nonce = nonceAnswer["nonce"]?.stringValue else { throw SynapseTestError.malformed(what: "register nonce") }
        let message = [nonce, localpart, password, admin ? "admin" : "notadmin"].joined(separator: "\0")
        let mac = Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(sharedSecret.utf8)))).hexString
        let answer = try await call("POST", path: "/_synapse/admin/v1/register", body: .object([
            "nonce": .string(nonce), "username": .string(localpart), "password": .string(password),
            "admin": .bool(admin), "mac": .string(mac),
        ]))
        guard let userID = answer["user_id"]?.stringValue, let token = answer["access_token"]?.stringValue else {
            throw SynapseTestError.malformed(what: "register")
        }
        return MatrixTestUser(server: self, userID: userID, localpart: localpart, password: password, accessToken: token,
                              deviceID: answer["device_id"]?.stringValue)
    }

    /// `@localpart:server`.
    package func userID(_ localpart: String) -> String { "@\(localpart):\(serverName)" }

    /// One JSON request. `path` is already percent-encoded (see `segment`); `query` items are encoded here.
    /// Throws `SynapseTestError.matrix` with the `errcode` on any status but 200.
    func call(_ method: String, path: String, query: [URLQueryItem] = [], body: JSONValue? = nil,
              accessToken: String? = nil) async throws -> InboundJSON {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)
        components?.percentEncodedPath = path
        if !query.isEmpty {
            components?.percentEncodedQuery = query.map { "\(Self.segment($0.name))=\(Self.segment($0.value ?? ""))" }.joined(separator: "&")
        }
        guard let url = components?.url else { throw SynapseTestError.malformed(what: "URL for \(path)") }
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let accessToken { headers.append(("Authorization", "Bearer \(accessToken)")) }
        var data = Data()
        if let body {
            headers.append(("Content-Type", "application/json"))
            data = try JSONValue.encoded(body)
        }
        let response = try await transport.send(HTTPRequest(method: method, url: url, headers: headers, body: data))
        let json = try? JSONDecoder().decode(InboundJSON.self, from: response.body)
        guard response.status == 200 else {
            throw SynapseTestError.matrix(method: method, path: path, status: response.status,
                                          errcode: json?["errcode"]?.stringValue, error: json?["error"]?.stringValue)
        }
        guard let json else { throw SynapseTestError.malformed(what: "\(method) \(path)") }
        return json
    }

    /// Percent-encodes one path segment or query component: everything but RFC 3986 unreserved characters, so
    /// `!room:localhost` → `%21room%3Alocalhost` and `$event` → `%24event`.
    package static func segment(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// A person driving a test: a registered Synapse user acting through the client-server API v3 with their own
/// access token. Room and event ids go into paths percent-encoded; each send gets a fresh UUID txnId.
package struct MatrixTestUser: Sendable {
    let server: SynapseTestServer
    /// `@localpart:localhost`.
    package let userID: String
    package let localpart: String
    /// For tests that sign in as this user (`m.login.password`), e.g. as the bot's own account.
    package let password: String
    package let accessToken: String
    package let deviceID: String?

    /// `POST /_matrix/client/v3/createRoom`: a private room named `name`, inviting `invite`; `isDirect` marks the
    /// invites as a DM (`trusted_private_chat`), as the bot's escalations do. Returns the room id.
    package func createRoom(name: String? = nil, invite: [String] = [], isDirect: Bool = false) async throws -> String {
        var body: [String: JSONValue] = [
            "preset": .string(isDirect ? "trusted_private_chat" : "private_chat"),
            "invite": .array(invite.map(JSONValue.string)),
        ]
        if let name { body["name"] = .string(name) }
        if isDirect { body["is_direct"] = .bool(true) }
        let answer = try await call("POST", "/_matrix/client/v3/createRoom", body: .object(body))
        guard let roomID = answer["room_id"]?.stringValue else { throw SynapseTestError.malformed(what: "createRoom") }
        return roomID
    }

    /// `POST /_matrix/client/v3/rooms/{roomId}/join` (the user must be invited to a private room).
    package func join(_ roomID: String) async throws {
        _ = try await call("POST", "/_matrix/client/v3/rooms/\(SynapseTestServer.segment(roomID))/join", body: .object([:]))
    }

    /// `POST /_matrix/client/v3/rooms/{roomId}/invite`.
    package func invite(_ userID: String, to roomID: String) async throws {
        _ = try await call("POST", "/_matrix/client/v3/rooms/\(SynapseTestServer.segment(roomID))/invite",
                           body: .object(["user_id": .string(userID)]))
    }

    /// `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}` with a fresh txnId. Returns the event id.
    @discardableResult
    package func send(_ content: JSONValue, type: String = "m.room.message", to roomID: String) async throws -> String {
        let path = "/_matrix/client/v3/rooms/\(SynapseTestServer.segment(roomID))/send/\(SynapseTestServer.segment(type))/\(UUID().uuidString)"
        guard let eventID = try await call("PUT", path, body: content)["event_id"]?.stringValue else { throw SynapseTestError.malformed(what: "send") }
        return eventID
    }

    /// An `m.text` message, as a person types it. `thread`: the root of the thread to post in (`m.thread`, with the
    /// reply fallback to `replyTo`, else to the root); `replyTo` alone: a rich reply (`m.in_reply_to`).
    @discardableResult
    package func sendText(_ text: String, to roomID: String, thread threadRoot: String? = nil, replyTo: String? = nil) async throws -> String {
        var content: [String: JSONValue] = ["msgtype": .string("m.text"), "body": .string(text)]
        if let threadRoot {
            content["m.relates_to"] = .object([
                "rel_type": .string("m.thread"), "event_id": .string(threadRoot),
                "is_falling_back": .bool(replyTo == nil),
                "m.in_reply_to": .object(["event_id": .string(replyTo ?? threadRoot)]),
            ])
        } else if let replyTo {
            content["m.relates_to"] = .object(["m.in_reply_to": .object(["event_id": .string(replyTo)])])
        }
        return try await send(.object(content), to: roomID)
    }

    /// An `m.reaction` annotating `eventID` with `key` (e.g. "✅"). Returns the reaction's event id; reacting twice
    /// with the same key fails with `M_DUPLICATE_ANNOTATION`.
    @discardableResult
    package func react(to eventID: String, key: String, in roomID: String) async throws -> String {
        try await send(.object(["m.relates_to": .object([
            "rel_type": .string("m.annotation"), "event_id": .string(eventID), "key": .string(key),
        ])]), type: "m.reaction", to: roomID)
    }

    /// `PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}`, e.g. to take a reaction back.
    @discardableResult
    package func redact(_ eventID: String, in roomID: String, reason: String? = nil) async throws -> String {
        let path = "/_matrix/client/v3/rooms/\(SynapseTestServer.segment(roomID))/redact/\(SynapseTestServer.segment(eventID))/\(UUID().uuidString)"
        let body: JSONValue = .object(reason.map { ["reason": .string($0)] } ?? [:])
        guard let redaction = try await call("PUT", path, body: body)["event_id"]?.stringValue else { throw SynapseTestError.malformed(what: "redact") }
        return redaction
    }

    /// The room's most recent `limit` events, newest first (`GET /rooms/{roomId}/messages?dir=b&limit=N`), state
    /// events (creation, membership) included.
    package func messages(in roomID: String, limit: Int = 50) async throws -> [MatrixTestEvent] {
        let answer = try await call("GET", "/_matrix/client/v3/rooms/\(SynapseTestServer.segment(roomID))/messages",
                                    query: [URLQueryItem(name: "dir", value: "b"), URLQueryItem(name: "limit", value: String(limit))])
        return try events(answer["chunk"], what: "messages")
    }

    /// One event: `GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}`.
    package func event(_ eventID: String, in roomID: String) async throws -> MatrixTestEvent {
        MatrixTestEvent(json: try await call("GET", "/_matrix/client/v3/rooms/\(SynapseTestServer.segment(roomID))/event/\(SynapseTestServer.segment(eventID))"))
    }

    /// Events relating to `eventID` (`GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}]`),
    /// newest first: `m.annotation` for reactions, `m.thread` for thread replies, `m.replace` for edits.
    package func relations(of eventID: String, in roomID: String, relType: String? = nil) async throws -> [MatrixTestEvent] {
        var path = "/_matrix/client/v1/rooms/\(SynapseTestServer.segment(roomID))/relations/\(SynapseTestServer.segment(eventID))"
        if let relType { path += "/\(SynapseTestServer.segment(relType))" }
        return try events(try await call("GET", path)["chunk"], what: "relations")
    }

    /// `GET /_matrix/client/v3/sync` (no filter): the whole response, `next_batch` included. `timeout` is how long the
    /// server may hold the request open for new events (0 = answer at once).
    package func sync(since: String? = nil, timeout: Duration = .zero) async throws -> InboundJSON {
        var query = [URLQueryItem(name: "timeout", value: String(Int(timeout / .milliseconds(1)))),
                     URLQueryItem(name: "set_presence", value: "offline")]
        if let since { query.append(URLQueryItem(name: "since", value: since)) }
        return try await call("GET", "/_matrix/client/v3/sync", query: query)
    }

    /// Global account data of `type` (e.g. `m.direct`), nil when never set.
    package func accountData(_ type: String) async throws -> InboundJSON? {
        do {
            return try await call("GET", accountDataPath(type))
        } catch SynapseTestError.matrix(_, _, 404, _, _) {
            return nil
        }
    }

    /// Replaces global account data of `type`.
    package func setAccountData(_ type: String, _ content: JSONValue) async throws {
        _ = try await call("PUT", accountDataPath(type), body: content)
    }

    private func accountDataPath(_ type: String) -> String {
        "/_matrix/client/v3/user/\(SynapseTestServer.segment(userID))/account_data/\(SynapseTestServer.segment(type))"
    }

    private func call(_ method: String, _ path: String, query: [URLQueryItem] = [], body: JSONValue? = nil) async throws -> InboundJSON {
        try await server.call(method, path: path, query: query, body: body, accessToken: accessToken)
    }

    private func events(_ chunk: InboundJSON?, what: String) throws -> [MatrixTestEvent] {
        guard case .array(let events) = chunk else { throw SynapseTestError.malformed(what: what) }
        return events.map(MatrixTestEvent.init(json:))
    }
}

/// A room event as the server returned it, with the fields tests look at most.
package struct MatrixTestEvent: Sendable, Equatable {
    /// The whole event.
    package let json: InboundJSON

    package init(json: InboundJSON) { self.json = json }

    package var eventID: String { json["event_id"]?.stringValue ?? "" }
    package var type: String { json["type"]?.stringValue ?? "" }
    package var sender: String { json["sender"]?.stringValue ?? "" }
    package var content: InboundJSON { json["content"] ?? .object([:]) }
    /// `content.msgtype` (`m.text`, `m.notice`), nil for other event types.
    package var msgtype: String? { content["msgtype"]?.stringValue }
    /// `content.body`.
    package var body: String? { content["body"]?.stringValue }
    /// `content.m.relates_to`: `rel_type`, `event_id`, `key` (reactions), `m.in_reply_to`.
    package var relatesTo: InboundJSON? { content["m.relates_to"] }
    /// `origin_server_ts`: when the homeserver stamped the event (its wall clock), nil when absent.
    package var originServerTS: Date? {
        if case .number(let milliseconds)? = json["origin_server_ts"] { Date(timeIntervalSince1970: milliseconds / 1000) } else { nil }
    }
}

/// What went wrong talking to the test Synapse. Descriptions carry no token or secret.
package enum SynapseTestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// scripts/test did not start Synapse (the tests were run some other way).
    case notConfigured(variable: String)
    /// A non-200 answer, with the Matrix error code and message when the body had them.
    case matrix(method: String, path: String, status: Int, errcode: String?, error: String?)
    /// A 200 answer without what the API promises.
    case malformed(what: String)

    /// The Matrix `errcode` (`M_USER_IN_USE`, `M_FORBIDDEN`, `M_LIMIT_EXCEEDED`…), if any.
    package var errcode: String? { if case .matrix(_, _, _, let errcode, _) = self { errcode } else { nil } }

    package var description: String {
        switch self {
        case .notConfigured(let variable):
            "\(variable) is not set: run the tests with scripts/test, which starts Synapse"
        case .matrix(let method, let path, let status, let errcode, let error):
            "\(method) \(path): HTTP \(status)" + (errcode.map { " \($0)" } ?? "") + (error.map { ": \($0)" } ?? "")
        case .malformed(let what):
            "Synapse answered \(what) without the expected fields"
        }
    }
}
