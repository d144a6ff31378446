import Foundation
import Synchronization

/// The bot's database: alerts, resource tracks, check runs, outbox, cursors and the evidence ledger, reached through
/// the repositories of `StoreTransaction` in `write` and `read` transactions. Which database holds them is the
/// backend's business (`StoreBackend`); `BotDatabase+SQLite` opens the embedded SQLite file.
package struct BotDatabase: Sendable {
    package let backend: any StoreBackend
    /// Moves as write transactions through this value and its copies begin and end.
    private let writes = WriteCount()
    /// The reads made ahead, at the end of the bot's own writes (`readAhead`).
    private let aheads = ReadsAhead()

    package init(backend: any StoreBackend) {
        self.backend = backend
    }

    /// A count that moves each time a write transaction of this process (through this value or its copies) begins
    /// and each time one ends, committed or not: taken before a read, when it has not moved since, nothing this process
    /// wrote can have changed what the read found — a write under way during the read moves it when it ends. Another
    /// process's writes are not counted (`changes` is nil when there can be none).
    package var writeCount: Int { writes.value }

    /// Where the database is, for messages: the SQLite file's path (`:memory:` in tests), or a server's address.
    package var path: String { backend.location }

    /// Runs `body` in one write transaction: everything in it lands together or not at all. Inside a step of
    /// leader-only work (`LeaderFence.epoch` set) the transaction first checks that the step's epoch is still the
    /// current one, and throws `NotLeaderError` without running `body` otherwise.
    @discardableResult
    package func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        writes.add()
        defer { writes.add() }
        // The end-of-write reads of the loop's works (not of every write: a delivery's, an inbound command's).
        let reader = ReadPlacement.endOfWrite.flatMap { $0.reads(self) ? $0 : nil }
        let ahead = reader != nil ? aheads.registered : [:]
        var read: (any Sendable)?
        var readAhead: (mark: StoreChangeMark, values: [String: any Sendable])?
        var writesInside = 0
        let value = try ReadPlacement.$insideWrite.withValue(true) {
            try backend.write { transaction in
                if let epoch = LeaderFence.epoch { try transaction.requireLeader(epoch: epoch) }
                let value = try body(transaction)
                // A read that fails leaves nothing for the reader: it reads on its own afterwards.
                if let reader { read = try? reader.read(transaction) }
                if !ahead.isEmpty, let mark = try? transaction.changeMark() {
                    readAhead = (mark, ahead.compactMapValues { try? $0(transaction) })
                }
                // Taken while this write holds the database: a write begun since has moved it already, and one that
                // ends later moves it past this write's end, so a count equal to this + 1 means nothing was written since.
                writesInside = writes.value
                return value
            }
        }
        // Committed: what was read is the database as this write left it.
        if let reader, let read { reader.committed(read, writesAfter: writesInside + 1) }
        if let readAhead { aheads.keep(readAhead.values, mark: readAhead.mark) }
        return value
    }

    /// Whether `other` is this database (a copy of this value), not another opened on the same file.
    package func isSame(as other: BotDatabase) -> Bool { writes === other.writes }

    /// `read` of this database, as the bot's own works ask it before each step (a manual control's evidence, the vendor
    /// renewals): once asked here, it is also read at the end of each write of the loop's works (`ReadPlacement.endOfWrite`),
    /// in the write, and that value is the answer while nothing has been written since, through the writer connection
    /// or another (the store's change mark: rows changed through the writer and its `data_version`, one statement).
    /// Elsewhere (outside the works, inside a write, on a store that cannot tell) it is `read(_:)`. `key` names the
    /// read; equal keys must read the same.
    package func readAhead<T: Sendable>(_ key: String, _ read: @escaping @Sendable (StoreTransaction) throws -> T) throws -> T {
        guard ReadPlacement.onWriter, let mark = try backend.changeMark() else { return try self.read(read) }
        // (Unwrapped first: a missing value cast to an optional `T` would be a nil answer.)
        if let stored = aheads.value(key, mark: mark), let kept = stored as? T { return kept }
        let value = try self.read(read)
        aheads.register(key) { try read($0) }
        return value
    }

    /// Who leads among the replicas on this database (`Leadership`): always this process on SQLite; on a server, the
    /// replica holding its advisory lock, tried again every `retryInterval` seconds.
    package func leadership(retryInterval: TimeInterval = StoreLeadershipDefaults.retryInterval) -> any Leadership {
        backend.leadership(retryInterval: retryInterval)
    }

    /// Runs `body` on a consistent read snapshot.
    package func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try backend.read(body)
    }

    /// Runs `operation` with every read it makes of a bot database — outside a write of it — placed on the connection
    /// that writes (`ReadPlacement`): for the bot's own works, whose reads mostly follow their own writes.
    package static func readingAfterOwnWrites<T>(_ operation: () async throws -> T) async rethrows -> T {
        try await ReadPlacement.$afterOwnWrites.withValue(true) { try await operation() }
    }

    /// Run before a process starts appending to the ledger (`run`, `demo`); see `StoreBackend.prepareLedgerForAppending`.
    ///
    /// Costs one full verification: 1.1 s for a million entries on SQLite (release build, the 2-core development VM;
    /// see `soc2bot-bench --only verify`, which times this too).
    package func prepareLedgerForAppending(now: Date) throws -> LedgerStartCheck {
        try backend.prepareLedgerForAppending(now: now)
    }

    /// The name this process's dispatchers hold outbox claims under: one per process sharing the database.
    package var claimer: String { backend.claimer }

    /// What other processes sharing the database change, as it happens; nil when no other process writes to it.
    package var changes: (any StoreChanges)? { backend.changes }

    /// A moment the ledger head's time is known to be at or after without reading it: the latest this process's committed
    /// writes appended at (`StoreBackend.latestAppendHere`).
    package var latestAppendHere: Date? { backend.latestAppendHere }

    /// Releases the database's connections. Nothing may use it afterwards.
    package func close() throws {
        try backend.close()
    }
}

