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

    @Test func eventsMayBeAtDatesAndCarryTheSourcesOwnChangeTimeAndActor() throws {
        let scenario = try ScenarioLoader.parse("""
        name: ok
        start: 2026-03-02T08:00:00Z
        world:
          buckets: [{name: b, encryption: customer_managed}]
          training: [{email: a@x.example, due: 2026-03-20, course: Secure coding}]
          vendors: [{id: V-9, name: V, tier: 1, report_period_end: -10d, dpa_signed: true}]
          access_reviews: [{system: GitHub, by: priya, certified: -30d, note: Q1}]
        events:
          - at: 2026-03-03T10:00:00Z
            set_bucket: {name: b, encryption: none}
            changed_at: -13m
            by: dana
        """, file: "ok.yaml")
        let event = try #require(scenario.events.first)
        #expect(event.offset == 26 * 3_600)
        #expect(event.change == SourceChange(offset: 26 * 3_600 - 13 * 60, by: "dana"))
        #expect(scenario.world.training[0].dueAt == scenario.start + 18 * 86_400 - 8 * 3_600 && scenario.world.training[0].course == "Secure coding")
        #expect(scenario.world.vendors[0].id == "V-9" && scenario.world.vendors[0].dpaSigned == true)
        #expect(scenario.world.accessReviews.map(\.certifiedAt) == [scenario.start - 30 * 86_400])

        // The world keeps the system's record: the failure is dated from it, and the alert names who did it.
        let world = DemoWorld(id: "demo", initial: scenario.world)
        world.apply(event.action, at: scenario.start + event.offset, change: (scenario.start + event.change!.offset, event.change!.by))
        let change = try #require(world.snapshot.buckets[0].lastChange)
        #expect(change.at == scenario.start + event.change!.offset && change.actor == "dana" && change.action == "DeleteBucketEncryption")
    }

    @Test func aChangeTimeOrActorWhereNoSystemRecordsOneIsRefused() {
        let problems = ScenarioBadInputTests.problems("""
        name: x
        start: 2026-03-02T08:00:00Z
        world:
          access_reviews: [{system: GitHub, certified: +1d, by: priya}, {system: Okta}]
        events:
          - at: 1h
            say: hi
            by: dana
          - at: 2h
            set_trail: {name: t, logging: false}
            changed_at: +5m
          - at: 2026-03-01T00:00:00Z
            say: too early
          - at: 2026-03-05T00:00:00Z
            say: fine
        """)
        #expect(problems.count == 5)
        #expect(problems.contains { $0.hasPrefix("4:") && $0.contains("`certified` is after the start") })
        #expect(problems.contains { $0.contains("an access review needs system, by") })
        #expect(problems.contains { $0.hasPrefix("8:") && $0.contains("`by` belongs to a change a system records") })
        #expect(problems.contains { $0.contains("`changed_at` is after the event") })
        #expect(problems.contains { $0.hasPrefix("12:") && $0.contains("before the scenario's start") })
    }
}

/// Scenario input that once trapped or was misread: dates out of range, overflowing base-60 numbers, bytes that are
/// not UTF-8 (reproducers in /work/shared/repro).
@Suite("Scenario files: bad input")
struct ScenarioBadInputTests {
    static func problems(_ text: String) -> [String] {
        do { _ = try ScenarioLoader.parse(text, file: "s.yaml"); return [] } catch let error as ScenarioError { return error.problems } catch { return ["\(error)"] }
    }

    @Test(arguments: ["+" + String(repeating: "9", count: 400) + "s", "+200000000000d", "-9223372036854775808w"])
    func aRelativeDateOutOfRangeIsNamedAtItsPosition(_ offset: String) {
        let problems = Self.problems("name: x\nstart: 2026-03-02T08:00:00Z\nworld:\n  training:\n    - {email: a@b.example, completed: \(offset)}\n")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("5:39: ") == true && problems.first?.contains("date out of range") == true, "\(problems)")
    }

    @Test func eventOffsetsAndDurationsOutOfRangeAreNamed() {
        let problems = Self.problems("name: x\nstart: 2026-03-02T08:00:00Z\nduration: 99999999999999999999w\nevents:\n  - at: 73001d\n    say: hi\n")
        #expect(problems.count == 2)
        #expect(problems.allSatisfy { $0.contains("out of range") }, "\(problems)")
    }

    @Test func aScenarioLongerThanAYearIsRefused() {
        // Its length is the demo's default --until, which is at most 366d.
        let problems = Self.problems("name: x\nstart: 2026-03-02T08:00:00Z\nduration: 367d\n")
        #expect(problems == ["3:11: `duration` is out of range: a scenario lasts at most 366d (the demo's `--until` limit)"])
    }

    @Test func anOverflowingBase60NumberIsNotATrap() throws {
        let scenario = try ScenarioLoader.parse("name: x\nstart: 2026-03-02T08:00:00Z\nworld:\n  vendors:\n    - name: V\n      tier: 1:1:1:1:1:1:1:1:1:1:1:1\n", file: "s.yaml")
        #expect(scenario.world.vendors.first?.tier == 2, "an unreadable tier takes the default")
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        var data = Data("name: x\nstart: 2026-03-02T08:00:00Z\n".utf8)
        data.append(contentsOf: [0xFF, 0xFE, 0x0A])
        #expect(throws: ScenarioError.self) { try ScenarioLoader.parse(data, file: "s.yaml") }
    }
}
