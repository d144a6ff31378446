@testable import Chat
import Core
import Foundation
import Testing

@Suite("Slash command grammar")
struct SlashCommandTests {
    struct Parsed: Sendable, CustomTestStringConvertible {
        let input: String
        let command: SlashCommand
        init(_ input: String, _ command: SlashCommand) { self.input = input; self.command = command }
        var testDescription: String { "`\(input)`" }
    }

    static let a3 = AlertID(3)
    static let day: TimeInterval = 86_400

    static let valid: [Parsed] = [
        Parsed("", .help),
        Parsed("   ", .help),
        Parsed("/soc2", .help),
        Parsed("!soc2", .help),
        Parsed("help", .help),
        Parsed("/soc2 ?", .help),
        Parsed("status", .status),
        Parsed("/soc2 status", .status),
        Parsed("!soc2 status", .status),
        Parsed("soc2 STATUS", .status),
        Parsed("list", .list(filter: nil)),
        Parsed("/soc2 list infra", .list(filter: "infra")),
        Parsed("!soc2 ls High", .list(filter: "high")),
        Parsed("show A-3", .show(a3)),
        Parsed("/soc2 show a-3", .show(a3)),
        Parsed("!soc2 show #3", .show(a3)),
        Parsed("show 3", .show(a3)),
        Parsed("ack A-3", .ack(a3)),
        Parsed("/soc2 acknowledge #3", .ack(a3)),
        Parsed("!soc2   ack\ta-3", .ack(a3)),
        Parsed("snooze A-3 2d waiting for the vendor's fix", .snooze(a3, duration: 2 * day, rationale: "waiting for the vendor's fix")),
        Parsed("/soc2 snooze #3 1d12h patch window  on Thursday", .snooze(a3, duration: 1.5 * day, rationale: "patch window on Thursday")),
        Parsed("!soc2 snooze 3 4h because", .snooze(a3, duration: 4 * 3_600, rationale: "because")),
        Parsed("accept A-3 30d legacy system, replaced in Q3", .accept(a3, duration: 30 * day, rationale: "legacy system, replaced in Q3")),
        Parsed("/soc2 accept a-3 1w compensating control in place", .accept(a3, duration: 7 * day, rationale: "compensating control in place")),
        Parsed("escalate A-3", .escalate(a3, note: nil)),
        Parsed("!soc2 escalate #3 customer data at risk", .escalate(a3, note: "customer data at risk")),
        Parsed("close A-3 disabled the account", .close(a3, remediation: "disabled the account", link: nil)),
        Parsed("/soc2 close a-3 disabled the account https://tickets.example/OPS-12",
               .close(a3, remediation: "disabled the account", link: "https://tickets.example/OPS-12")),
        Parsed("!soc2 close 3 rotated the key http://wiki.internal/runbook",
               .close(a3, remediation: "rotated the key", link: "http://wiki.internal/runbook")),
        Parsed("close A-3 see https://tickets.example/OPS-12 for details",
               .close(a3, remediation: "see https://tickets.example/OPS-12 for details", link: nil)),
    ]

    @Test(arguments: valid)
    func validCommandParses(_ row: Parsed) throws {
        let command = try SlashCommand.parse(row.input).get()
        #expect(command == row.command)
    }

    struct Refused: Sendable, CustomTestStringConvertible {
        let input: String
        let error: CommandError
        /// The usage line the error must quote.
        let usage: String
        init(_ input: String, _ error: CommandError, usage: String) { self.input = input; self.error = error; self.usage = usage }
        var testDescription: String { "`\(input)`" }
    }

    static let idNeeded = "an alert id such as A-3"
    static let durationNeeded = "a duration such as 2d"
    static let rationaleNeeded = "a rationale (why)"
    static let badID = "is not an alert id such as A-3"
    static let badDuration = "is not a duration such as 4h, 2d or 1w"

