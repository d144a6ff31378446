import Core
import Foundation
import HTTP

/// Findings from another scanner's OCSF output (Prowler's `-M json-ocsf`, or any producer of OCSF Detection
/// Findings), so its checks run through this bot's lifecycle, routing and ledger (`imported_findings` controls).
/// Read afresh on every run: importing the next scan resolves what passes in it or is gone from it.
///
/// Manifest: no credentials. `settings.path` (required) is a file, or a directory whose newest `*.json` /
/// `*.ocsf.json` file (by modification time) is the latest scan — point Prowler's `-o` at it. `settings.max_age`
/// (default 7d): a scan older than this is an error, never a pass — a scanner that stopped running must not keep
/// controls green.
package struct OCSFSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.findings] }
    let path: String
    let maxAge: TimeInterval
    let now: @Sendable () -> Date

    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let settings = Self.descriptor.settings(config)
        guard let path = try settings.path(ifSet: "path") else {
            throw SourceError.unavailable(source: config.id, reason: "set settings.path to the scanner's OCSF JSON output (a file or a directory of scans)")
        }
        self.path = path
        maxAge = try settings.duration("max_age")
        self.now = clock.nowFunction
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .findings, in: \.findings, system: "OCSF output") { try findings() }
    }

    func findings() throws -> [ImportedFinding] {
        let file = try latestScan()
        let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
        if let modified = attributes?[.modificationDate] as? Date, now().timeIntervalSince(modified) > maxAge {
            throw SourceError.unavailable(source: id, reason: "the newest scan (\(file.lastPathComponent), \(TimeText.human(modified))) is older than \(DurationText.format(maxAge)): is the scanner still running?")
        }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw SourceError.unavailable(source: id, reason: "cannot read \(file.path): \(error.localizedDescription)")
        }
        do { return try OCSFDetectionFinding.findings(in: data, file: file.lastPathComponent) } catch {
            throw SourceError.unavailable(source: id, reason: "\(error)")
        }
    }

    /// The file itself, or the directory's newest JSON file. Symbolic links are followed — `path` itself
    /// (`latest → scan-2026-…`, a directory or a file) and links among the directory's entries — so a scan is
    /// dated by the file it names, never by its link.
    func latestScan() throws -> URL {
        let url = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SourceError.unavailable(source: id, reason: "\(path) does not exist" + (url.path == path ? "" : " (it leads to \(url.path))"))
        }
        guard isDirectory.boolValue else { return url }
        let entries = (try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? []
        let scans = entries.filter { $0.pathExtension.lowercased() == "json" }.compactMap { entry -> (URL, Date)? in
            let file = entry.resolvingSymlinksInPath()
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let modified = attributes[.modificationDate] as? Date else { return nil }
            return (file, modified)
        }
        guard let newest = scans.max(by: { $0.1 == $1.1 ? $0.0.lastPathComponent < $1.0.lastPathComponent : $0.1 < $1.1 }) else {
            throw SourceError.unavailable(source: id, reason: "no *.json scan in \(path)")
        }
        return newest.0
    }
}
