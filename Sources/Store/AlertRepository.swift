import Core
import Foundation

/// Alerts (one row per episode, versioned for compare-and-set), their facts as of any period, their escalation
/// timers and the chat messages that show them.
package protocol AlertRepository {
    /// Live (not closed or resolved) alerts of a control, keyed by resource key.
    func liveAlerts(control: ControlID) throws -> [String: Alert]

    /// `liveAlerts(control:)` of each of `controls` (every one of them a key), read together: a step asks for all its
    /// controls at once.
    func liveAlerts(controls: [ControlID]) throws -> [ControlID: [String: Alert]]

    func alert(_ id: AlertID) throws -> Alert?

    /// The newest episode of `control`'s alert on `resourceKey`, ended or not: one index seek.
    func latestAlert(control: ControlID, resourceKey: String) throws -> Alert?

    /// Alerts in any of `states` (all when empty), oldest first.
    func alerts(states: [AlertState]) throws -> [Alert]

    /// The alerts open at some moment of `period`: opened before its end, not ended before its start. Filtered on the
    /// row's columns before any body is decoded, so metrics over a week read that week's alerts, not the history.
    func alerts(touching period: DateInterval) throws -> [Alert]

    /// The alerts open at `moment` (opened by then, not ended by then), as they are stored now: pair with
    /// `Alert.asOf(_:)` to see them as they were.
    func alerts(openAt moment: Date) throws -> [Alert]

    /// Opens a new alert episode for `control` and `resourceKey`; the store assigns the id and episode number.
    func openAlert(control: Control, draft: ReconcilePlan.NewAlert, at: Date, sla: TimeInterval) throws -> Alert

    /// Saves `alert` only if the stored version is still `expectedVersion` (compare-and-set); otherwise throws
    /// `StoreError.versionConflict` and changes nothing.
    func saveAlert(_ alert: Alert, expectedVersion: Int) throws

    /// The facts of the alerts open at some moment of `period`, read without decoding a body: what the metrics,
    /// digest and dashboard need over weeks of history. Oldest first.
    func alertFacts(touching period: DateInterval) throws -> [AlertFacts]

    /// Every alert ever opened: a full count, for benchmarks and diagnostics, never for a step.
    func alertCount() throws -> Int

    // MARK: Timers

    /// Records when `alert` next needs the escalator (nil: never, e.g. ended).
    func setTimer(_ alert: AlertID, at: Date?) throws

    /// The earliest recorded timer of any alert.
    func nextTimerAt() throws -> Date?

    /// Alerts whose recorded timer is due by `now`, oldest first.
    func alertsWithTimers(dueBy now: Date) throws -> [Alert]

    // MARK: Message references

    /// Records where `alert` is shown on a platform's channel, replacing the earlier message there.
    func saveMessageRef(_ ref: MessageRef, alert: AlertID) throws

    /// Forgets the alert's messages on `platform` (deleted, or in a channel that is gone): its next edit posts anew.
    func forgetMessageRefs(alert: AlertID, platform: ChatPlatform) throws

    /// The alert's messages, by platform then channel.
    func messageRefs(alert: AlertID) throws -> [MessageRef]

    /// The alert whose message on `platform` in `channel` is `messageID` (a Matrix reaction or thread reply names
    /// the alert's event), if any.
    func alert(messageID: String, platform: ChatPlatform, channel: String) throws -> AlertID?
}

extension AlertRepository {
    /// Every alert, oldest first.
    package func alerts() throws -> [Alert] { try alerts(states: []) }

    /// Every alert not closed or resolved, oldest first.
    package func liveAlerts() throws -> [Alert] {
        try alerts(states: AlertState.allCases.filter { !$0.isEnded })
    }

    /// The facts of every alert ever opened.
    package func alertFacts() throws -> [AlertFacts] {
        try alertFacts(touching: DateInterval(start: .distantPast, end: .distantFuture))
    }
}

extension AlertRepository {
    /// One read per control; a store may read them in one statement.
    package func liveAlerts(controls: [ControlID]) throws -> [ControlID: [String: Alert]] {
        var result: [ControlID: [String: Alert]] = [:]
        for control in controls { result[control] = try liveAlerts(control: control) }
        return result
    }
}
