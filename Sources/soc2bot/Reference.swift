import ArgumentParser
import Checks
import Core
import Foundation
import Manifests

/// `soc2bot reference`: the check types and source kinds of this build, as the manifests reference documents them,
/// generated from their descriptors.
struct Reference: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the reference of check types and source kinds (generated from their descriptors), or rewrite it in a file.")

    @Option(name: .long, help: "Rewrite the generated sections of this Markdown file in place (e.g. manifests/README.md) instead of printing.")
    var write: String?

    func run() throws {
        guard let path = write else {
            print(ManifestReference.text(.builtIn), terminator: "")
            return
        }
        do {
            let document = try String(contentsOfFile: path, encoding: .utf8)
            let updated = try ManifestReference.updating(document, catalog: .builtIn)
            if updated != document { try updated.write(toFile: path, atomically: true, encoding: .utf8) }
            print(updated == document ? "\(path): up to date" : "\(path): updated")
        } catch {
            standardError("soc2bot: \(path): \(error)")
            throw ExitCode(1)
        }
    }
}
