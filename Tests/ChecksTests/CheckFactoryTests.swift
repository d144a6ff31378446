@testable import Checks
import Core
import FactSources
import Foundation
import Testing

@Suite("Check factory")
struct CheckFactoryTests {
    /// A valid value for each parameter kind the catalog declares.
    static func sample(_ parameter: SettingSpec) -> ConfigValue {
        if parameter.name == "releases" { return .list([.string("macOS 15.2 2026-10-28")]) }
        return switch parameter.kind {
        case .duration: .string("2d")
        case .number: .number(2)
        case .bool: .bool(true)
        case .integer: .number(2)
        case .string: .string("high")
        case .strings: .list([.string("GitHub")])
        case .numbers: .list([.number(1)])
        case .url: .string("https://example.com")
        case .path: .string("file.json")
        case .oneOf(let values): .string(values[0])
        case .map: .map([:])
        }
    }

    static let oneOfTypes: Set<String> = ["edr_present"]

    @Test(arguments: CheckRegistry.types.map(\.name))
    func everyCatalogTypeIsBuildable(_ name: String) throws {
        let type = try #require(CheckRegistry.type(named: name))
        // Only the parameters the catalog marks required (the manifests validator insists on those) — except for
        // types that need one of two optional ones (edr_present: `app` or `policy`), which say so with a bad-parameter
        // error and build with every documented parameter.
        let required = Dictionary(uniqueKeysWithValues: type.parameters.filter(\.required).map { ($0.name, Self.sample($0)) })
        let all = Dictionary(uniqueKeysWithValues: type.parameters.map { ($0.name, Self.sample($0)) })
        let check: any ControlCheck
        do { check = try CheckFactory.make(CheckSpec(type: name, parameters: required)) } catch CheckError.badParameter {
            #expect(Self.oneOfTypes.contains(name), "\(name) refuses its required parameters alone")
            check = try CheckFactory.make(CheckSpec(type: name, parameters: all))
        }
        #expect(check.reads == Set(type.reads), "the catalog and the implementation disagree on what \(name) reads")
    }

    @Test(arguments: CheckRegistry.types.map(\.name))
    func everyDocumentedParameterIsAccepted(_ name: String) throws {
        let type = try #require(CheckRegistry.type(named: name))
        let parameters = Dictionary(uniqueKeysWithValues: type.parameters.map { ($0.name, Self.sample($0)) })
        _ = try CheckFactory.make(CheckSpec(type: name, parameters: parameters))
    }

    @Test
    func unknownTypeThrows() {
        #expect(throws: CheckError.unknownCheckType("mfa_enforced")) {
            try CheckFactory.make(CheckSpec(type: "mfa_enforced"))
        }
    }

    struct BadParameter: Sendable, CustomTestStringConvertible {
        let type: String
        let name: String
        let value: ConfigValue
        init(_ type: String, _ name: String, _ value: ConfigValue) { self.type = type; self.name = name; self.value = value }
        var testDescription: String { "\(type).\(name) = \(value)" }
    }

    static let badParameters: [BadParameter] = [
        BadParameter("offboarding", "sla", .number(24)),
        BadParameter("offboarding", "sla", .string("a day")),
        BadParameter("offboarding", "systems", .number(3)),
        BadParameter("offboarding", "systems", .list([.string("GitHub"), .number(3)])),
        BadParameter("mfa", "privileged_only", .string("yes")),
        BadParameter("inactive_accounts", "max_idle", .string("90 days")),
        BadParameter("inactive_accounts", "max_idle", .string("3mo")),
        BadParameter("storage_encryption", "require_kms", .number(1)),
        BadParameter("network_exposure", "ports", .number(22)),
        BadParameter("network_exposure", "ports", .list([.string("ssh")])),
        BadParameter("branch_protection", "required_reviews", .string("two")),
        BadParameter("branch_protection", "repositories", .list([.number(1)])),
        BadParameter("training", "valid_for", .string("1y")),
        BadParameter("training", "warn_before", .bool(true)),
        BadParameter("vendor_reports", "tiers", .list([.bool(true)])),
        BadParameter("vendor_reports", "valid_for", .list([])),
        BadParameter("vulnerabilities", "min_severity", .string("urgent")),
        BadParameter("vulnerabilities", "min_severity", .string("High")),
        BadParameter("vulnerabilities", "max_age", .bool(true)),
    ]

    @Test(arguments: badParameters)
    func badParameterThrowsNamingIt(_ row: BadParameter) {
        let error = #expect(throws: CheckError.self) {
            try CheckFactory.make(CheckSpec(type: row.type, parameters: [row.name: row.value]))
        }
        guard case .badParameter(let name, _)? = error else {
            Issue.record("expected badParameter, got \(String(describing: error))")
            return
        }
        #expect(name == row.name)
    }
}
