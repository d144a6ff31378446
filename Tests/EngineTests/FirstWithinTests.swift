import Chat
import Engine
import TestSupport
import Synchronization
import Testing
import TestSupport

/// `firstWithin`: the answer to a slash command or a modal when it is ready within Slack's 3 s, else nil at the
/// deadline and the answer handed on when it comes.
@Suite("Answering within a budget")
struct FirstWithinTests {
    /// Work that finishes at once always wins, even though finishing cancels the deadline's sleep on another thread
    /// (that cancellation once answered nil in its place: "Working on it…" for an instant `/soc2 help`).
    @Test func workThatFinishesFirstIsAlwaysTheAnswer() async {
        let late = Atomic<Int>(0)
        var nils = 0
        let clock = TestClock()
        await withInboundTasks { tasks in
            for i in 0..<20_000 {
                let answer = await firstWithin(.seconds(30), on: clock, tasks: tasks, work: { i }, late: { _ in late.add(1, ordering: .relaxed) })
                if answer != i { nils += 1 }
            }
        }
        #expect(nils == 0)
        #expect(late.load(ordering: .relaxed) == 0)
    }

    /// The work is held until the deadline has answered nil (the test moves the clock past it), then handed on.
    @Test func slowWorkGivesNilAtTheDeadlineAndIsHandedOnLate() async {
        let handed = Mutex<[String]>([])
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let (arrived, arrivedSignal) = AsyncStream.makeStream(of: Void.self)
        let clock = TestClock()
        await withInboundTasks { tasks in
            // The deadline's wait is moved past by the test once it is waiting.
            async let passed: Void = { await clock.sleepers(1); clock.advance(by: 0.02) }()
            let answer = await firstWithin(.milliseconds(20), on: clock, tasks: tasks, work: { () async -> String in
                for await _ in release { break }
                return "the answer"
            }, late: { value in
                handed.withLock { $0.append(value) }
                arrivedSignal.yield()
            })
            await passed
            #expect(answer == nil)
            releaseSignal.yield()
            for await _ in arrived { break }
        }
        #expect(handed.withLock { $0 } == ["the answer"])
    }
}
