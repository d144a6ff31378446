import Core
import FactSources
import Testing

@Suite("Live sources")
struct LiveSourcesTests {
    /// No kind the manifests may name is left without a client: the built-in ones are made by the bot itself.
    @Test func everyKnownKindHasAClient() {
        let builtIn: Set<String> = ["demo", "vendor_register"]
        let missing = SourceRegistry.kinds.map(\.name).filter { !SourceRegistry.liveKinds.contains($0) && !builtIn.contains($0) }
        #expect(missing.isEmpty, "no client for \(missing)")
    }
}
