import ArgumentParser
import Foundation
import Postgres
import Store

/// soc2bot: continuous SOC 2 control monitoring with chat-ops alerts and a verifiable evidence ledger.
@main
struct Soc2Bot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soc2bot",
        abstract: "Watches SOC 2 controls, routes failures to the owning team's chat, and keeps a hash-chained evidence ledger.",
        subcommands: [Demo.self, Run.self, Check.self, Validate.self, Status.self, Alerts.self, Metrics.self, Digest.self, Evidence.self, StoreCommand.self, TrustCenterCommand.self, Reference.self])

    /// ArgumentParser's `main`, except that a database problem met mid-command (a damaged row or page) is reported as
    /// what it is with exit 2, as when the database cannot be opened, never as exit 1 (manifest problems) or a trap.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as StoreError {
            standardError("soc2bot: \(error)")
            exit(withError: Exit.errors)
        } catch let error as PostgresError {
            // The server went away or refused a statement mid-command (its URL's password is never in the message).
            standardError("soc2bot: \(error)")
            exit(withError: Exit.errors)
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Directory of manifest YAML files.")
    var manifests: String = "manifests"
    @Option(name: .long, help: DatabaseOption.help)
    var database = DatabaseOption("soc2bot.sqlite")
}

/// Exit codes shared by the commands.
enum Exit {
    static let problems = ExitCode(1)
    static let errors = ExitCode(2)
}
