import ArgumentParser
import Core
import Foundation
import Logging
import Manifests
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
    switch ManifestLoader.load(directory: URL(fileURLWithPath: directory)) {
    case .success(let config):
        return config
    case .failure(let problems):
        standardError(problems.description)
        standardError("\(problems.problems.count) problem\(problems.problems.count == 1 ? "" : "s") in \(directory); nothing was started.")
        throw exitCode
    }
}

/// Opens the database, refusing an unknown schema, a foreign or damaged database or a broken evidence chain, with
/// exit 2. `readOnly` (every command but `run`): the file must exist and is never changed, not even migrated.
func openDatabase(_ path: String, readOnly: Bool, requireIntactLedger: Bool = true) throws -> BotDatabase {
    let database: BotDatabase
    do { database = try readOnly ? BotDatabase.openReadOnly(path: path) : BotDatabase.open(path: path) } catch let error as StoreError {
        standardError("soc2bot: \(error)")
        throw Exit.errors
    }
    if requireIntactLedger {
        let verdict = try database.read { try $0.verifyLedger() }
        if case .broken = verdict {
            standardError("soc2bot: \(path): \(verdict). The evidence chain was altered outside soc2bot; refusing to start. Inspect it with `soc2bot evidence verify`, restore from backup.")
            throw Exit.errors
        }
    }
    return database
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
