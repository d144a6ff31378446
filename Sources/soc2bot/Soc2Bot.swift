import ArgumentParser
import Foundation

/// soc2bot: continuous SOC 2 control monitoring with chat-ops alerts and a verifiable evidence ledger.
@main
struct Soc2Bot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soc2bot",
        abstract: "Watches SOC 2 controls, routes failures to the owning team's chat, and keeps a hash-chained evidence ledger.",
        subcommands: [Demo.self, Run.self, Check.self, Validate.self, Status.self, Alerts.self, Metrics.self, Digest.self, Evidence.self, TrustCenterCommand.self])
}

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Directory of manifest YAML files.")
    var manifests: String = "manifests"
    @Option(name: .long, help: "SQLite database file.")
    var database: String = "soc2bot.sqlite"
}

/// Exit codes shared by the commands.
enum Exit {
    static let problems = ExitCode(1)
    static let errors = ExitCode(2)
}
