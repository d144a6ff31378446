import Core
import Foundation
import Yams

extension ManifestFileDecoder {
    /// `ledger: {anchor: {every: 24h, checkpoints: /srv/anchors, tsa: https://tsa.example/, tsa_certificates: tsa-chain.pem}}`.
    /// At least one of `checkpoints` and `tsa`; `every` is required.
    mutating func decodeLedger(_ node: Node, keyPosition: ManifestPosition) {
        guard let fields = fields(node, known: ["anchor"], what: "`ledger`") else { return }
        guard let anchorNode = fields["anchor"] else {
            log.report(keyPosition, "`ledger` says nothing", fix: "add `anchor: {every: 24h, checkpoints: <directory>}`, or remove `ledger`")
            return
        }
        guard let anchor = self.fields(anchorNode, known: ["every", "checkpoints", "tsa", "tsa_certificates"], what: "`ledger.anchor`") else { return }
        let every: TimeInterval?
        if let everyNode = anchor["every"] {
            every = duration(everyNode, key: "every")
            if let seconds = every, seconds < 60 {
                log.report(position(everyNode), "`every` of \(DurationText.format(seconds)) is shorter than 1m", fix: "anchor at most once a minute, e.g. `every: 24h`")
            }
        } else {
            every = nil
            log.report(position(anchorNode), "`ledger.anchor` has no `every`", fix: "add `every: 24h` (how often the head is anchored)")
        }
        let checkpoints = anchor["checkpoints"].flatMap { text($0, key: "checkpoints") }
        let tsaCertificates = anchor["tsa_certificates"].flatMap { text($0, key: "tsa_certificates") }
        var tsa: String?
        if let tsaNode = anchor["tsa"], let value = text(tsaNode, key: "tsa") {
            if let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil {
                tsa = value
            } else {
                log.report(position(tsaNode), "`tsa`: `\(Self.excerpt(value))` is not an http(s) URL", fix: "write the Time Stamping Authority's URL, e.g. `tsa: https://freetsa.org/tsr`")
            }
        }
        if anchor["checkpoints"] == nil && anchor["tsa"] == nil {
            log.report(position(anchorNode), "`ledger.anchor` names neither `checkpoints` nor `tsa`: nothing would hold the anchors",
                       fix: "add `checkpoints: <directory the bot's operator cannot rewrite>` and/or `tsa: <RFC 3161 URL>`")
        }
        if let tsaNode = anchor["tsa_certificates"], anchor["tsa"] == nil {
            log.report(position(tsaNode), "`tsa_certificates` without `tsa`", fix: "add `tsa: <RFC 3161 URL>`, or remove `tsa_certificates`")
        }
        guard let every, every >= 60, checkpoints != nil || tsa != nil else {
            draft.ledger.append(.init(value: nil, position: keyPosition))
            return
        }
        draft.ledger.append(.init(value: LedgerAnchorSettings(every: every, checkpoints: checkpoints, tsa: tsa, tsaCertificates: tsaCertificates),
                                  position: keyPosition))
    }
}

extension ManifestLinker {
    /// Checkpoints are signed with the trust-center key: `server.trust_center_key` must name it.
    mutating func checkLedgerAnchor(_ anchor: LedgerAnchorSettings?, server: ServerConfig?) {
        guard let anchor, anchor.checkpoints != nil, server?.trustCenterKeyVariable == nil, let position = draft.ledger.first?.position else { return }
        log.report(position, "`ledger.anchor.checkpoints` needs a signing key, and `server.trust_center_key` names none",
                   fix: "add `server: {trust_center_key: <environment variable>}` (make a key with `soc2bot trust-center keygen`)")
    }
}