    static let refused: [Refused] = [
        Refused("show", .missingArgument(command: "show", what: idNeeded), usage: "show A-3"),
        Refused("show A3x", .badArgument(command: "show", "A3x", badID), usage: "show A-3"),
        Refused("show A-0", .badArgument(command: "show", "A-0", badID), usage: "show A-3"),
        Refused("ack", .missingArgument(command: "ack", what: idNeeded), usage: "ack A-3"),
        Refused("/soc2 acknowledge", .missingArgument(command: "acknowledge", what: idNeeded), usage: "ack A-3"),
        Refused("ack dana", .badArgument(command: "ack", "dana", badID), usage: "ack A-3"),
        Refused("escalate", .missingArgument(command: "escalate", what: idNeeded), usage: "escalate A-3 [note]"),
        Refused("snooze", .missingArgument(command: "snooze", what: idNeeded), usage: "snooze A-3 2d <rationale>"),
        Refused("snooze A-3", .missingArgument(command: "snooze", what: durationNeeded), usage: "snooze A-3 2d <rationale>"),
        Refused("snooze A-3 2d", .missingArgument(command: "snooze", what: rationaleNeeded), usage: "snooze A-3 2d <rationale>"),
        Refused("!soc2 snooze A-3 2x later", .badArgument(command: "snooze", "2x", badDuration), usage: "snooze A-3 2d <rationale>"),
        Refused("snooze A-3 1mo next sprint", .badArgument(command: "snooze", "1mo", badDuration), usage: "snooze A-3 2d <rationale>"),
        Refused("snooze tomorrow 2d busy", .badArgument(command: "snooze", "tomorrow", badID), usage: "snooze A-3 2d <rationale>"),
        Refused("accept", .missingArgument(command: "accept", what: idNeeded), usage: "accept A-3 30d <rationale>"),
        Refused("accept A-3", .missingArgument(command: "accept", what: durationNeeded), usage: "accept A-3 30d <rationale>"),
        Refused("accept A-3 30d", .missingArgument(command: "accept", what: rationaleNeeded), usage: "accept A-3 30d <rationale>"),
        Refused("accept A-3 forever legacy", .badArgument(command: "accept", "forever", badDuration), usage: "accept A-3 30d <rationale>"),
        Refused("accept A-3 9223372036854775808w legacy", .badArgument(command: "accept", "9223372036854775808w", "is longer than 200 years (73000d)"),
                usage: "accept A-3 30d <rationale>"),
        Refused("close", .missingArgument(command: "close", what: idNeeded), usage: "close A-3 <remediation> [link]"),
        Refused("close A-3", .missingArgument(command: "close", what: "the remediation (what was done)"), usage: "close A-3 <remediation> [link]"),
        Refused("close A-3 https://tickets.example/OPS-12", .missingArgument(command: "close", what: "the remediation (what was done)"),
                usage: "close A-3 <remediation> [link]"),
    ]

    @Test(arguments: refused)
    func incompleteCommandIsRefusedWithItsUsage(_ row: Refused) {
        let result = SlashCommand.parse(row.input)
        #expect(result == .failure(row.error))
        #expect(row.error.description.contains("Usage: /soc2 \(row.usage)"))
    }

    @Test(arguments: ["frobnicate A-3", "/soc2 Deploy", "!soc2 snoozee A-3 2d why"])
    func unknownVerbIsRefusedWithTheHelp(_ input: String) throws {
        let result = SlashCommand.parse(input)
        guard case .failure(let error) = result, case .unknownCommand(let verb) = error else {
            Issue.record("expected an unknown command, got \(result)")
            return
        }
        #expect(input.lowercased().contains(verb))
        #expect(verb == verb.lowercased())
        #expect(error.description.contains("`\(verb)`"))
        #expect(error.description.contains(SlashCommand.helpText()))
    }

    @Test(arguments: ["/soc2", "!soc2"])
    func helpTextListsEveryCommandWithThePrefix(_ prefix: String) {
        let lines = SlashCommand.helpText(prefix: prefix).split(separator: "\n").map(String.init)
        #expect(lines.count == SlashCommand.reference.count)
        for (line, entry) in zip(lines, SlashCommand.reference) {
            #expect(line.hasPrefix("\(prefix) \(entry.usage)"))
            #expect(line.hasSuffix(entry.summary))
        }
    }

    /// The help's usage lines are themselves valid commands once their placeholders are filled in.
    @Test(arguments: SlashCommand.reference.map(\.usage))
    func everyUsageLineInTheHelpParses(_ usage: String) throws {
        let example = usage
            .replacingOccurrences(of: "[team|severity|state]", with: "infra")
            .replacingOccurrences(of: "<rationale>", with: "waiting on the vendor")
            .replacingOccurrences(of: "<remediation>", with: "disabled the account")
            .replacingOccurrences(of: "[link]", with: "https://tickets.example/OPS-12")
            .replacingOccurrences(of: "[note]", with: "customer data at risk")
            .replacingOccurrences(of: "<report-link>", with: "https://trust.example/soc2.pdf")
            .replacingOccurrences(of: "<what-was-done>", with: "ran the tabletop")
        #expect(!example.contains("<") && !example.contains("["), "unfilled placeholder in \(usage)")
        let command = try SlashCommand.parse("/soc2 " + example).get()
        let name = usage.split(separator: " ")[0]
        #expect(String(describing: command).hasPrefix(name), "`\(example)` parsed as \(command)")
    }

    @Test
    func commandsNameTheAlertTheyActOn() throws {
        let acting = ["show A-3", "ack A-3", "snooze A-3 2d why", "escalate A-3", "close A-3 fixed", "accept A-3 30d why"]
        for input in acting {
            #expect(try SlashCommand.parse(input).get().alert == Self.a3, "\(input)")
        }
        for input in ["status", "list", "help"] {
            #expect(try SlashCommand.parse(input).get().alert == nil, "\(input)")
        }
    }
}
