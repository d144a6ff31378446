import Chat
import Foundation
import Testing
import TestSupport

/// The fake Slack's trigger ids keep Slack's rules — valid 3 s after issue, once — on the clock the test gives it, so a
/// busy machine never expires one and a test can expire one on purpose.
@Suite("Fake Slack Web API: trigger ids on the test's clock")
struct FakeSlackTriggerTests {
    @Test func aTriggerIDExpiresThreeSecondsAfterIssueOnTheFakesClock() async throws {
        // Given a fake Slack on a test clock
        let clock = TestClock()
        let fake = FakeSlackWebAPI(channels: ["C0INFRA"], clock: clock)
        let api = SlackWebAPI(token: "xoxb-test-token", transport: fake)
        let modal: JSONValue = .object(["type": .string("modal"), "title": .object(["type": .string("plain_text"), "text": .string("Snooze")])])
        /// Slack's error for opening a modal with `trigger`, nil when it opened.
        func open(_ trigger: String) async -> String? {
            do {
                _ = try await api.call("views.open", .object(["trigger_id": .string(trigger), "view": modal]))
                return nil
            } catch SlackAPIError.failed(_, let code) {
                return code
            } catch {
                return "\(error)"
            }
        }

        // When a modal is opened 3 s after its trigger was issued: it opens, once
        let onTime = fake.issueTrigger()
        clock.advance(by: 3)
        #expect(await open(onTime) == nil)
        #expect(await open(onTime) == "exchanged_trigger_id")
        // When a little more than 3 s pass: the trigger has expired
        let late = fake.issueTrigger()
        clock.advance(by: 3.001)
        #expect(await open(late) == "expired_trigger_id")
        #expect(fake.views.map(\.triggerID) == [onTime])
    }
}
