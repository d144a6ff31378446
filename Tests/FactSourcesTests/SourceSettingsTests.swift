import _CryptoExtras
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// Every live source kind reads its settings through its descriptor: a setting left out means exactly its documented
/// default, and a source reads no key its descriptor does not declare (`validate` would refuse it).
@Suite("Source settings")
struct SourceSettingsTests {
    /// A valid value for each required setting of a live kind (only what the kind's own checks need beyond the spec).
    static let required: [String: ConfigValue] = [
        "github.organization": .string("acme"),
        "gitlab.group": .string("acme/platform"),
        "okta.base_url": .string("https://acme.okta.com"),
        "google_workspace.admin_email": .string("it-admin@acme.example"),
        "entra.tenant_id": .string("acme.onmicrosoft.com"),
        "intune.tenant_id": .string("acme.onmicrosoft.com"),
        "azure.tenant_id": .string("acme.onmicrosoft.com"),
        "azure.subscriptions": .list([.string("00000000-0000-0000-0000-000000000001")]),
        "bamboohr.subdomain": .string("acme"),
        "csv_hr.path": .string("people.csv"),
        "csv_training.path": .string("training.csv"),
        "jamf.base_url": .string("https://acme.jamfcloud.com"),
        "fleet.base_url": .string("https://fleet.acme.example"),
        "ocsf.path": .string("scans"),
        "gcp.projects": .list([.string("acme-prod")]),
    ]

    static let googleKey = FakeGoogle.keyFile(privateKey: try! _RSA.Signing.PrivateKey(keySize: .bits2048))

    /// Every credential role's default variable set, as a deployment that names none would have them.
    static func environment(_ kind: SourceKind) -> [String: String] {
        var environment: [String: String] = [:]
        for role in kind.credentials {
            guard let variable = role.defaultVariable else { continue }
            environment[variable] = role.name == "service_account_key" ? googleKey : "test-\(role.name)"
        }
        return environment
    }

    static var liveKinds: [String] { SourceRegistry.descriptors.filter { $0.factory != nil }.map(\.kind.name) }

