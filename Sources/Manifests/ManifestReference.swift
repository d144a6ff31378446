import Core
import Foundation

/// The parts of `manifests/README.md` generated from the catalog's descriptors: the check types with their parameters
/// and the source kinds with their credentials and settings. `soc2bot reference --write manifests/README.md` rewrites
/// them in place, and a test checks the checked-in file equals what this generates, so the docs cannot drift.
package enum ManifestReference {
    /// A generated section: its name in the markers around it and its text.
    package struct Section: Sendable {
        package let name: String
        package let text: @Sendable (Catalog) -> String
        package var begin: String { "<!-- generated:\(name) (from the descriptors; `soc2bot reference --write manifests/README.md`) -->" }
        package var end: String { "<!-- end generated:\(name) -->" }
    }

    package static let sections: [Section] = [
        Section(name: "check-types", text: checkTypes),
        Section(name: "source-kinds", text: sourceKinds),
        Section(name: "chat-platforms", text: chatPlatforms),
    ]

    /// Why a document cannot be updated: a section's markers are missing or out of order.
    package struct MissingMarkers: Error, CustomStringConvertible {
        package let section: String
        package var description: String { "no `<!-- generated:\(section) … -->` … `<!-- end generated:\(section) -->` markers in the document" }
    }

    /// `document` with the text between each section's markers replaced by what `catalog` generates.
    package static func updating(_ document: String, catalog: Catalog) throws -> String {
        var result = document
        for section in sections {
            guard let begin = result.range(of: "<!-- generated:\(section.name) "),
                  let beginLineEnd = result[begin.upperBound...].firstIndex(of: "\n"),
                  let end = result.range(of: section.end, range: beginLineEnd..<result.endIndex) else {
                throw MissingMarkers(section: section.name)
            }
            result.replaceSubrange(begin.lowerBound..<end.upperBound, with: section.begin + "\n" + section.text(catalog) + section.end)
        }
        return result
    }

    /// Every generated section, each between its markers: what `soc2bot reference` prints.
    package static func text(_ catalog: Catalog) -> String {
        sections.map { $0.begin + "\n" + $0.text(catalog) + $0.end + "\n" }.joined(separator: "\n")
    }

    /// The check types table.
    @Sendable package static func checkTypes(_ catalog: Catalog) -> String {
        var lines = ["| type | passes when | reads facts | parameters (optional unless marked) | typical criteria |", "|---|---|---|---|---|"]
        for type in catalog.checkTypes {
            let reads = type.reads.map { "`\($0.rawValue)`" + (FactKind.botKept.contains($0) ? " (kept by the bot)" : "") }.joined(separator: ", ")
            let parameters = type.parameters.isEmpty ? "—" : type.parameters.map(describe).joined(separator: "<br>")
            lines.append("| `\(type.name)` | \(cell(type.summary)) | \(reads) | \(parameters) | \(type.typicalCriteria.joined(separator: ", ")) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The source kinds table.
    @Sendable package static func sourceKinds(_ catalog: Catalog) -> String {
        var lines = ["| kind | provides facts | credentials: role (default variable) | settings (optional unless marked) | reads |", "|---|---|---|---|---|"]
        for kind in catalog.sourceKinds {
            let provides = Set(kind.provides) == Set(FactKind.external) && kind.provides.count > 1
                ? "all external kinds" : kind.provides.map { "`\($0.rawValue)`" }.joined(separator: ", ")
            let credentials = kind.credentials.isEmpty ? "—" : kind.credentials.map { role in
                (role.required ? "" : "optional ") + "`\(role.name)`" + (role.defaultVariable.map { " (`\($0)`)" } ?? (role.required ? " (**no default**: name it)" : ""))
                    + ": " + cell(role.help)
            }.joined(separator: "<br>")
            let settings = kind.settings.isEmpty ? "—" : kind.settings.map(describe).joined(separator: "<br>")
            lines.append("| `\(kind.name)` | \(provides) | \(credentials) | \(settings) | \(cell(kind.summary)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The chat platforms table: each `chat.<id>` block's keys, from the adapters' descriptions.
    @Sendable package static func chatPlatforms(_ catalog: Catalog) -> String {
        var lines = ["| `chat.<id>` | keys (optional unless marked) | environment variables | what it is |", "|---|---|---|---|"]
        for kind in catalog.chatPlatforms where kind.configurable {
            let settings = kind.settings.isEmpty ? "—" : kind.settings.map(describe).joined(separator: "<br>")
            let variables = kind.variables.isEmpty ? "—" : kind.variables.map { "`\($0)`" }.joined(separator: ", ")
            lines.append("| `\(kind.platform.rawValue)` | \(settings) | \(variables) | \(cell(kind.summary)) |")
        }
        let routed = catalog.chatPlatforms.filter { !$0.configurable }.map { "`\($0.platform.rawValue)`" }
        if !routed.isEmpty {
            lines.append("")
            lines.append("Routed to without configuration: \(routed.joined(separator: ", ")).")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// "`sla` (duration, default `24h`): time allowed …"; required ones say so.
    private static func describe(_ spec: SettingSpec) -> String {
        var attributes = [spec.kind.description]
        if spec.required { attributes.append("**required**") }
        if let value = spec.defaultText { attributes.append("default `\(value)`") }
        return "`\(spec.name)` (\(attributes.joined(separator: ", "))): \(cell(spec.help))"
    }

    /// Text safe inside a Markdown table cell.
    private static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
