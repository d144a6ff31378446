import Core
import Foundation
import HTTP

/// The few Slack Web API methods the bot uses (chat.postMessage, chat.update, conversations.open, the file upload), as JSON POSTs
/// with the bot token. Every answer's `ok` is checked; rate limits become `DeliveryError.retryAfter`, errors that
/// retrying cannot fix become `DeliveryError.permanent`, the rest `SlackAPIError` (retried with backoff).
package struct SlackWebAPI: Sendable {
    /// `https://slack.com/api/` in production; configurable for tests and proxies.
    package let baseURL: URL
    let token: String
    let transport: any HTTPTransport

    package init(baseURL: URL = URL(string: "https://slack.com/api/")!, token: String, transport: any HTTPTransport) {
        self.baseURL = baseURL; self.token = token; self.transport = transport
    }

    /// Slack errors that no retry fixes (docs.slack.dev, each method's Errors table).
    static let permanentErrors: Set<String> = [
        "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed", "account_inactive",
        "token_revoked", "token_expired", "missing_scope", "no_permission", "msg_too_long", "msg_blocks_too_long", "invalid_blocks",
        "invalid_blocks_format", "invalid_attachments", "too_many_attachments",
        "no_text", "user_not_found", "users_not_found", "cannot_dm_bot", "message_not_found", "cant_update_message",
        "edit_window_closed", "restricted_action", "invalid_arguments",
        "file_uploads_disabled", "file_upload_size_restricted", "file_type_not_allowed", "file_uploads_except_images_disabled",
    ]

    /// Errors by which Slack refuses a message's content (its blocks, attachments or text), not where it goes: the
    /// same message as plain text may be accepted.
    static let contentErrors: Set<String> = [
        "invalid_blocks", "invalid_blocks_format", "invalid_attachments", "too_many_attachments", "msg_too_long", "msg_blocks_too_long",
    ]

    /// The Slack error code when `error` is Slack refusing a message's content for good (`contentErrors`), else nil.
    package static func contentRefusal(_ error: any Error) -> String? {
        guard case DeliveryError.permanent(let reason) = error, let code = reason.split(separator: " ").last.map(String.init),
              contentErrors.contains(code) else { return nil }
        return code
    }

    /// Slack errors that mean the token itself is refused: no retry fixes them, a person must (a new token, a
    /// reinstalled app, a reactivated account).
    static let credentialErrors: Set<String> = [
        "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "not_allowed_token_type",
        "ekm_access_denied", "team_access_not_granted", "two_factor_setup_required", "missing_scope",
    ]

    /// The Slack error code when `error` says the token was refused (`invalid_auth`, `token_revoked`, …); else nil.
    package static func credentialError(_ error: any Error) -> String? {
        guard case .permanent(let reason)? = error as? DeliveryError else {
            if case .failed(_, let code)? = error as? SlackAPIError, credentialErrors.contains(code) { return code }
            return nil
        }
        guard let code = reason.split(separator: " ").last.map(String.init), credentialErrors.contains(code) else { return nil }
        return code
    }

    /// Calls `method` with a JSON body; returns the answer's JSON object when `ok` is true.
    package func call(_ method: String, _ body: JSONValue) async throws -> [String: Any] {
        try await send(method, contentType: "application/json; charset=utf-8", body: try JSONValue.encoded(body))
    }

    /// Calls `method` with form fields: the methods that read users (`users.info`, `users.lookupByEmail`) do not
    /// take JSON bodies.
    package func call(_ method: String, form: [(String, String)]) async throws -> [String: Any] {
        try await send(method, contentType: "application/x-www-form-urlencoded", body: Data(FormEncoding.encode(form).utf8))
    }

    /// Shares an image in `channel` the way Slack asks (files.getUploadURLExternal, the bytes POSTed to the URL it
    /// gives, files.completeUploadExternal), with `title` as the message introducing it; the file's id.
    package func shareImage(_ image: ChatImage, title: String, channel: String) async throws -> String {
        let started = try await call("files.getUploadURLExternal", form: [("filename", image.filename), ("length", "\(image.data.count)"),
                                                                         ("alt_txt", String(image.altText.prefix(1_000)))])
        guard let address = started["upload_url"] as? String, let url = URL(string: address), url.host != nil,
              let file = started["file_id"] as? String else {
            throw SlackAPIError.malformed(method: "files.getUploadURLExternal")
        }
        // The upload URL carries its own authorisation: the bot token is not sent there.
        let uploaded = try await transport.send(HTTPRequest(method: "POST", url: url, headers: [("Content-Type", image.mimeType)], body: image.data))
        if uploaded.status == 429 { throw DeliveryError.retryAfter(Backoff.serverWait(uploaded.header("retry-after").flatMap(Double.init) ?? 30)) }
        guard uploaded.status == 200 else { throw SlackAPIError.status(method: "file upload", uploaded.status) }
        _ = try await call("files.completeUploadExternal", .object([
            "files": .array([.object(["id": .string(file), "title": .string(title)])]),
            "channel_id": .string(channel), "initial_comment": .string(title),
        ]))
        return file
    }

    private func send(_ method: String, contentType: String, body: Data) async throws -> [String: Any] {
        let request = HTTPRequest(method: "POST", url: baseURL.appendingPathComponent(method),
                                  headers: [("Authorization", "Bearer \(token)"), ("Content-Type", contentType)],
                                  body: body)
        let response = try await transport.send(request)
        if response.status == 429 {
            throw DeliveryError.retryAfter(Backoff.serverWait(response.header("retry-after").flatMap(Double.init) ?? 30))
        }
        guard response.status == 200 else { throw SlackAPIError.status(method: method, response.status) }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any], let ok = object["ok"] as? Bool else {
            throw SlackAPIError.malformed(method: method)
        }
        if ok { return object }
        let error = object["error"] as? String ?? "unknown_error"
        if error == "ratelimited" || error == "message_limit_exceeded" || error == "rate_limited" {
            throw DeliveryError.retryAfter(Backoff.serverWait(response.header("retry-after").flatMap(Double.init) ?? 30))
        }
        if Self.permanentErrors.contains(error) { throw DeliveryError.permanent("Slack \(method): \(error)") }
        throw SlackAPIError.failed(method: method, error)
    }
}

/// `application/x-www-form-urlencoded` encoding (RFC 3986 unreserved characters kept, everything else escaped).
package enum FormEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    package static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }
    package static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}

/// Slack answers that may succeed on a retry. Descriptions never include the token or the payload.
package enum SlackAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    case status(method: String, Int)
    case malformed(method: String)
    case failed(method: String, String)

    package var description: String {
        switch self {
        case .status(let method, let status): "Slack \(method): HTTP \(status)"
        case .malformed(let method): "Slack \(method): the answer is not a Slack API response"
        case .failed(let method, let error): "Slack \(method): \(error)"
        }
    }
}
