import Core
import Foundation
import Yams

/// Loads a directory of YAML manifests into a validated `BotConfig`, or reports every problem in them.
///
/// Every `*.yaml` / `*.yml` file directly inside the directory is read in name order (except `slack-app.yaml`,
/// the Slack app manifest kept beside them). The lists (`people`,
/// `teams`, `controls`, `sources`, `security_leads`) of all files are concatenated; `organisation`, `routing` and
/// `escalation` may each appear once in total. `manifests/README.md` is the reference for the format.
package enum ManifestLoader {
    /// Reads every `*.yaml`/`*.yml` file directly inside `directory` (not subdirectories), in name order, and
    /// returns the validated config, or every problem found (never just the first). Source kinds, their settings
    /// and credentials, and check types and their parameters are validated against `catalog` (the CLI, the demo and
    /// the tests pass `Catalog.builtIn`; a test may pass its own).
    package static func load(directory: URL, catalog: Catalog) -> Result<BotConfig, ManifestProblems> {
        let directoryPath = display(directory)
        let names: [String]
        switch manifestFileNames(in: directory, skipping: Set(catalog.chatPlatforms.flatMap(\.ownFiles))) {
        case .success(let found): names = found
        case .failure(let problem): return .failure(ManifestProblems(problems: [problem]))
        }

        var draft = ManifestDraft()
        var problems: [ManifestProblem] = []
        for name in names {
            let path = directoryPath.hasSuffix("/") ? directoryPath + name : directoryPath + "/" + name
            var decoder = ManifestFileDecoder(file: path, catalog: catalog)
            switch parse(directory.appendingPathComponent(name), path: path) {
            case .success(let root): decoder.decode(root: root)
            case .failure(let problem): problems.append(problem)
            }
            problems += decoder.log.problems
            draft.append(decoder.draft)
        }

        var linker = ManifestLinker(draft: draft, catalog: catalog)
        let config = linker.link()
        problems += linker.log.problems
        if let config, problems.isEmpty { return .success(config) }
        return .failure(ManifestProblems(problems: problems))
    }

    /// The directory as the caller wrote it (relative paths stay relative), without a trailing slash.
    private static func display(_ directory: URL) -> String {
        var path = directory.relativePath
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }


    /// The manifest file names directly inside `directory`, sorted; a problem when there is no directory or no file.
    /// `skipping`: files kept beside the manifests that are not soc2bot manifests (a chat platform's app manifest,
    /// `ChatPlatformKind.ownFiles`).
    private static func manifestFileNames(in directory: URL, skipping: Set<String>) -> Result<[String], ManifestProblem> {
        let path = display(directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .failure(.init(file: path, line: 1, column: 1, message: "manifest directory `\(path)` does not exist",
                                  fix: "pass the directory holding your *.yaml manifests, or copy the starter set from `manifests/`"))
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            return .failure(.init(file: path, line: 1, column: 1, message: "cannot list manifest directory `\(path)`",
                                  fix: "check that it is readable by the user running soc2bot"))
        }
        let names = entries.filter { name in
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml"), !name.hasPrefix("."), !skipping.contains(name) else { return false }
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue
        }.sorted()
        guard !names.isEmpty else {
            return .failure(.init(file: path, line: 1, column: 1, message: "no *.yaml or *.yml manifest in `\(path)`",
                                  fix: "add manifests (see manifests/README.md), or point at the directory that has them"))
        }
        return .success(names)
    }

    /// The file's YAML tree (nil for an empty file), or its read or syntax error as a positioned problem.
    private static func parse(_ url: URL, path: String) -> Result<Node?, ManifestProblem> {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return .failure(.init(file: path, line: 1, column: 1, message: "cannot read the file",
                                  fix: "check that it is readable by the user running soc2bot"))
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            return .failure(.init(file: path, line: 1, column: 1, message: "the file is not UTF-8 text",
                                  fix: "save it as UTF-8"))
        }
        do {
            return .success(try YamlLimits.compose(yaml))
        } catch let refusal as YamlLimits.Refusal {
            return .failure(.init(file: path, line: refusal.line, column: refusal.column, message: refusal.message, fix: refusal.fix))
        } catch let error as YamlError {
            return .failure(YamlSyntaxProblem.problem(for: error, file: path, yaml: yaml))
        } catch {
            return .failure(.init(file: path, line: 1, column: 1, message: "cannot parse YAML: \(error)",
                                  fix: "check the file with a YAML linter"))
        }
    }
}
