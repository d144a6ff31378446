import Foundation

/// Capped exponential backoff, the one formula behind every retry loop: attempt n (1-based) waits
/// min(cap, base · 2^(n-1)) seconds before the caller applies its jitter.
package enum Backoff {
    package static func delay(attempt: Int, base: TimeInterval, cap: TimeInterval) -> TimeInterval {
        min(cap, base * pow(2, Double(min(max(attempt, 1) - 1, 40))))
    }
}
