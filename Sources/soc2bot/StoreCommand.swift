import ArgumentParser
import Foundation
import PostgresStore
import Store

/// `soc2bot store copy`: moves a deployment's database (SQLite ⇄ PostgreSQL).
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Move the bot's database to another one.",
                                                    subcommands: [Copy.self])

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every table and the evidence ledger into an empty database (SQLite to PostgreSQL or back), verified before and after.",
            discussion: """
                Stop the bot first. The source's ledger must verify; the target must be empty (a new file, or a new \
                PostgreSQL database: createdb). Everything is written in one transaction that, before it commits, \
                verifies the copied ledger and compares its head and every table's rows with the source: a copy that \
                does not match leaves the target empty. Exit 2 when refused.
                """)
        @Option(name: .long, help: ArgumentHelp("The database to copy (not changed): an SQLite file or postgres://USER@HOST:5432/DB.", valueName: "path-or-url"))
        var from: DatabaseOption
        @Option(name: .long, help: ArgumentHelp("The empty database to copy into: postgres://USER@HOST:5432/DB, or a new SQLite file.", valueName: "url-or-path"))
        var to: DatabaseOption

        func validate() throws {
            guard from.address != to.address else { throw ValidationError("--from and --to name the same database") }
        }

        func run() throws {
            let source = try openDatabase(from, readOnly: true, requireIntactLedger: false)
            var createdFile: String?
            if case .sqlite(let path) = to.address, !FileManager.default.fileExists(atPath: path) { createdFile = path }
            let target = try openDatabase(to, readOnly: false, requireIntactLedger: false)
            let summary: StoreCopy.Summary
            do {
                summary = try StoreCopy.copy(from: source, to: target)
            } catch {
                // A file made for the copy holds nothing of it: take it away, so the next attempt starts clean.
                try? target.close()
                if let createdFile { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: createdFile + suffix) } }
                standardError("soc2bot store copy: \(error)")
                throw Exit.errors
            }
            try target.close()
            print("copied \(source.path) to \(target.path):")
            for (table, count) in summary.rows where table != .ledger { print("  \(table.rawValue): \(count) row\(count == 1 ? "" : "s")") }
            if !summary.leftBehind.isEmpty {
                print("  not copied (the target's kind of store has no place for them): \(summary.leftBehind.joined(separator: ", "))")
            }
            if case .intact(let entries, let head) = summary.ledger {
                print("  ledger: \(entries) entr\(entries == 1 ? "y" : "ies"), head \(head): verified in the source before, and in the target before it committed")
            }
        }
    }
}