/// Where a read runs. On SQLite a read normally takes one of the pool's reader connections, so it runs beside a write
/// under way. But a reader's page cache is dropped whenever another connection has committed since its last read (WAL
/// mode), and GRDB asks each pooled read for the schema version first: a read right after a write of the same process
/// re-reads from the log every page it touches. The bot's own works (the loop, the timed services) read mostly what
/// their last step wrote; their reads run on the writer connection instead, whose cache holds what it wrote — a
/// deferred transaction there is the same consistent snapshot (about a tenth of a year's steps, `soc2bot-bench --only
/// year`). A read inside a write keeps the reader connections (the writer is busy with that write). Other backends
/// ignore it.
package enum ReadPlacement {
    /// Reads go to the writer connection (`BotDatabase.readingAfterOwnWrites`).
    @TaskLocal package static var afterOwnWrites = false
    /// A write transaction is under way in this task (`BotDatabase.write`).
    @TaskLocal package static var insideWrite = false
    /// Whether a read starting now goes to the writer connection.
    package static var onWriter: Bool { afterOwnWrites && !insideWrite }
    /// Reads at the end of each write transaction of this task, in it (`WriteEndReading`).
    @TaskLocal package static var endOfWrite: (any WriteEndReading)?
}

/// What a task reads at the end of each of its write transactions, inside it (`ReadPlacement.endOfWrite`): what it
/// would read right after the write, without a transaction of its own. Given only when the write committed, with the
/// write count (`BotDatabase.writeCount`) the database has once that write ended.
package protocol WriteEndReading: Sendable {
    /// Whether it reads at the end of writes of `database` (the work's task may write to another).
    func reads(_ database: BotDatabase) -> Bool
    func read(_ transaction: StoreTransaction) throws -> any Sendable
    func committed(_ read: any Sendable, writesAfter: Int)
}

/// The reads registered with `BotDatabase.readAhead` and what the last write of the bot's own works read of them.
private final class ReadsAhead: Sendable {
    private let readers = Mutex<[String: @Sendable (StoreTransaction) throws -> any Sendable]>([:])
    private let kept = Mutex<(mark: StoreChangeMark, values: [String: any Sendable])?>(nil)
    var registered: [String: @Sendable (StoreTransaction) throws -> any Sendable] { readers.withLock { $0 } }
    func register(_ key: String, _ read: @escaping @Sendable (StoreTransaction) throws -> any Sendable) {
        readers.withLock { $0[key] = read }
    }
    func keep(_ values: [String: any Sendable], mark: StoreChangeMark) {
        kept.withLock { $0 = (mark, values) }
    }
    func value(_ key: String, mark: StoreChangeMark) -> (any Sendable)? {
        kept.withLock { kept in
            guard let kept, kept.mark == mark else { return nil }
            return kept.values[key]
        }
    }
}

private final class WriteCount: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    func add() { count.add(1, ordering: .releasing) }
}
