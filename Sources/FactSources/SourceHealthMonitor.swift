import Core
import Foundation
import Synchronization

/// Records how each source's reads go, so a broken integration — revoked credentials, a removed permission, an API
/// that answers garbage — raises its own alert (`integration_health` controls) instead of only turning other
/// controls' results into errors. In memory: after a restart it fills again as controls read their sources.
package final class SourceHealthMonitor: Sendable {
    /// Per source, per read (the fact kinds asked, sorted and joined; "" for a chat platform's connection): the
    /// latest outcome. Reads of one step run concurrently and finish in any order, so a source's health is made of
    /// every read's latest outcome — failing while any read fails — never of whichever read happened to finish last.
    private let health = Mutex<[SourceID: [String: SourceHealth]]>([:])
    let now: @Sendable () -> Date

    package init(now: @escaping @Sendable () -> Date) { self.now = now }

    /// One record per source: healthy when every read's latest outcome was; failing since its earliest failing read
    /// began, with that read's error (the first by fact kind name among equals); last read successfully at the latest success.
    package var snapshot: [SourceHealth] {
        health.withLock { $0 }.map { source, reads in
            let ordered = reads.sorted { $0.key < $1.key }.map(\.value)
            let failing = ordered.filter { !$0.healthy }
            let lastSuccessAt = ordered.compactMap(\.lastSuccessAt).max()
            guard let first = failing.min(by: { ($0.failingSince ?? .distantFuture) < ($1.failingSince ?? .distantFuture) }) else {
                return SourceHealth(source: source, kind: ordered[0].kind, healthy: true, lastSuccessAt: lastSuccessAt)
            }
            return SourceHealth(source: source, kind: first.kind, healthy: false, lastSuccessAt: lastSuccessAt, failingSince: first.failingSince,
                                lastError: first.lastError)
        }.sorted { $0.source.rawValue < $1.source.rawValue }
    }

    /// Records a successful read of `facts` (or, for the chat platforms, a connection that works).
    package func succeeded(_ source: SourceID, kind: String, facts: Set<FactKind> = []) {
        let at = now()
        health.withLock { $0[source, default: [:]][Self.key(facts)] = SourceHealth(source: source, kind: kind, healthy: true, lastSuccessAt: at) }
    }

    /// Records a failed read of `facts` (or a chat platform's refused credential); `error` is shown as is, so it holds no secret.
    package func failed(_ source: SourceID, kind: String, facts: Set<FactKind> = [], error: String) {
        let at = now()
        health.withLock { all in
            let previous = all[source]?[Self.key(facts)]
            all[source, default: [:]][Self.key(facts)] = SourceHealth(source: source, kind: kind, healthy: false, lastSuccessAt: previous?.lastSuccessAt,
                                                                     failingSince: previous?.failingSince ?? at, lastError: error)
        }
    }

    private static func key(_ facts: Set<FactKind>) -> String { facts.map(\.rawValue).sorted().joined(separator: ",") }
}

/// A source whose reads are recorded by a `SourceHealthMonitor`.
package struct MonitoredSource: FactSource {
    let base: any FactSource
    let kind: String
    let monitor: SourceHealthMonitor
    package init(_ base: any FactSource, kind: String, monitor: SourceHealthMonitor) { self.base = base; self.kind = kind; self.monitor = monitor }

    package var id: SourceID { base.id }
    package var provides: Set<FactKind> { base.provides }
    package var answersLocally: Bool { base.answersLocally }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        do {
            let facts = try await base.facts(kinds)
            monitor.succeeded(id, kind: kind, facts: kinds)
            return facts
        } catch {
            monitor.failed(id, kind: kind, facts: kinds, error: "\(error)")
            throw error
        }
    }
}

/// The monitor's record as facts (`integrations`), for `integration_health` controls: one per watched source, those
/// not read since the bot started marked unread (`read` false) rather than left out, so a restart cannot make a
/// failing integration look healthy by silence.
package struct IntegrationHealthSource: FactSource {
    package let id: SourceID = "soc2bot.integrations"
    package let provides: Set<FactKind> = [.integrations]
    package var answersLocally: Bool { true }
    let monitor: SourceHealthMonitor
    /// The sources whose reads the monitor records, with their kinds.
    let watched: [(id: SourceID, kind: String)]
    package init(monitor: SourceHealthMonitor, watched: [(id: SourceID, kind: String)] = []) { self.monitor = monitor; self.watched = watched }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        if kinds.contains(.integrations) {
            let recorded = monitor.snapshot
            let unread = watched.filter { source in !recorded.contains { $0.source == source.id } }
                .map { SourceHealth(source: $0.id, kind: $0.kind, healthy: false, read: false) }
            facts.integrations = (recorded + unread).sorted { $0.source.rawValue < $1.source.rawValue }
        }
        return facts
    }
}
