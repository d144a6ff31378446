import ArgumentParser
import Foundation

/// `soc2bot validate`: every problem in the manifests, each at file:line:column; exit 1 if any.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the manifests and report every problem at once (exit 1 if any).")
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try loadConfig(common.manifests)
        let automated = config.controls.filter(\.isAutomated).count
        print("\(common.manifests): OK — \(config.controls.count) controls (\(automated) automated, \(config.controls.count - automated) manual), "
              + "\(config.teams.count) teams, \(config.people.count) people, \(config.sources.count) sources")
        let environment = ProcessInfo.processInfo.environment
        let missing = config.sources.flatMap { source in
            source.credentialVariables.values.filter { environment[$0] == nil }.map { "\(source.id): \($0)" }
        } + config.chat.variables.filter { environment[$0] == nil }.map { "chat: \($0)" }
        if !missing.isEmpty {
            print("note: these credential variables are not set in this environment (needed by `run`): \(missing.joined(separator: ", "))")
        }
    }
}
