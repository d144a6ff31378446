import Core
import Foundation

/// Who a Slack user is: the person whose `chat.slack` id matches, else the person whose e-mail matches the
/// Slack profile's (`users.info`, scope `users:read.email`). Answers are remembered — found people for the
/// process, unknown users for `forgetUnknownAfter` (so adding someone to Slack's profile e-mail works without a
/// restart, and a flood of clicks does not become a flood of lookups).
package actor SlackDirectory {
    let config: BotConfig
    let api: SlackWebAPI?
    let clock: any BotClock
    let forgetUnknownAfter: TimeInterval
    private var found: [String: PersonID] = [:]
    private var unknown: [String: Date] = [:]

    package init(config: BotConfig, api: SlackWebAPI?, forgetUnknownAfter: TimeInterval = 600, clock: any BotClock) {
        self.config = config; self.api = api; self.forgetUnknownAfter = forgetUnknownAfter; self.clock = clock
    }

    /// The person behind Slack user `userID`, or nil when the manifests have nobody for them (or Slack cannot say).
    package func person(slackUser userID: String) async -> Person? {
        if let person = config.person(platform: .slack, chatID: userID) { return person }
        if let id = found[userID] { return config.person(id) }
        if let since = unknown[userID], clock.now().timeIntervalSince(since) < forgetUnknownAfter { return nil }
        guard let api, Self.isUserID(userID) else { return nil }
        do {
            let answer = try await api.call("users.info", form: [("user", userID)])
            let profile = (answer["user"] as? [String: Any])?["profile"] as? [String: Any]
            if let email = profile?["email"] as? String, let person = config.person(email: email) {
                found[userID] = person.id
                return person
            }
            unknown[userID] = clock.now()
        } catch {
            // Slack could not say (network, rate limit): unknown this time, asked again next time.
        }
        return nil
    }

    /// Slack user ids: `U…` or `W…` (Enterprise Grid), upper-case letters and digits.
    static func isUserID(_ text: String) -> Bool {
        guard let first = text.first, first == "U" || first == "W", (3...32).contains(text.count) else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }
}
