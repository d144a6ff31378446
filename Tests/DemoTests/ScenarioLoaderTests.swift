import Demo
import Foundation
import Testing

@Suite("Scenario files")
struct ScenarioLoaderTests {
    @Test func everyProblemIsReportedWithItsPosition() {
        let text = """
        name: broken
        start: 2026-03-02T08:00:00Z
        world:
          peeple: []
        events:
          - at: 2h
            explode: {}
          - at: soon
            say: hi
          - at: 1h
            terminate: {}
        """
        do {
            _ = try ScenarioLoader.parse(text, file: "drill.yaml")
            Issue.record("a broken scenario must be refused")
        } catch let error as ScenarioError {
            #expect(error.problems.count == 4)
            #expect(error.description.contains("drill.yaml: 4:3: unknown key `peeple`"))
            #expect(error.description.contains("unknown event action `explode`"))
            #expect(error.description.contains("offset from the start"))
            #expect(error.description.contains("`terminate` needs `email`"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func relativeDatesCountFromTheStart() throws {
        let scenario = try ScenarioLoader.parse("""
        name: ok
        start: 2026-03-02T08:00:00Z
        world:
          vendors: [{name: V, tier: 1, report_period_end: -10d}]
        events:
          - at: 1d
            set_vendor: {name: V, report_period_end: +30d}
        """, file: "ok.yaml")
        #expect(scenario.world.vendors[0].reportPeriodEnd == scenario.start - 10 * 86_400)
        #expect(scenario.events.count == 1 && scenario.events[0].offset == 86_400)
    }
}
