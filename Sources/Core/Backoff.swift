import Foundation

/// Capped exponential backoff, the one formula behind every retry loop: attempt n (1-based) waits
/// min(cap, base · 2^(n-1)) seconds before the caller applies its jitter.
package enum Backoff {
    package static func delay(attempt: Int, base: TimeInterval, cap: TimeInterval) -> TimeInterval {
        min(cap, base * pow(2, Double(min(max(attempt, 1) - 1, 40))))
    }

    /// The longest wait a server's Retry-After is taken at: an hour. A longer (or infinite) one is waited an hour and
    /// asked again, so nothing is parked for ever and no date computed from it overflows.
    package static let maxServerWait: TimeInterval = 3_600

    /// A wait a server asked for, made safe to add to a date and to sleep on: negative → 0, beyond an hour (or
    /// infinite) → an hour, not a number → a minute.
    package static func serverWait(_ seconds: TimeInterval) -> TimeInterval {
        if seconds.isNaN { return 60 }
        return min(max(seconds, 0), maxServerWait)
    }
}
