import Core
import Foundation

/// The one command grammar every surface speaks: `/soc2 …` on Slack and the terminal, `!soc2 …` on Matrix.
/// It drives parsing, the help text and dispatch.
package enum SlashCommand: Sendable, Equatable {
    case status
    /// `list [team|severity|state]`
    case list(filter: String?)
    case show(AlertID)
    case ack(AlertID)
    case snooze(AlertID, duration: TimeInterval, rationale: String)
    case escalate(AlertID, note: String?)
    case close(AlertID, remediation: String, link: String?)
    case accept(AlertID, duration: TimeInterval, rationale: String)
    /// `note A-3 <what was done> [link]`: remediation evidence on any alert, ended ones too; changes no state.
    case note(AlertID, note: String, link: String?)
    /// `certify <system> [note]`: the access review of a system is done.
    case certify(system: String, note: String?)
    /// `vendor renew <vendor> <period end> <link>`: a vendor's new SOC 2 report is on file.
    case vendorRenew(vendor: String, periodEnd: Date, link: String)
    /// `attest <policy>`: the person has read the current version of a policy.
    case attest(policy: String)
    /// `evidence <control> <what was done> [link]`: a manual control's evidence for this period.
    case evidence(control: String, note: String, link: String?)
    case help

    /// Every command's usage line and summary, in help order. The single source of the help text.
    package static let reference: [(name: String, usage: String, summary: String)] = [
        ("status", "status", "readiness: open alerts by severity, breached SLAs, what needs attention"),
        ("list", "list [team|severity|state]", "open alerts, optionally only one team's, severity's or state's"),
        ("show", "show A-3", "one alert with its full history"),
        ("ack", "ack A-3", "acknowledge: you are on it (stops the escalation timer)"),
        ("snooze", "snooze A-3 2d <rationale>", "silence until then, with a reason; it re-fires when the snooze ends"),
        ("escalate", "escalate A-3 [note]", "hand it to the next level (team manager, then security lead)"),
        ("close", "close A-3 <remediation> [link]", "closed with what was done; recorded as evidence"),
        ("accept", "accept A-3 30d <rationale>", "accept the risk until then (security leads and admins)"),
        ("note", "note A-3 <what-was-done> [link]", "record what was done on any alert, ended ones too (evidence only)"),
        ("certify", "certify github [note]", "record that a system's access review is done (its reviewers)"),
        ("vendor", "vendor renew stripe 2026-09-30 <report-link>", "record a vendor's new SOC 2 report (its owner, security leads)"),
        ("attest", "attest acceptable-use", "attest that you have read the current version of a policy"),
        ("evidence", "evidence tabletop <what-was-done> [link]", "record a manual control's evidence (its team)"),
        ("help", "help", "this text"),
    ]

    /// The help text, with the prefix the surface uses (`/soc2` or `!soc2`).
    package static func helpText(prefix: String = "/soc2") -> String {
        let width = reference.map(\.usage.count).max() ?? 0
        return reference.map { entry in
            "\(prefix) \(entry.usage.padding(toLength: width, withPad: " ", startingAt: 0))  \(entry.summary)"
        }.joined(separator: "\n")
    }

    /// Parses the text after the command (a leading `/soc2` or `!soc2` is accepted and dropped).
    /// Unknown commands and missing arguments are errors whose description includes the usage or the help.
    package static func parse(_ input: String) -> Result<SlashCommand, CommandError> {
        var words = input.split(whereSeparator: \.isWhitespace).map(String.init)
        if let first = words.first, first == "/soc2" || first == "!soc2" || first == "soc2" { words.removeFirst() }
        guard let verb = words.first?.lowercased() else { return .success(.help) }
        let args = Array(words.dropFirst())

        func alertID() -> Result<AlertID, CommandError> {
            guard let text = args.first else { return .failure(.missingArgument(command: verb, what: "an alert id such as A-3")) }
            guard let id = AlertID(parsing: text) else { return .failure(.badArgument(command: verb, text, "is not an alert id such as A-3")) }
            return .success(id)
        }
        func window() -> Result<(AlertID, TimeInterval, String), CommandError> {
            alertID().flatMap { id in
                guard args.count >= 2 else { return .failure(.missingArgument(command: verb, what: "a duration such as 2d")) }
                let duration: TimeInterval
                switch DurationText.read(args[1]) {
                case .success(let seconds): duration = seconds
                case .failure(.outOfRange): return .failure(.badArgument(command: verb, args[1], "is longer than \(DurationText.maximumText)"))
                case .failure(.malformed): return .failure(.badArgument(command: verb, args[1], "is not a duration such as 4h, 2d or 1w"))
                }
                let rationale = args.dropFirst(2).joined(separator: " ")
                guard !rationale.isEmpty else { return .failure(.missingArgument(command: verb, what: "a rationale (why)")) }
                return .success((id, duration, rationale))
            }
        }

        switch verb {
        case "status": return .success(.status)
        case "help", "?": return .success(.help)
        case "certify":
            guard let system = args.first else { return .failure(.missingArgument(command: verb, what: "the system reviewed, such as github")) }
            return .success(.certify(system: system.lowercased(), note: args.count > 1 ? args.dropFirst().joined(separator: " ") : nil))
        case "vendor":
            guard args.first?.lowercased() == "renew" else {
                return .failure(.badArgument(command: verb, args.first ?? "", "is not a vendor command; usage: vendor renew <vendor> <period end> <report link>"))
            }
            guard args.count >= 4 else {
                return .failure(.missingArgument(command: "vendor renew", what: ["the vendor id", "the report's period end such as 2026-09-30", "a link to the report"][max(0, args.count - 1)]))
            }
            guard let end = TimeText.parse(args[2]) else { return .failure(.badArgument(command: "vendor renew", args[2], "is not a date such as 2026-09-30")) }
            guard args[3].hasPrefix("https://") || args[3].hasPrefix("http://") else {
                return .failure(.badArgument(command: "vendor renew", args[3], "is not a link (https://…) to the report"))
            }
            return .success(.vendorRenew(vendor: args[1].lowercased(), periodEnd: end, link: args[3]))
        case "attest":
            guard let policy = args.first else { return .failure(.missingArgument(command: verb, what: "the policy id, such as acceptable-use")) }
            return .success(.attest(policy: policy.lowercased()))
        case "evidence":
            guard let control = args.first else { return .failure(.missingArgument(command: verb, what: "the manual control's id")) }
            var rest = Array(args.dropFirst())
            var link: String?
            if let last = rest.last, last.hasPrefix("https://") || last.hasPrefix("http://") { link = last; rest.removeLast() }
            guard !rest.isEmpty else { return .failure(.missingArgument(command: verb, what: "what was done")) }
            return .success(.evidence(control: control, note: rest.joined(separator: " "), link: link))
        case "list", "ls": return .success(.list(filter: args.first?.lowercased()))
        case "show": return alertID().map(SlashCommand.show)
        case "ack", "acknowledge": return alertID().map(SlashCommand.ack)
        case "escalate":
            return alertID().map { .escalate($0, note: args.count > 1 ? args.dropFirst().joined(separator: " ") : nil) }
        case "snooze": return window().map { .snooze($0.0, duration: $0.1, rationale: $0.2) }
        case "accept": return window().map { .accept($0.0, duration: $0.1, rationale: $0.2) }
        case "close", "note":
            return alertID().flatMap { id in
                var rest = Array(args.dropFirst())
                var link: String?
                if let last = rest.last, last.hasPrefix("https://") || last.hasPrefix("http://") {
                    link = last
                    rest.removeLast()
                }
                guard !rest.isEmpty else { return .failure(.missingArgument(command: verb, what: "the remediation (what was done)")) }
                let text = rest.joined(separator: " ")
                return .success(verb == "note" ? .note(id, note: text, link: link) : .close(id, remediation: text, link: link))
            }
        default:
            return .failure(.unknownCommand(verb))
        }
    }

    /// The alert a command acts on, if any.
    package var alert: AlertID? {
        switch self {
        case .show(let id), .ack(let id), .snooze(let id, _, _), .escalate(let id, _), .close(let id, _, _), .accept(let id, _, _),
             .note(let id, _, _): id
        case .status, .list, .help, .certify, .vendorRenew, .attest, .evidence: nil
        }
    }
}

/// Why a command could not be parsed; the description ends with the usage or the help.
package enum CommandError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownCommand(String)
    case missingArgument(command: String, what: String)
    case badArgument(command: String, String, String)

    package var description: String { message(prefix: "/soc2") }

    /// The description with the surface's command prefix (`/soc2` on Slack and the terminal, `!soc2` on Matrix).
    package func message(prefix: String) -> String {
        switch self {
        case .unknownCommand(let verb):
            "Unknown command `\(verb)`. Commands:\n" + SlashCommand.helpText(prefix: prefix)
        case .missingArgument(let command, let what):
            "`\(command)` needs \(what). Usage: \(prefix) \(Self.usage(command))"
        case .badArgument(let command, let text, let problem):
            "`\(text)` \(problem). Usage: \(prefix) \(Self.usage(command))"
        }
    }

    private static func usage(_ verb: String) -> String {
        let canonical = ["acknowledge": "ack", "ls": "list"][verb] ?? verb
        return SlashCommand.reference.first { $0.name == canonical }?.usage ?? "help"
    }
}
