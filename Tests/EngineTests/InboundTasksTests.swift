import Chat
import Engine
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

/// What inbound handlers answer after their request returned runs in a task group a service owns, and graceful
/// shutdown waits for it.
@Suite("Inbound handlers' tasks")
struct InboundTasksTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Does `action` when the group asks it to stop, then stops.
    struct OnShutdown: Service {
        let action: @Sendable () -> Void
        func run() async throws {
            try? await gracefulShutdown()
            action()
        }
    }

    // A safety limit only: nothing here waits on time.
    @Test(.timeLimit(.minutes(1))) func anAnswerInFlightIsSentBeforeTheGroupFinishesAfterAGracefulShutdown() async throws {
        let bed = try SlackTestBed(runsTasks: false)
        let posted = try #require(try await bed.fail().first)
        let hold = bed.fake.holdNextResponse()
        // A group stops its services in reverse order: `release` first (Slack answers the post in flight only now,
        // once shutdown has begun), then the tasks, then `stoppedLast`, which notes what Slack had received by then.
        let answeredWhenTheTasksStopped = Mutex<Int?>(nil)
        let stoppedLast = OnShutdown { answeredWhenTheTasksStopped.withLock { $0 = bed.fake.responses.count } }
        let release = OnShutdown { hold.release() }
        let group = ServiceGroup(services: [stoppedLast, bed.interactions.tasks, release], logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            // A stranger clicks Acknowledge: the click is acknowledged at once, the refusal goes to its response_url.
            try await SlackInteractionsTests.click(bed, .acknowledge, on: posted, as: "U0STRANGER")
            for await _ in hold.arrived { break }   // the answer is on its way to Slack
            await group.triggerGracefulShutdown()
            try await running.next()                // the group has finished
        }
        #expect(answeredWhenTheTasksStopped.withLock { $0 } == 1, "the answer in flight was sent before the tasks' service stopped")
        #expect(bed.fake.responses.first?.text.contains("not linked to anyone in the manifests") == true)
    }

    /// Work handed over once the service has stopped runs in the caller's task: nothing is dropped.
    @Test(.timeLimit(.minutes(1))) func workAfterShutdownRunsInTheCallersTask() async throws {
        let bed = try SlackTestBed(runsTasks: false)
        let posted = try #require(try await bed.fail().first)
        let group = ServiceGroup(services: [bed.interactions.tasks], logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await running.next()
        }
        try await SlackInteractionsTests.click(bed, .acknowledge, on: posted, as: "U0STRANGER")
        #expect(bed.fake.responses.count == 1, "answered before the click's handler returned")
    }
}
