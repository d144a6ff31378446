import CLibWebSockets
import Foundation

/// Reads the parsed request line and headers of a `wsi` out of lws' header table. Service thread only, and only
/// while the headers are attached (`LWS_CALLBACK_HTTP`, `HTTP_CONFIRM_UPGRADE`).
enum LWSRequestReader {
    /// Method tokens lws fills with the URI, and their names.
    static let methods: [(token: lws_token_indexes, name: String)] = [
        (WSI_TOKEN_GET_URI, "GET"), (WSI_TOKEN_POST_URI, "POST"), (WSI_TOKEN_PUT_URI, "PUT"),
        (WSI_TOKEN_PATCH_URI, "PATCH"), (WSI_TOKEN_DELETE_URI, "DELETE"), (WSI_TOKEN_OPTIONS_URI, "OPTIONS"),
        (WSI_TOKEN_HEAD_URI, "HEAD"),
    ]

    /// Headers lws knows by token and that every request exposes, with their lower-case names.
    static let knownHeaders: [(token: lws_token_indexes, name: String)] = [
        (WSI_TOKEN_HOST, "host"), (WSI_TOKEN_HTTP_CONTENT_TYPE, "content-type"),
        (WSI_TOKEN_HTTP_CONTENT_LENGTH, "content-length"), (WSI_TOKEN_HTTP_AUTHORIZATION, "authorization"),
        (WSI_TOKEN_HTTP_USER_AGENT, "user-agent"), (WSI_TOKEN_HTTP_ACCEPT, "accept"), (WSI_TOKEN_ORIGIN, "origin"),
        (WSI_TOKEN_X_FORWARDED_FOR, "x-forwarded-for"),
    ]

    /// Further names lws parses into tokens (so `lws_hdr_custom_copy` never sees them) that a configuration may
    /// still ask to capture.
    static let otherTokens: [String: lws_token_indexes] = [
        "cookie": WSI_TOKEN_HTTP_COOKIE, "expect": WSI_TOKEN_HTTP_EXPECT, "referer": WSI_TOKEN_HTTP_REFERER,
        "x-real-ip": WSI_TOKEN_HTTP_X_REAL_IP, "x-auth-token": WSI_TOKEN_X_AUTH_TOKEN,
        "accept-encoding": WSI_TOKEN_HTTP_ACCEPT_ENCODING, "accept-language": WSI_TOKEN_HTTP_ACCEPT_LANGUAGE,
        "if-none-match": WSI_TOKEN_HTTP_IF_NONE_MATCH, "cache-control": WSI_TOKEN_HTTP_CACHE_CONTROL,
        "connection": WSI_TOKEN_CONNECTION, "upgrade": WSI_TOKEN_UPGRADE,
        "transfer-encoding": WSI_TOKEN_HTTP_TRANSFER_ENCODING, "date": WSI_TOKEN_HTTP_DATE,
    ]

    /// The request method, or nil if lws parsed none of the supported ones.
    static func method(_ wsi: OpaquePointer) -> String? {
        methods.first { lws_hdr_total_length(wsi, $0.token) > 0 }?.name
    }

    /// The value of a token header (duplicates joined with `,` by lws), or nil when absent.
    static func value(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return string(buffer)
    }

    /// True when the header appeared more than once.
    static func isRepeated(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> Bool {
        lws_hdr_fragment_length(wsi, token, 1) > 0
    }

    /// The value of a header lws does not know (`x-slack-signature`, …), or nil when absent.
    static func customValue(_ wsi: OpaquePointer, _ lowercasedName: String) -> String? {
        let name = lowercasedName + ":"
        let nameLength = Int32(name.utf8.count)
        let length = Int(lws_hdr_custom_length(wsi, name, nameLength))
        guard length >= 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_custom_copy(wsi, &buffer, Int32(buffer.count), name, nameLength) >= 0 else { return nil }
        return string(buffer)
    }

    /// The known headers plus `captured` (lower-case names), by lower-case name.
    static func headers(_ wsi: OpaquePointer, captured: [String]) -> [String: String] {
        var headers: [String: String] = [:]
        for (token, name) in knownHeaders {
            if let value = value(wsi, token) { headers[name] = value }
        }
        for name in captured where headers[name] == nil {
            let value = otherTokens[name].flatMap { Self.value(wsi, $0) } ?? customValue(wsi, name)
            if let value { headers[name] = value }
        }
        return headers
    }

    /// The query, re-encoded from lws' decoded `name=value` fragments (see `HTTPServerRequest.query`).
    static func query(_ wsi: OpaquePointer, maxLength: Int) -> String? {
        var pairs: [String] = []
        var buffer = [CChar](repeating: 0, count: maxLength + 1)
        var index: Int32 = 0
        while true {
            let length = lws_hdr_copy_fragment(wsi, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP_URI_ARGS, index)
            if length < 0 { break }
            let fragment = string(buffer)
            if !fragment.isEmpty {
                if let equals = fragment.firstIndex(of: "=") {
                    pairs.append(encode(String(fragment[..<equals])) + "="
                                 + encode(String(fragment[fragment.index(after: equals)...])))
                } else {
                    pairs.append(encode(fragment))
                }
            }
            index += 1
        }
        return pairs.isEmpty ? nil : pairs.joined(separator: "&")
    }

    /// The RFC 3986 unreserved characters, the only ones left unescaped in a reconstructed query.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// A Swift string from a NUL-terminated buffer (invalid UTF-8 repaired).
    static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { pointer in
            let length = strnlen(pointer.baseAddress!, pointer.count)
            return String(decoding: UnsafeRawBufferPointer(start: pointer.baseAddress, count: length), as: UTF8.self)
        }
    }
}
