import Core
import Foundation
import Synchronization

/// Records how each source's reads go, so a broken integration — revoked credentials, a removed permission, an API
/// that answers garbage — raises its own alert (`integration_health` controls) instead of only turning other
/// controls' results into errors. In memory: after a restart it fills again as controls read their sources.
package final class SourceHealthMonitor: Sendable {
    private let health = Mutex<[SourceID: SourceHealth]>([:])
    let now: @Sendable () -> Date

    package init(now: @escaping @Sendable () -> Date) { self.now = now }

    package var snapshot: [SourceHealth] { health.withLock { Array($0.values) }.sorted { $0.source.rawValue < $1.source.rawValue } }

    /// Records a successful read (or, for the chat platforms, a connection that works).
    package func succeeded(_ source: SourceID, kind: String) {
        let at = now()
        health.withLock { $0[source] = SourceHealth(source: source, kind: kind, healthy: true, lastSuccessAt: at) }
    }

    /// Records a failed read (or a chat platform's refused credential); `error` is shown as is, so it holds no secret.
    package func failed(_ source: SourceID, kind: String, error: String) {
        let at = now()
        health.withLock { all in
            let previous = all[source]
            all[source] = SourceHealth(source: source, kind: kind, healthy: false, lastSuccessAt: previous?.lastSuccessAt,
                                       failingSince: previous?.failingSince ?? at, lastError: error)
        }
    }
}

/// A source whose reads are recorded by a `SourceHealthMonitor`.
package struct MonitoredSource: FactSource {
    let base: any FactSource
    let kind: String
    let monitor: SourceHealthMonitor
    package init(_ base: any FactSource, kind: String, monitor: SourceHealthMonitor) { self.base = base; self.kind = kind; self.monitor = monitor }

    package var id: SourceID { base.id }
    package var provides: Set<FactKind> { base.provides }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        do {
            let facts = try await base.facts(kinds)
            monitor.succeeded(id, kind: kind)
            return facts
        } catch {
            monitor.failed(id, kind: kind, error: "\(error)")
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
