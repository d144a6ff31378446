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
                                           _ now: @escaping @Sendable () -> Date) throws -> any FactSource

    package let kind: SourceKind
    /// Nil for the kinds the bot builds itself (`demo`, `vendor_register`: see `Bot.sources`).
    package let factory: Factory?

    package init(_ kind: SourceKind, factory: Factory?) {
        self.kind = kind; self.factory = factory
    }
}