    /// The kind's source built from its required settings plus `extra`, described field by field: two sources whose
    /// descriptions are equal were built alike.
    static func built(_ kind: String, _ extra: [String: ConfigValue] = [:]) throws -> String {
        let descriptor = try #require(SourceRegistry.descriptor(kind: kind))
        var settings = extra
        for spec in descriptor.kind.settings where spec.required {
            settings[spec.name] = try #require(required["\(kind).\(spec.name)"], "add a sample for \(kind).\(spec.name)")
        }
        let config = SourceConfig(id: SourceID(kind), kind: kind, settings: settings)
        let source = try SourceRegistry.client(for: config, environment: environment(descriptor.kind), transport: CannedTransport([]),
                                               clock: TestClock(start: Date(timeIntervalSince1970: 1_800_000_000)))
        var text = ""
        dump(try #require(source), to: &text)
        return DescriptionDifference.normalised(text)
    }

    /// Built from nothing but its required settings, every live kind reads only keys it declares, each as the kind
    /// declared (a `SettingsError` here names the key).
    @Test(arguments: liveKinds)
    func everyLiveKindBuildsFromItsRequiredSettingsAlone(_ kind: String) throws {
        _ = try Self.built(kind)
    }

    /// A valid value for any setting of a live kind: the required sample, else the default, else one of its kind.
    static func sample(_ kind: String, _ spec: SettingSpec) -> ConfigValue {
        if let value = required["\(kind).\(spec.name)"] ?? spec.defaultValue { return value }
        if kind == "aws", spec.name == "assume_roles" { return .list([.string("arn:aws:iam::123456789012:role/audit")]) }
        return switch spec.kind {
        case .string: .string("example")
        case .strings: .list([.string("example")])
        case .bool: .bool(true)
        case .number, .integer: .number(spec.range.map { max($0.lowerBound, min(1, $0.upperBound)) } ?? 1)
        case .numbers: .list([.number(1)])
        case .duration: .string("2d")
        case .url: .string("https://example.com")
        case .path: .string("file.json")
        case .oneOf(let values): .string(values[0])
        case .map: .map([:])
        }
    }

    /// With every documented setting written, every live kind still builds: the keys read only when others are set
    /// (an endpoint, a role list, a key file) are declared and read as declared too.
    @Test(arguments: liveKinds)
    func everyLiveKindBuildsWithEveryDocumentedSetting(_ kind: String) throws {
        let descriptor = try #require(SourceRegistry.descriptor(kind: kind))
        _ = try Self.built(kind, Dictionary(uniqueKeysWithValues: descriptor.kind.settings.map { ($0.name, Self.sample(kind, $0)) }))
    }

    /// For every setting with a default: a source built without the key is the one built with the default written out.
    /// A default changed in one place only (the code's or the descriptor's) fails here.
    @Test(arguments: liveKinds)
    func aSettingLeftOutMeansItsDocumentedDefault(_ kind: String) throws {
        let descriptor = try #require(SourceRegistry.descriptor(kind: kind))
        let withDefaults = descriptor.kind.settings.filter { $0.defaultValue != nil && !$0.required }
        let leftOut = try Self.built(kind)
        for spec in withDefaults {
            let written = try Self.built(kind, [spec.name: try #require(spec.defaultValue)])
            #expect(written == leftOut, "\(kind): `\(spec.name): \(spec.defaultText ?? "")` written out builds another source than leaving it out: \(DescriptionDifference.lines(written, leftOut))")
        }
        // The comparison can tell: a value other than the default builds another source.
        if let spec = withDefaults.first(where: { $0.kind == .bool }) {
            #expect(try Self.built(kind, [spec.name: .bool(!(spec.defaultValue?.bool ?? false))]) != leftOut)
        }
    }

    /// Every default a source kind declares is a value of its own kind (within its range, among its allowed values).
    @Test(arguments: SourceRegistry.kinds.map(\.name))
    func everyDefaultFitsItsSpec(_ kind: String) throws {
        let sourceKind = try #require(SourceRegistry.kind(named: kind))
        try Self.readEveryDefault(sourceKind.settings(SourceConfig(id: "x", kind: kind)))
    }

    /// Reads every spec's default with the read of its kind; throws what a default that does not fit would.
    package static func readEveryDefault(_ settings: DescribedSettings) throws {
        for spec in settings.specs where spec.defaultValue != nil {
            switch spec.kind {
            case .string, .oneOf: _ = try settings.string(spec.name)
            case .strings: _ = try settings.strings(spec.name)
            case .bool: _ = try settings.bool(spec.name)
            case .number: _ = try settings.number(spec.name)
            case .integer: _ = try settings.integer(spec.name)
            case .numbers: _ = try settings.numbers(spec.name)
            case .duration: _ = try settings.duration(spec.name)
            case .url: _ = try settings.url(spec.name)
            case .path: _ = try settings.path(spec.name)
            case .map: _ = try settings.map(ifSet: spec.name)
            }
        }
    }
}

extension SourceSettingsTests {
    /// A source's factory that reads a key its kind does not declare fails with `SettingsError.undeclared`, passed on
    /// by `SourceDescriptor.factory` (the tables above would fail on it for every registered kind).
    @Test func aFactoryReadingAnUndeclaredKeyThrows() {
        let kind = SourceKind(name: "probe", summary: "reads `verbose`, declares nothing", provides: [.accounts])
        let descriptor = SourceDescriptor(kind, network: false) { config, _, _, _ in
            _ = try kind.settings(config).bool(ifSet: "verbose")
            throw SourceError.unavailable(source: config.id, reason: "not reached")
        }
        #expect(throws: SettingsError.undeclared(owner: "source kind `probe`", key: "verbose")) {
            try descriptor.factory?(SourceConfig(id: "probe", kind: "probe"), [:], CannedTransport([]), TestClock())
        }
    }
}

/// Two `dump`s of values compared as what they hold: memory addresses (a key's BoringSSL handle) blanked, and lines
/// sorted, since two equal dictionaries may list their entries in different orders.
enum DescriptionDifference {
    static func normalised(_ text: String) -> String {
        text.replacing(try! Regex("0x[0-9a-fA-F]+"), with: "0x…").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
            .joined(separator: "\n")
    }

    /// The lines one has and the other lacks, for a failure message.
    static func lines(_ written: String, _ leftOut: String) -> String {
        let (a, b) = (Set(written.split(separator: "\n")), Set(leftOut.split(separator: "\n")))
        return "written out has \(a.subtracting(b).sorted()), left out has \(b.subtracting(a).sorted())"
    }
}
