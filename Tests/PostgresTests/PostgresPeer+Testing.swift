import Testing
import TestSupport

extension PostgresPeer {
    /// Why a suite that needs the peer is skipped.
    static let notConfigured: Comment = "SOC2BOT_TEST_POSTGRES_URL is unset: run scripts/test, which starts the PostgreSQL peer"
}
