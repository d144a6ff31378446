import Checks
import FactSources
import Core
import Engine
import Foundation
import Store

/// Plays a scenario's timeline as timed work: world changes, narration and people's commands, at their offsets.
/// Progress is a cursor in the database written in the same transaction as each command, so a restarted demo
/// rebuilds the world by replaying world events and never repeats a command.
package struct ScenarioDriver: StoredTimedWork {
    package static let cursorName = "demo.event"
    package let scenario: Scenario
    package let world: DemoWorld
    package let commands: CommandHandler
    package let database: BotDatabase
    /// Narration and command echoes go here (the terminal).
    package let say: @Sendable (String) -> Void

    package init(scenario: Scenario, world: DemoWorld, commands: CommandHandler, database: BotDatabase, say: @escaping @Sendable (String) -> Void) {
        self.scenario = scenario; self.world = world; self.commands = commands; self.database = database; self.say = say
    }

    /// Index of the next event to play, from the database.
    func position() throws -> Int {
        try database.read { try Self.position(in: $0) }
    }

    static func position(in tx: StoreTransaction) throws -> Int {
        Int(try tx.cursor(cursorName) ?? "0") ?? 0
    }

    /// Rebuilds the world after a restart: re-applies the world changes of every event already played.
    package func restore() throws {
        let played = try position()
        for event in scenario.events.prefix(played) {
            world.apply(event.action, at: scenario.start.addingTimeInterval(event.offset), change: change(event))
        }
    }

    package func nextDue(in snapshot: StoreTransaction) throws -> Date? {
        let index = try Self.position(in: snapshot)
        return index < scenario.events.count ? scenario.start.addingTimeInterval(scenario.events[index].offset) : nil
    }

    package func run(at now: Date) async throws {
        var index = try position()
        while index < scenario.events.count {
            let event = scenario.events[index]
            let due = scenario.start.addingTimeInterval(event.offset)
            guard due <= now else { break }
            let next = (name: Self.cursorName, value: String(index + 1))
            switch event.action {
            case .say(let text):
                say("📣 \(TimeText.human(due)) — \(text)")
                try database.write { try $0.setCursor(next.name, next.value) }
            case .command(let person, let template):
                let text = try resolve(template)
                let config = commands.engine.config
                let chatID = config.person(person)?.chatIDs[.terminal] ?? person.rawValue
                say("⌨  \(person) › \(text)")
                let reply = try commands.handle(text, from: chatID, on: .terminal, surface: .scenario, cursor: next)
                say("   \(reply.title)" + (reply.body.map { "\n   " + $0.replacingOccurrences(of: "\n", with: "\n   ") } ?? ""))
                // A command refused before reaching an alert wrote no cursor: advance it now.
                if try position() == index { try database.write { try $0.setCursor(next.name, next.value) } }
            default:
                if let problem = world.apply(event.action, at: due, change: change(event)) { say("⚠ scenario event \(index + 1): \(problem)") }
                try database.write { try $0.setCursor(next.name, next.value) }
            }
            index += 1
        }
    }

    /// The event's `changed_at`/`by` as the system's record of it.
    func change(_ event: ScenarioEvent) -> (at: Date, by: String?)? {
        event.change.map { (scenario.start.addingTimeInterval($0.offset), $0.by) }
    }

    /// Replaces `{alert:CONTROL/RESOURCE}` and `{alert:CONTROL}` with the newest matching alert's id.
    func resolve(_ template: String) throws -> String {
        guard let open = template.range(of: "{alert:"), let close = template[open.upperBound...].firstIndex(of: "}") else { return template }
        let reference = String(template[open.upperBound..<close])
        let parts = reference.split(separator: "/", maxSplits: 1).map(String.init)
        let control = ControlID(parts[0])
        let resource = parts.count > 1 ? parts[1] : ReconcilePlan.groupKey
        let id = try database.read { try $0.latestAlert(control: control, resourceKey: resource) }.map { $0.id.description } ?? "A-0"
        return try resolve(template.replacingCharacters(in: open.lowerBound...close, with: id))
    }
}
