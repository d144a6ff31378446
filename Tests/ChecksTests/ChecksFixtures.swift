@testable import Checks
import Core
import FactSources
import Foundation
import Testing

/// Fixed times and helpers for the check tests. Nothing here reads the wall clock.
enum CheckFixture {
    /// 2026-02-25 06:13:20 UTC: "now" for every evaluation unless a test says otherwise.
    static let now = Date(timeIntervalSince1970: 1_772_000_000)
    static let hour: TimeInterval = 3_600
    static let day: TimeInterval = 86_400

    /// `now` moved by `offset` seconds (negative: in the past).
    static func at(_ offset: TimeInterval) -> Date { now.addingTimeInterval(offset) }

    /// The check a manifest's `check: {type: …, …}` builds.
    static func check(_ type: String, _ parameters: [String: ConfigValue] = [:]) throws -> any ControlCheck {
        try CheckFactory.make(CheckSpec(type: type, parameters: parameters))
    }

    /// Builds `type` with `parameters` and evaluates it on `facts` at `now`.
    static func evaluate(_ type: String, _ parameters: [String: ConfigValue] = [:], _ facts: Facts,
                         at date: Date = now) throws -> [CheckResult] {
        try check(type, parameters).evaluate(facts, at: date)
    }

    static func names(_ values: String...) -> ConfigValue { .list(values.map(ConfigValue.string)) }
    static func numbers(_ values: Double...) -> ConfigValue { .list(values.map(ConfigValue.number)) }
}

extension Facts {
    /// Facts with the given kinds filled in; the others stay nil, as the runner leaves kinds a check does not read.
    init(people: [HRPerson]? = nil, accounts: [Account]? = nil, buckets: [Bucket]? = nil, networkRules: [NetworkRule]? = nil,
         auditTrails: [AuditTrail]? = nil, repositories: [Repository]? = nil, training: [TrainingRecord]? = nil,
         vendors: [Vendor]? = nil, devices: [Device]? = nil, vulnerabilities: [Vulnerability]? = nil) {
        self.init()
        self.people = people; self.accounts = accounts; self.buckets = buckets; self.networkRules = networkRules
        self.auditTrails = auditTrails; self.repositories = repositories; self.training = training
        self.vendors = vendors; self.devices = devices; self.vulnerabilities = vulnerabilities
    }
}

extension [CheckResult] {
    /// The one result for the resource whose id is `id`; records an issue when there is not exactly one.
    func only(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CheckResult {
        let matching = filter { $0.resource.id == id }
        try #require(matching.count == 1, "\(matching.count) results for \(id) in \(map(\.resource.id))", sourceLocation: sourceLocation)
        return matching[0]
    }
    var ids: [String] { map(\.resource.id) }
}

extension CheckStatus {
    var isError: Bool { if case .error = self { true } else { false } }
    var message: String? { if case .error(let message) = self { message } else { nil } }
}
