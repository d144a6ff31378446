import Core
import FactSources
import Foundation

/// The reads of one step: each (source, fact kind) any of its controls needs, read once and shared by them all.
/// The systems under watch are read first, concurrently (at most `limit` reads at once; each source's own limits sit in
/// its transport); then the bot's own facts (reviews, attestations, integration health), so the integration-health
/// record a step judges holds every read the step made, whatever order they finished in.
package enum FactReads {
    /// One read: a source (by its position in the runner's list, so two sources sharing an id stay apart) and a kind.
    package struct Key: Hashable, Sendable {
        package let source: Int
        package let id: SourceID
        package let kind: FactKind
    }

    /// What a read gave: the facts, or the error a control needing them records (naming the source).
    package enum Outcome: Sendable {
        case read(Facts)
        case failed(String)
    }

    /// Reads every distinct key in `keys` once.
    package static func read(_ keys: [Key], from sources: [any FactSource], limit: Int) async -> [Key: Outcome] {
        var seen = Set<Key>()
        let distinct = keys.filter { seen.insert($0).inserted }
        let botKept = distinct.filter { sources[$0.source].provides.isSubset(of: FactKind.botKept) }
        let watched = distinct.filter { !sources[$0.source].provides.isSubset(of: FactKind.botKept) }
        var outcomes: [Key: Outcome] = [:]
        for phase in [watched, botKept] where !phase.isEmpty {
            // One read, or reads answered in this process, need no task of their own.
            var read: [Outcome] = []
            if phase.count == 1 || phase.allSatisfy({ sources[$0.source].answersLocally }) {
                for key in phase { read.append(await Self.read(key, from: sources[key.source])) }
            } else {
                read = (try? await boundedMap(phase, limit: limit) { key in await Self.read(key, from: sources[key.source]) }) ?? []
            }
            for (key, outcome) in zip(phase, read) { outcomes[key] = outcome }
        }
        return outcomes
    }

    private static func read(_ key: Key, from source: any FactSource) async -> Outcome {
        do {
            return .read(try await source.facts([key.kind]))
        } catch {
            // A SourceError already names its source; anything else gets the source's id in front.
            return .failed(error is SourceError ? "\(error)" : "source \(source.id): \(error)")
        }
    }
}
