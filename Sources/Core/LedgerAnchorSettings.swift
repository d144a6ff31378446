import Foundation

/// `ledger: {anchor: {…}}`: how the evidence ledger's head is anchored outside the bot. Each anchor is an Ed25519-signed
/// checkpoint of the head (sequence number, hash, time) written to `checkpoints`, and/or an RFC 3161 timestamp of the
/// head hash from the Time Stamping Authority at `tsa`; each is also recorded in the ledger (kind `ledger_anchor`).
package struct LedgerAnchorSettings: Codable, Sendable, Equatable {
    /// Seconds between scheduled anchors (`every: 24h`); every `evidence export` anchors too.
    package var every: TimeInterval
    /// The directory checkpoints are appended to, one set of files per checkpoint, never rewritten: a directory the
    /// operator of the bot cannot rewrite (another host's mount, a git repository pushed elsewhere). Nil: no checkpoints.
    package var checkpoints: String?
    /// The Time Stamping Authority's URL (RFC 3161 over HTTP); nil: no timestamps.
    package var tsa: String?
    /// A PEM file with the TSA's certificate chain, copied into exports for `openssl ts -verify -CAfile`.
    package var tsaCertificates: String?

    /// After a failed timestamp request the next anchor is tried this much later (or at `every`, if sooner).
    package static let tsaRetry: TimeInterval = 15 * 60

    package init(every: TimeInterval, checkpoints: String? = nil, tsa: String? = nil, tsaCertificates: String? = nil) {
        self.every = every; self.checkpoints = checkpoints; self.tsa = tsa; self.tsaCertificates = tsaCertificates
    }
}
