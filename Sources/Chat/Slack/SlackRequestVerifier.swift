import Foundation
import HTTP

/// Verifies that an HTTP request came from Slack (HTTP mode; Socket Mode frames are authenticated by the socket):
/// `X-Slack-Signature: v0=hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body))`, compared in
/// constant time, with `X-Slack-Request-Timestamp` within 300 s of now so a captured request cannot be replayed.
/// Check it first, on the exact bytes received, before parsing anything.
package struct SlackRequestVerifier: Sendable {
    /// Why a request was refused. Descriptions are safe to log (no secret, no body).
    package enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case missingHeaders
        case malformedTimestamp
        case stale(ageSeconds: Int)
        case badSignature
        case replayed
        /// The replay memory (the database) could not be read or written.
        case unavailable

        package var description: String {
            switch self {
            case .missingHeaders: "missing X-Slack-Signature or X-Slack-Request-Timestamp"
            case .malformedTimestamp: "X-Slack-Request-Timestamp is not a Unix time"
            case .stale(let age): "request timestamp is \(age) s away from now (limit 300 s): refused as a possible replay"
            case .badSignature: "signature does not match: not from Slack, or the signing secret is wrong"
            case .replayed: "this exact signed request was already received: refused as a replay"
            case .unavailable: "the replay memory (the database) cannot be reached: refused, try again"
            }
        }
    }

    let signingSecret: Data
    /// Largest accepted distance between the request's timestamp and now, in seconds.
    package let window: TimeInterval

    package init(signingSecret: String, window: TimeInterval = 300) {
        self.signingSecret = Data(signingSecret.utf8)
        self.window = window
    }

    /// Returns the signature in its one canonical form (`v0=` and lower-case hex) when the request is Slack's and
    /// fresh; otherwise throws why not. Hex is case-insensitive, so the same signature can be written many ways:
    /// the replay memory must key on the canonical form, or an upper-cased copy of a request would pass it.
    @discardableResult
    package func verify(body: Data, timestamp: String?, signature: String?, now: Date) throws(Refusal) -> String {
        guard let timestamp, let signature else { throw .missingHeaders }
        guard let seconds = Int(timestamp) else { throw .malformedTimestamp }
        let age = Int(now.timeIntervalSince1970) - seconds
        guard abs(Double(age)) <= window else { throw .stale(ageSeconds: age) }
        let canonical = signature.lowercased()
        guard canonical.hasPrefix("v0=") else { throw .badSignature }
        var base = Data("v0:\(timestamp):".utf8)
        base.append(body)
        guard HMACSignature.isValid(hexSignature: String(canonical.dropFirst(3)), message: base, key: signingSecret) else {
            throw .badSignature
        }
        return canonical
    }
}

/// Refuses a signed request seen before: inside the 300 s window a captured request would otherwise verify again.
/// Signatures (canonical form, from `SlackRequestVerifier.verify`) are remembered for twice the window — a
/// timestamp may be up to one window ahead of now — then forgotten: older requests fail the timestamp check anyway.
package struct SlackReplayGuard: Sendable {
    let seen: any SeenRequests
    let window: TimeInterval

    package init(seen: any SeenRequests, window: TimeInterval = 300) { self.seen = seen; self.window = window }

    /// Records `signature`; throws `.replayed` when it was already recorded within the window, `.unavailable` when
    /// the memory cannot be read (refused: a request that cannot be checked is not acted on).
    package func admit(signature: String, now: Date) throws(SlackRequestVerifier.Refusal) {
        let fresh: Bool
        do { fresh = try seen.firstSighting("slack.signature:" + signature.lowercased(), now: now, expires: now.addingTimeInterval(2 * window)) } catch {
            throw .unavailable
        }
        if !fresh { throw .replayed }
    }
}
