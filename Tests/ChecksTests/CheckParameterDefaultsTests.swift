@testable import Checks
import Core
import FactSources
import Foundation
import Testing

/// Every check type reads its parameters through its descriptor: a parameter left out means exactly its documented
/// default, and a check reads no key its descriptor does not declare.
@Suite("Check parameter defaults")
struct CheckParameterDefaultsTests {
    /// The check built from its required parameters (and, for a type that needs one of two optional ones, every
    /// parameter without a default) plus `extra`, described field by field.
    static func built(_ type: CheckType, _ extra: [String: ConfigValue] = [:]) throws -> String {
        var parameters = extra
        for spec in type.parameters where spec.required { parameters[spec.name] = CheckFactoryTests.sample(spec) }
        if CheckFactoryTests.oneOfTypes.contains(type.name) {
            for spec in type.parameters where spec.defaultValue == nil && parameters[spec.name] == nil { parameters[spec.name] = CheckFactoryTests.sample(spec) }
        }
        var text = ""
        dump(try CheckFactory.make(CheckSpec(type: type.name, parameters: parameters)), to: &text)
        // Sorted lines: two equal sets or dictionaries may list their members in different orders.
        return text.split(separator: "\n").sorted().joined(separator: "\n")
    }

    /// For every parameter with a default: a check built without it is the one built with the default written out. A
    /// default changed in one place only (the check's code or its descriptor) fails here.
    @Test(arguments: CheckRegistry.types.map(\.name))
    func aParameterLeftOutMeansItsDocumentedDefault(_ name: String) throws {
        let type = try #require(CheckRegistry.type(named: name))
        let leftOut = try Self.built(type)
        for spec in type.parameters where spec.defaultValue != nil && !spec.required {
            let written = try Self.built(type, [spec.name: try #require(spec.defaultValue)])
            #expect(written == leftOut, "\(name): `\(spec.name): \(spec.defaultText ?? "")` written out builds another check than leaving it out")
            // The comparison can tell: another valid value builds another check.
            let other = CheckFactoryTests.sample(spec)
            if other != spec.defaultValue {
                #expect(try Self.built(type, [spec.name: other]) != leftOut, "\(name): `\(spec.name)` seems not to be read")
            }
        }
    }

    /// Every default a check type declares is a value of its own kind (a duration that parses, one of the allowed
    /// values), read as the check reads it.
    @Test(arguments: CheckRegistry.types.map(\.name))
    func everyDefaultFitsItsSpec(_ name: String) throws {
        let type = try #require(CheckRegistry.type(named: name))
        let parameters = DescribedSettings.parameters(of: type, values: [:])
        for spec in type.parameters where spec.defaultValue != nil {
            switch spec.kind {
            case .string, .oneOf: _ = try parameters.string(spec.name)
            case .strings: _ = try parameters.strings(spec.name)
            case .bool: _ = try parameters.bool(spec.name)
            case .number: _ = try parameters.number(spec.name)
            case .integer: _ = try parameters.integer(spec.name)
            case .numbers: _ = try parameters.numbers(spec.name)
            case .duration: _ = try parameters.duration(spec.name)
            case .url: _ = try parameters.url(spec.name)
            case .path: _ = try parameters.path(spec.name)
            case .map: _ = try parameters.map(ifSet: spec.name)
            }
        }
    }

    /// A check's factory that reads a key its type does not declare throws `SettingsError.undeclared`, which
    /// `CheckFactory.make` passes on (the table above would fail on it for every registered type).
    @Test func aFactoryReadingAnUndeclaredKeyThrows() {
        let type = CheckType(name: "probe", summary: "reads `every`, declares nothing", reads: [.accounts], typicalCriteria: [])
        let descriptor = CheckDescriptor(type) { p in MFACheck(systems: nil, privilegedOnly: try p.bool("every")) }
        #expect(throws: SettingsError.undeclared(owner: "check type `probe`", key: "every")) { try descriptor.make(CheckSpec(type: "probe")) }
    }
}

