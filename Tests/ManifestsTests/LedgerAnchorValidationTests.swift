import Core
import Testing

/// `ledger: {anchor: …}`: how often the head is anchored, where checkpoints go, which TSA stamps it.
@Suite("Ledger anchor settings")
struct LedgerAnchorValidationTests {
    @Test func theAnchorSettingsMapOntoCore() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            server: {listen: "127.0.0.1:8080", trust_center_key: SOC2BOT_TRUST_CENTER_KEY}
            ledger:
              anchor: {every: 24h, checkpoints: /srv/anchors, tsa: "https://tsa.example/tsr", tsa_certificates: tsa-chain.pem}

            """])
        let config = try #require(fixture.config(), "\(fixture.problems())")
        #expect(config.ledgerAnchor == LedgerAnchorSettings(every: 86_400, checkpoints: "/srv/anchors", tsa: "https://tsa.example/tsr",
                                                            tsaCertificates: "tsa-chain.pem"))
    }

    @Test func badAnchorSettingsAreEachReported() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            ledger:
              anchor:
                every: 10s
                tsa: not a url
                checkpoint: /srv

            """])
        #expect(fixture.problems() == [
            "test.yaml:3:12: `every` of 10s is shorter than 1m",
            "test.yaml:4:10: `tsa`: `not a url` is not an http(s) URL",
            "test.yaml:5:5: unknown key `checkpoint`",
        ])
    }

    @Test func checkpointsNeedTheTrustCenterKey() throws {
        let fixture = try ManifestFixture(["test.yaml": "ledger: {anchor: {every: 1d, checkpoints: anchors}}\n"])
        #expect(fixture.problems() == ["test.yaml:1:1: `ledger.anchor.checkpoints` needs a signing key, and `server.trust_center_key` names none"])
        let nothing = try ManifestFixture(["test.yaml": "ledger: {anchor: {every: 1d}}\n"])
        #expect(nothing.problems() == ["test.yaml:1:18: `ledger.anchor` names neither `checkpoints` nor `tsa`: nothing would hold the anchors"])
    }
}
