import Foundation
import HTTP
import Synchronization

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

        package var description: String {
            switch self {
            case .missingHeaders: "missing X-Slack-Signature or X-Slack-Request-Timestamp"
            case .malformedTimestamp: "X-Slack-Request-Timestamp is not a Unix time"
            case .stale(let age): "request timestamp is \(age) s away from now (limit 300 s): refused as a possible replay"
            case .badSignature: "signature does not match: not from Slack, or the signing secret is wrong"
            case .replayed: "this exact signed request was already received: refused as a replay"
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

    /// Returns when the request is Slack's and fresh; otherwise throws why not.
    package func verify(body: Data, timestamp: String?, signature: String?, now: Date) throws(Refusal) {
        guard let timestamp, let signature else { throw .missingHeaders }
        guard let seconds = Int(timestamp) else { throw .malformedTimestamp }
        let age = Int(now.timeIntervalSince1970) - seconds
        guard abs(Double(age)) <= window else { throw .stale(ageSeconds: age) }
        guard signature.hasPrefix("v0=") else { throw .badSignature }
        var base = Data("v0:\(timestamp):".utf8)
        base.append(body)
        guard HMACSignature.isValid(hexSignature: String(signature.dropFirst(3)), message: base, key: signingSecret) else {
            throw .badSignature
        }
    }
}

/// Refuses a signed request seen before: inside the 300 s window a captured request would otherwise verify again.
/// Signatures are remembered for the window, then forgotten (older requests fail the timestamp check anyway).
package final class SlackReplayGuard: Sendable {
    private struct State {
        var seen: [String: Date] = [:]
        var lastPrune = Date.distantPast
    }
    private let state = Mutex(State())
    let window: TimeInterval

    package init(window: TimeInterval = 300) { self.window = window }

    /// Records `signature`; throws `.replayed` when it was already recorded within the window.
    package func admit(signature: String, now: Date) throws(SlackRequestVerifier.Refusal) {
        let fresh = state.withLock { s -> Bool in
            if now.timeIntervalSince(s.lastPrune) > window / 10 {
                s.seen = s.seen.filter { now.timeIntervalSince($0.value) <= 2 * window }
                s.lastPrune = now
            }
            if let at = s.seen[signature], now.timeIntervalSince(at) <= 2 * window { return false }
            s.seen[signature] = now
            return true
        }
        if !fresh { throw .replayed }
    }
}
