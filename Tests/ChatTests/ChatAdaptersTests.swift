import Core
import Testing
@testable import Chat

/// The one list of chat platforms: every platform has exactly one adapter, and the adapter says how commands are typed.
@Suite("Chat adapters")
struct ChatAdaptersTests {
    @Test func everyPlatformHasExactlyOneAdapter() {
        #expect(ChatAdapters.builtIn.map(\.platform).sorted() == ChatPlatform.allCases.sorted())
    }

    @Test func theCommandPrefixIsTheAdapters() {
        #expect(ChatAdapters.commandPrefix(for: .slack) == "/soc2")
        #expect(ChatAdapters.commandPrefix(for: .matrix) == "!soc2")
        #expect(ChatAdapters.commandPrefix(for: .terminal) == "/soc2")
    }

}
