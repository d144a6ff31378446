/// The ledger is broken: the bot refuses to append to it.
package struct BrokenLedgerError: Error, Sendable, CustomStringConvertible {
    package let path: String
    package let verdict: LedgerVerdict
    package init(path: String, verdict: LedgerVerdict) {
        self.path = path; self.verdict = verdict
    }
    package var description: String {
        "\(path): \(verdict). The evidence chain was altered outside soc2bot; refusing to start. Inspect it with `soc2bot evidence verify`, restore from backup."
    }
}
