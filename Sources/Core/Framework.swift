import Foundation

/// A compliance framework whose criteria the reports can group and name the same alerts and ledger by
/// (`--framework`). SOC 2 is the bot's own: a control's `criteria:` and every alert's recorded criteria are SOC 2.
/// The others are mapped: a control's `frameworks:` override in the manifests, else its check type's default mapping
/// (`FrameworkMapping`). The criteria of each are listed in `FrameworkCatalog` with their sources.
package enum Framework: String, Sendable, CaseIterable, Codable, Comparable {
    case soc2, iso27001, hipaa, pci, cis

    /// The framework's name as an auditor writes it.
    package var title: String {
        switch self {
        case .soc2: "SOC 2 (AICPA Trust Services Criteria, 2017, revised points of focus 2022)"
        case .iso27001: "ISO/IEC 27001:2022 Annex A"
        case .hipaa: "HIPAA Security Rule (45 CFR 164.308–316)"
        case .pci: "PCI DSS v4.0"
        case .cis: "CIS Critical Security Controls v8"
        }
    }

    /// A short name for headings: `SOC 2`, `ISO 27001`.
    package var shortName: String {
        switch self {
        case .soc2: "SOC 2"
        case .iso27001: "ISO 27001"
        case .hipaa: "HIPAA"
        case .pci: "PCI DSS"
        case .cis: "CIS v8"
        }
    }

    /// The criteria of this framework, in the order the framework lists them.
    package var criteria: [FrameworkCriterion] { FrameworkCatalog.criteria(of: self) }

    /// The criterion with this id (as written in the framework; case-insensitive, `A.5.18` or `5.18` for ISO).
    package func criterion(_ id: String) -> FrameworkCriterion? { FrameworkCatalog.criterion(id, in: self) }

    /// Parses `--framework` and the manifests' framework keys; nil for an unknown name.
    package init?(name: String) {
        let lowered = name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        switch lowered {
        case "soc2": self = .soc2
        case "iso27001", "iso": self = .iso27001
        case "hipaa": self = .hipaa
        case "pci", "pcidss": self = .pci
        case "cis", "cisv8": self = .cis
        default: return nil
        }
    }

    package static func < (a: Framework, b: Framework) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    /// The group a report shows a control or an alert under when the framework maps none of its criteria (a manual
    /// control without an override, say): kept, never dropped.
    package static let unmapped = "unmapped"

    /// The criteria ids a control serves under this framework: SOC 2's from `criteria:`; another framework's from the
    /// control's `frameworks:` override when it names this framework, else from its check type's default mapping, else
    /// none (a manual control with no override).
    package func criteria(of control: Control) -> [String] {
        if self == .soc2 { return control.criteria.map(\.rawValue) }
        if let override = control.frameworkCriteria[self] { return override }
        return control.check.map { FrameworkMapping.defaults(for: $0.type, in: self) } ?? []
    }

    /// An alert's criteria under this framework, defined once for every report: SOC 2's are the criteria the alert
    /// recorded when it opened (what the control served then); another framework's are the mapping of the alert's control
    /// in the manifests as they stand (`criteria(of:)`), none when the control is gone from them.
    package func criteria(ofAlert recorded: [Criterion], control: Control?) -> [String] {
        if self == .soc2 { return recorded.map(\.rawValue) }
        return control.map(criteria(of:)) ?? []
    }

    /// The groups a report files a control under: its criteria, or `unmapped`.
    package func groups(of control: Control) -> [String] {
        let ids = criteria(of: control)
        return ids.isEmpty ? [Self.unmapped] : ids
    }

    /// The groups a report files an alert under: its criteria under this framework, or `unmapped`.
    package func groups(ofAlert recorded: [Criterion], control: Control?) -> [String] {
        let ids = criteria(ofAlert: recorded, control: control)
        return ids.isEmpty ? [Self.unmapped] : ids
    }

    /// Sorts criteria ids as the framework lists them (`A.5.9` before `A.5.10`; unknown ids last, by number).
    package func sorted(_ ids: some Sequence<String>) -> [String] {
        let order = Dictionary(criteria.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.sorted { a, b in
            switch (order[a], order[b]) {
            case let (x?, y?): x < y
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): a.compare(b, options: .numeric) == .orderedAscending
            }
        }
    }

    /// `A.5.18 Access rights`: the id with its title when the framework lists it.
    package func label(_ id: String) -> String {
        criterion(id).map { "\($0.id) \($0.title)" } ?? id
    }
}

/// One criterion of a framework: an id as the framework writes it and its title.
package struct FrameworkCriterion: Sendable, Equatable, Hashable {
    package var id: String
    package var title: String
    package init(_ id: String, _ title: String) { self.id = id; self.title = title }
}
