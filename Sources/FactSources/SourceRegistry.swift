import Core
import Foundation
import HTTP

/// Every source kind of this build, one line each. A new source kind adds its folder (client + descriptor) and one
/// line here; validation, the live client and the manifests reference follow.
package enum SourceRegistry {
    package static let descriptors: [SourceDescriptor] = [
        BuiltInSources.demo,
        AWSSource.descriptor,
        GitHubSource.descriptor,
        GitLabSource.descriptor,
        OktaSource.descriptor,
        GoogleWorkspaceSource.descriptor,
        EntraSource.descriptor,
        BambooHRSource.descriptor,
        CSVHRSource.descriptor,
        JamfSource.descriptor,
        IntuneSource.descriptor,
        FleetSource.descriptor,
        KnowBe4Source.descriptor,
        CSVTrainingSource.descriptor,
        BuiltInSources.vendorRegister,
        OCSFSource.descriptor,
        GCPSource.descriptor,
        AzureSource.descriptor,
    ]

    /// Every kind's description, in registration order.
    package static var kinds: [SourceKind] { descriptors.map(\.kind) }

    package static func descriptor(kind name: String) -> SourceDescriptor? { descriptors.first { $0.kind.name == name } }
    package static func kind(named name: String) -> SourceKind? { descriptor(kind: name)?.kind }

    /// The `settings:` of `config`, read through its kind's specs; nil for a kind this build does not know.
    package static func settings(of config: SourceConfig) -> DescribedSettings? { kind(named: config.kind)?.settings(config) }

    /// The kinds with a live client in this build.
    package static var liveKinds: Set<String> { Set(descriptors.filter { $0.factory != nil }.map(\.kind.name)) }

    /// The live client for `config`, or nil when its kind has none in this build. Each client reads its credentials
    /// from `environment` by the variable names in the manifests (else the role's default) and throws
    /// `SourceError.unavailable` (with what to set) when it cannot be set up; `Bot.sources` turns that into an
    /// `UnavailableSource` whose checks report `error`.
    package static func client(for config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                               clock: any BotClock) throws -> (any FactSource)? {
        guard let factory = descriptor(kind: config.kind)?.factory else { return nil }
        return try factory(config, environment, transport, clock)
    }
}
