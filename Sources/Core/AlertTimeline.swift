import Foundation

/// An alert's states over time, as its transitions recorded them: the one history every "as of then" view reads
/// (status at a moment, metrics and exceptions of a period, the export), instead of the alert's current state.
///
/// Rules (docs/metrics.md, "SLA rules", states them with examples):
/// - The alert is **open** from its first step until a step into `closed` or `resolved`.
/// - It is **in breach** at a moment past its SLA deadline while it is open and not under an accepted risk. Time under
///   an accepted risk is not breach time; an acceptance that expires (or is withdrawn) with the deadline passed starts
///   the breach again at that moment. Closing or resolving ends the breach.
/// - A period's breach is the part of the breach time that falls in it: one breach may show in several periods.
package struct AlertTimeline: Codable, Sendable, Equatable {
    /// From `at` on, the alert was in `state` (until the next step). For `risk_accepted`, `until` is the acceptance's
    /// expiry: the acceptance covers `at ..< min(until, next step)`.
    package struct Step: Codable, Sendable, Equatable {
        package var at: Date
        package var state: AlertState
        package var until: Date?

        package init(at: Date, state: AlertState, until: Date? = nil) {
            self.at = at; self.state = state; self.until = until
        }

        enum CodingKeys: String, CodingKey { case at = "t", state = "s", until = "u" }
    }

    /// In time order; the first is the opening.
    package private(set) var steps: [Step]

    package init(steps: [Step]) {
        self.steps = steps.sorted { $0.at < $1.at }
    }

    /// A new alert's timeline: open from `openedAt`.
    package init(openedAt: Date) {
        steps = [Step(at: openedAt, state: .open)]
    }

    /// Adds a step. A step dated before the last one is placed at the last one's time: history does not rewind.
    package mutating func record(_ step: Step) {
        var step = step
        if let last = steps.last, step.at < last.at { step.at = last.at }
        steps.append(step)
    }

    package var openedAt: Date? { steps.first?.at }

    /// When the alert ended (closed or resolved), if it did.
    package var endedAt: Date? { steps.first { $0.state.isEnded }?.at }

    /// The alert's state at `moment` (nil: not yet opened). A step at exactly `moment` is in effect at it.
    package func state(at moment: Date) -> AlertState? {
        steps.last { $0.at <= moment }?.state
    }

    /// The state just before `moment`: a period's closing state, since a step at its (excluded) end belongs to the next.
    package func state(before moment: Date) -> AlertState? {
        steps.last { $0.at < moment }?.state
    }

    /// Opened by `moment` and not ended by then.
    package func isOpen(at moment: Date) -> Bool {
        guard let opened = openedAt, opened <= moment else { return false }
        return endedAt.map { $0 > moment } ?? true
    }

    /// The stretches of time under an accepted risk, in order.
    package var acceptances: [DateInterval] {
        steps.indices.compactMap { index in
            let step = steps[index]
            guard step.state == .riskAccepted else { return nil }
            var end = index + 1 < steps.count ? steps[index + 1].at : Date.distantFuture
            if let until = step.until { end = min(end, until) }
            return end > step.at ? DateInterval(start: step.at, end: end) : nil
        }
    }

    /// The stretches of time the alert was in breach of `deadline`, in order; the last one is open-ended
    /// (`distantFuture`) while the alert is still unremediated and unaccepted.
    package func breaches(deadline: Date) -> [DateInterval] {
        let end = endedAt ?? .distantFuture
        guard let opened = openedAt, end > deadline else { return [] }
        var result: [DateInterval] = []
        var cursor = max(deadline, opened)
        for accepted in acceptances where accepted.end > cursor {
            if accepted.start >= end { break }
            if accepted.start > cursor { result.append(DateInterval(start: cursor, end: min(accepted.start, end))) }
            cursor = max(cursor, accepted.end)
            if cursor >= end { break }
        }
        if cursor < end { result.append(DateInterval(start: cursor, end: end)) }
        return result
    }

    /// The breach time that falls in `period` (half-open), clipped to it; empty when none does.
    package func breaches(deadline: Date, in period: DateInterval) -> [DateInterval] {
        breaches(deadline: deadline).compactMap { breach in
            let start = max(breach.start, period.start), end = min(breach.end, period.end)
            return end > start ? DateInterval(start: start, end: end) : nil
        }
    }

    /// Whether the alert had been in breach at any moment before `moment`.
    package func breached(deadline: Date, by moment: Date) -> Bool {
        breaches(deadline: deadline).first.map { $0.start < moment } ?? false
    }

    /// The timeline in the compact form the store keeps in a column: per step, the time (seconds since 2001 as a
    /// little-endian Float64), the state (its index in `AlertState.allCases`), a flag, and the expiry when the flag
    /// is 1. Views over weeks of history read thousands of these; JSON took most of their time.
    package var packed: Data {
        var data = Data(capacity: steps.count * 18)
        func append(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        for step in steps {
            append(step.at.timeIntervalSinceReferenceDate)
            data.append(UInt8(AlertState.allCases.firstIndex(of: step.state) ?? 0))
            if let until = step.until { data.append(1); append(until.timeIntervalSinceReferenceDate) } else { data.append(0) }
        }
        return data
    }

    /// Reads `packed`; nil when the bytes are not a timeline (cut short, an unknown state, a time that is not finite).
    package init?(packed data: Data) {
        var steps: [Step] = []
        var index = data.startIndex
        func double() -> Double? {
            guard data.endIndex - index >= 8 else { return nil }
            var bits: UInt64 = 0
            for offset in 0..<8 { bits |= UInt64(data[index + offset]) << (8 * offset) }
            index += 8
            let value = Double(bitPattern: bits)
            return value.isFinite ? value : nil
        }
        while index < data.endIndex {
            guard let at = double(), data.endIndex - index >= 2 else { return nil }
            let state = Int(data[index]), flag = data[index + 1]
            index += 2
            guard state < AlertState.allCases.count, flag <= 1 else { return nil }
            var until: Date?
            if flag == 1 {
                guard let seconds = double() else { return nil }
                until = Date(timeIntervalSinceReferenceDate: seconds)
            }
            steps.append(Step(at: Date(timeIntervalSinceReferenceDate: at), state: AlertState.allCases[state], until: until))
        }
        guard !steps.isEmpty else { return nil }
        self.steps = steps
    }

    /// A timeline for an alert whose transitions were not recorded step by step (written before timelines were kept):
    /// open from its opening, then its current state from when it ended or its last transition.
    package static func approximate(openedAt: Date, state: AlertState, endedAt: Date?, lastChange: Date?, acceptedUntil: Date?) -> AlertTimeline {
        AlertTimeline(openedAt: openedAt).reconciled(state: state, endedAt: endedAt, lastChange: lastChange, acceptedUntil: acceptedUntil)
    }

    /// This timeline, ending in the alert's state of record: when its last step disagrees with `state` (or an
    /// acceptance's expiry), a step into `state` is added at `endedAt`, else at `lastChange`, else at the last step.
    package func reconciled(state: AlertState, endedAt: Date?, lastChange: Date?, acceptedUntil: Date?) -> AlertTimeline {
        let until = state == .riskAccepted ? acceptedUntil : nil
        guard let last = steps.last, last.state != state || last.until != until else { return self }
        var timeline = self
        let at = state.isEnded ? (endedAt ?? lastChange ?? last.at) : (lastChange ?? last.at)
        timeline.record(Step(at: at, state: state, until: until))
        return timeline
    }
}
