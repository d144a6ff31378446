import ArgumentParser
import Chat
import Core
import Foundation
import Reports
import Store

/// `soc2bot digest --preview`: the weekly digest as it would be posted now, printed instead of sent.
struct Digest: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the weekly digest as it would be posted (nothing is sent or recorded).")
    @OptionGroup var common: CommonOptions
    @Flag(name: .long, help: "Print instead of posting (the only mode: the bot itself posts on the `digest:` schedule).")
    var preview = false
    @Option(name: .long, help: "As of this time (default now), e.g. the demo's simulated time.")
    var at: String?
    @Option(name: .long, help: "Also save the trend charts (PNG) in this directory.")
    var charts: String?

    func run() throws {
        guard preview else { throw ValidationError("use --preview: the running bot posts the digest on the manifests' `digest:` schedule") }
        let config = try loadConfig(common.manifests)
        let database = try openDatabase(common.database, readOnly: true, requireIntactLedger: false)
        let now = try at.map { try parseDate($0, option: "--at") } ?? systemClock.now()
        let digest = try database.read { try WeeklyDigest.build(config: config, store: $0, now: now) }
        let renderer = TerminalRenderer(colour: false)
        if digest.messages.isEmpty { print("No channel to post to: teams have no channels and `digest.leadership` is not set.") }
        for (destination, message) in digest.messages {
            print(renderer.render(message, destination: destination, kind: "digest"))
            if let image = message.image, let charts {
                print("  Saved to \(try image.save(in: URL(fileURLWithPath: charts)).path)")
            }
        }
    }
}
