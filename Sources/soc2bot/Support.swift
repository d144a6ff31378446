import ArgumentParser
import Checks
import Core
import Foundation
import Logging
import Manifests
import PostgresStore
import Store
import Synchronization

/// Serialises writes to stdout from the loop, the dispatcher and the input reader.
final class Output: Sendable {
    private let lock = Mutex(())
    func write(_ text: String) {
        lock.withLock { _ in
            FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
        }
    }
}

func standardError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Loads and validates the manifests, or prints every problem and exits.
func loadConfig(_ directory: String, exitCode: ExitCode = Exit.problems) throws -> BotConfig {
    switch ManifestLoader.load(directory: URL(fileURLWithPath: directory), catalog: .builtIn) {
    case .success(let config):
        return config
    case .failure(let problems):
        standardError(problems.description)
        standardError("\(problems.problems.count) problem\(problems.problems.count == 1 ? "" : "s") in \(directory); nothing was started.")
        throw exitCode
    }
}

/// The clock of every command: what "now" is for `status`, `metrics`, `digest`, `check` and `evidence`, and the
/// clock `run` gives the bot (the demo makes its own, simulated one).
let systemClock: any BotClock = SystemClock()

/// Opens the database `--database` names (SQLite or PostgreSQL: `StoreAddress` is the one place that tells them
/// apart), refusing an unknown schema or a foreign, damaged or unreachable database, with exit 2. `readOnly` (every
/// command but `run`): the database must exist and is never changed, not even migrated. With `requireIntactLedger`
/// (the commands that append to the ledger, never read-only ones) it also refuses a broken evidence chain and puts
/// back dropped append-only triggers.
func openDatabase(_ option: DatabaseOption, readOnly: Bool, requireIntactLedger: Bool = true) throws -> BotDatabase {
    let database: BotDatabase
    do { database = try option.address.open(readOnly ? .readOnly : .readWrite) } catch let error as StoreError {
        standardError("soc2bot: \(error)")
        throw Exit.errors
    }
    if requireIntactLedger && !readOnly { try prepareLedgerForAppending(database, now: systemClock.now()) }
    return database
}

/// Before appending: exit 2 on a broken evidence chain (naming the first bad entry); a warning when the append-only
/// triggers had to be put back (the ledger records it too).
func prepareLedgerForAppending(_ database: BotDatabase, now: Date) throws {
    let check: LedgerStartCheck
    do { check = try database.prepareLedgerForAppending(now: now) } catch let broken as BrokenLedgerError {
        standardError("soc2bot: \(broken)")
        throw Exit.errors
    }
    warnIfTriggersRestored(check, path: database.path)
}

/// Says on stderr that the append-only triggers were put back, when they were.
func warnIfTriggersRestored(_ check: LedgerStartCheck, path: String) {
    if !check.restoredTriggers.isEmpty {
        standardError("soc2bot: warning: \(path): the evidence ledger's append-only triggers (\(check.restoredTriggers.joined(separator: ", "))) "
                      + "were dropped or altered outside soc2bot. The chain still verifies (\(check.entries) entries); the triggers are restored, "
                      + "recorded as ledger entry \(check.recordedAt.map { String($0.seq) } ?? "?").")
    }
}

/// Logs to stderr; `SOC2BOT_LOG_LEVEL` (trace…critical) sets the level, default warning.
func makeLogger(_ label: String = "soc2bot") -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = ProcessInfo.processInfo.environment["SOC2BOT_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return logger
}

/// Parses a DATE option: `2026-03-01` or ISO 8601.
func parseDate(_ text: String, option: String) throws -> Date {
    guard let date = TimeText.parse(text) else {
        throw ValidationError("\(option) must be a date such as 2026-03-01 or 2026-03-01T00:00:00Z, not `\(text)`")
    }
    return date
}

/// The help of every `--framework` option.
let frameworkHelp = ArgumentHelp("Whose criteria to group and name by: \(Framework.allCases.map(\.rawValue).joined(separator: ", ")) (default soc2).")

/// `--framework soc2|iso27001|hipaa|pci|cis`, or a usage error naming the choices.
func parseFramework(_ text: String) throws -> Framework {
    guard let framework = Framework(name: text) else {
        throw ValidationError("--framework must be \(Framework.allCases.map(\.rawValue).joined(separator: ", ")), not `\(text)`")
    }
    return framework
}
