import Core
import Foundation
import HTTP

/// The Matrix client-server API v3 (spec.matrix.org/latest/client-server-api), the calls the bot makes, over the
/// project's HTTP transport with `Authorization: Bearer`. Room and event ids are percent-encoded in paths.
///
/// Errors: 429 `M_LIMIT_EXCEEDED` → `DeliveryError.retryAfter` (the `Retry-After` header, else `retry_after_ms`);
/// an unknown token or a too-large event → `DeliveryError.permanent`; `M_FORBIDDEN` → `MatrixAPIError.forbidden`
/// (for a send, usually "not in the room": `MatrixSurface` joins and sends again); anything else → `MatrixAPIError`
/// (retried with backoff by the dispatcher and the sync loop).
package struct MatrixClient: Sendable {
    package let homeserver: URL
    package let accessToken: String
    let transport: any HTTPTransport

    package init(homeserver: URL, accessToken: String, transport: any HTTPTransport) {
        self.homeserver = homeserver; self.accessToken = accessToken; self.transport = transport
    }

    /// Signs in with a password as `deviceID` (`m.login.password`, identifier `m.id.user`): the client, and the
    /// user id the server says the bot is.
    package static func login(homeserver: URL, user: String, password: String, deviceID: String,
                              transport: any HTTPTransport) async throws -> (client: MatrixClient, userID: String) {
        let anonymous = MatrixClient(homeserver: homeserver, accessToken: "", transport: transport)
        let body: JSONValue = .object([
            "type": .string("m.login.password"),
            "identifier": .object(["type": .string("m.id.user"), "user": .string(user)]),
            "password": .string(password), "device_id": .string(deviceID),
            "initial_device_display_name": .string("soc2bot"),
        ])
        let answer = try await anonymous.call("POST", ["login"], body: try JSONValue.encoded(body), authenticated: false, as: LoginAnswer.self)
        return (MatrixClient(homeserver: homeserver, accessToken: answer.accessToken, transport: transport), answer.userID)
    }

    /// Who the access token belongs to.
    package func whoami() async throws -> String {
        try await call("GET", ["account", "whoami"], as: WhoamiAnswer.self).userID
    }

    /// Uploads a sync filter; its id.
    package func createFilter(userID: String, filter: Data) async throws -> String {
        try await call("POST", ["user", userID, "filter"], body: filter, as: FilterAnswer.self).filterID
    }

    /// One `/sync`: waits up to `timeout` ms for news when `since` is given.
    package func sync(since: String?, filter: String?, timeout: Int) async throws -> MatrixSyncResponse {
        var query = [URLQueryItem(name: "timeout", value: "\(timeout)"), URLQueryItem(name: "set_presence", value: "offline")]
        if let since { query.append(URLQueryItem(name: "since", value: since)) }
        if let filter { query.append(URLQueryItem(name: "filter", value: filter)) }
        // The server holds the request up to `timeout` ms before answering an empty batch: the exchange is given
        // that and a margin, or a quiet room would read as a transport timeout every poll. A sync that is not held
        // (timeout 0: the first one, which may build a large initial state) keeps the transport's own timeout.
        return try await call("GET", ["sync"], query: query,
                              requestTimeout: timeout > 0 ? Double(timeout) / 1000 + Self.longPollMargin : nil, as: MatrixSyncResponse.self)
    }

    /// Seconds a long poll may take beyond the time the server holds it.
    package static let longPollMargin: TimeInterval = 15

    /// Sends an event; the same `txnID` on a retry returns the same event id and creates nothing new.
    package func send(room: String, type: String, txnID: String, content: JSONValue) async throws -> String {
        try await call("PUT", ["rooms", room, "send", type, txnID], body: try JSONValue.encoded(content), as: SendAnswer.self).eventID
    }

    /// Uploads media to the homeserver's content repository (`POST /_matrix/media/v3/upload`); its `mxc://` URI.
    package func upload(_ data: Data, contentType: String, filename: String) async throws -> String {
        let uri = try await call("POST", ["upload"], query: [URLQueryItem(name: "filename", value: filename)], body: data,
                                 api: "media/v3", contentType: contentType, as: UploadAnswer.self).contentURI
        guard uri.hasPrefix("mxc://") else { throw MatrixAPIError.malformed(what: "upload") }
        return uri
    }

    package func join(room: String) async throws {
        _ = try await call("POST", ["rooms", room, "join"], body: Data("{}".utf8), as: [String: IgnoredJSON].self)
    }

    /// A new private room with `user`, flagged as a direct chat.
    package func createDirectRoom(with user: String) async throws -> String {
        let body: JSONValue = .object(["preset": .string("trusted_private_chat"), "is_direct": .bool(true), "invite": .array([.string(user)])])
        return try await call("POST", ["createRoom"], body: try JSONValue.encoded(body), as: CreateRoomAnswer.self).roomID
    }

    /// The bot's account data of `type` (a JSON object, as other clients may have written it), or nil when it has none
    /// (`M_NOT_FOUND`).
    package func accountData(userID: String, type: String) async throws -> [String: InboundJSON]? {
        do { return try await call("GET", ["user", userID, "account_data", type], as: [String: InboundJSON].self) } catch MatrixAPIError.failed(404, _, _) {
            return nil
        }
    }

    package func setAccountData(userID: String, type: String, content: Data) async throws {
        _ = try await call("PUT", ["user", userID, "account_data", type], body: content, as: [String: IgnoredJSON].self)
    }

    /// One call; its answer, a JSON object decoded as `Answer` (`MatrixAPIError.malformed` when it is not one).
    /// `api` is the path under `/_matrix/`: the client-server API, or `media/v3` for uploads.
    package func call<Answer: Decodable>(_ method: String, _ path: [String], query: [URLQueryItem] = [], body: Data? = nil,
                                         authenticated: Bool = true, api: String = "client/v3", contentType: String = "application/json",
                                         requestTimeout: TimeInterval? = nil, as answer: Answer.Type) async throws -> Answer {
        var components = URLComponents(url: homeserver, resolvingAgainstBaseURL: false)!
        let base = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = base + "/_matrix/\(api)/" + path.map(FormEncoding.escape).joined(separator: "/")
        if !query.isEmpty {
            components.percentEncodedQuery = query.map { "\(FormEncoding.escape($0.name))=\(FormEncoding.escape($0.value ?? ""))" }.joined(separator: "&")
        }
        guard let url = components.url else { throw MatrixAPIError.malformed(what: path.first ?? "url") }
        var headers: [(name: String, value: String)] = []
        if authenticated { headers.append((name: "Authorization", value: "Bearer \(accessToken)")) }
        if body != nil { headers.append((name: "Content-Type", value: contentType)) }
        let what = path.first ?? ""
        let response = try await transport.send(HTTPRequest(method: method, url: url, headers: headers, body: body ?? Data(),
                                                            idempotent: method == "PUT" || method == "GET" ? true : nil, timeout: requestTimeout))
        if response.status == 200 {
            guard let decoded = try? JSONDecoder().decode(Answer.self, from: response.body) else { throw MatrixAPIError.malformed(what: what) }
            return decoded
        }
        let error = try? JSONDecoder().decode(ErrorAnswer.self, from: response.body)
        let errcode = error?.errcode ?? ""
        if response.status == 429 || errcode == "M_LIMIT_EXCEEDED" {
            let header = response.header("retry-after").flatMap(Double.init)
            let body = error?.retryAfterMS.map { $0 / 1000 }
            throw DeliveryError.retryAfter(Backoff.serverWait(header ?? body ?? 5))
        }
        if errcode == "M_FORBIDDEN" { throw MatrixAPIError.forbidden(what: what) }
        if ["M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_TOO_LARGE", "M_NOT_JSON", "M_BAD_JSON"].contains(errcode) {
            throw DeliveryError.permanent("Matrix \(what): \(errcode) (HTTP \(response.status))")
        }
        throw MatrixAPIError.failed(response.status, errcode: errcode, what: what)
    }
}

/// A Matrix answer that may succeed on a retry. Descriptions never include the token or a body.
package enum MatrixAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    case failed(Int, errcode: String, what: String)
    case malformed(what: String)
    /// `M_FORBIDDEN`: the server refuses the bot this (a send to a room it is not in, a join without an invite).
    case forbidden(what: String)

    package var description: String {
        switch self {
        case .forbidden(let what): "Matrix \(what): M_FORBIDDEN (HTTP 403)"
        case .failed(let status, let errcode, let what): "Matrix \(what): HTTP \(status)\(errcode.isEmpty ? "" : " \(errcode)")"
        case .malformed(let what): "Matrix \(what): the answer is not a client-server API response"
        }
    }
}
