import Core
import Foundation
import HTTP

/// One source kind: its description (facts provided, credential roles with their default variables, settings
/// schema) and the factory of its live client. Each lives in its source's folder (`AWS/AWSSource+Descriptor.swift`)
/// and is listed once in `SourceRegistry.descriptors`.
package struct SourceDescriptor: Sendable {
    /// Builds a live client from a validated source config; throws `SourceError.unavailable` (saying what to set)
    /// for what only the running bot can know: a variable not set, a file not there.
    package typealias Factory = @Sendable (_ config: SourceConfig, _ environment: [String: String], _ transport: any HTTPTransport,
                                           _ clock: any BotClock) throws -> any FactSource

    package let kind: SourceKind
    /// Nil for the kinds the bot builds itself (`demo`, `vendor_register`: see `Bot.sources`).
    package let factory: Factory?

    /// - Parameter network: whether its client talks to a service (then it takes the limiter's settings); a file source does not.
    package init(_ kind: SourceKind, network: Bool = true, factory: Factory?) {
        var kind = kind
        // Every client of a service reads through its own limiter (`SourceLimits`): the same two settings for each kind.
        if factory != nil, network { kind.settings += SettingSpec.sourceLimits.filter { limit in !kind.settings.contains { $0.name == limit.name } } }
        self.kind = kind; self.factory = factory
    }
}

extension SettingSpec {
    /// The settings of every live source's limiter (`SourceLimits`): requests in flight at once and started per second.
    package static let sourceLimits = [
        SettingSpec("max_concurrency", .integer, default: .number(Double(SourceLimits.defaultMaxConcurrency)), range: Double(SourceLimits.concurrencyRange.lowerBound)...Double(SourceLimits.concurrencyRange.upperBound),
                    help: "requests to this source in flight at once, across all of a step's reads"),
        SettingSpec("requests_per_second", .number, range: SourceLimits.rateRange,
                    help: "requests started per second, spaced evenly (default: no limit but the concurrency and the server's 429s)"),
    ]
}

extension SourceDescriptor {
    /// The `settings:` of `config`, read through this kind's specs (defaults included). A value that does not fit its
    /// spec (a config built without validation) is `SourceError.unavailable` naming `settings.<key>`; a key the specs
    /// do not declare is `SettingsError.undeclared`.
    package func settings(_ config: SourceConfig) -> DescribedSettings {
        kind.settings(config)
    }
}

extension SourceKind {
    /// The `settings:` of `config`, read through this kind's specs: see `SourceDescriptor.settings(_:)`.
    package func settings(_ config: SourceConfig) -> DescribedSettings {
        let source = config.id
        return DescribedSettings(specs: settings, values: config.settings, owner: "source kind `\(name)`") { key, reason in
            SourceError.unavailable(source: source, reason: "settings.\(key) \(reason)")
        }
    }
}
