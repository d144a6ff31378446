import Core
import Testing
@testable import Chat

/// The one list of chat platforms: every platform has exactly one adapter, and the adapter says how commands are typed.
@Suite("Chat adapters")
struct ChatAdaptersTests {
    @Test func everyPlatformHasExactlyOneAdapter() {
        let platforms = ChatAdapters.builtIn.map(\.platform)
        #expect(Set(platforms).count == platforms.count)
        #expect(Set(platforms) == [.slack, .matrix, .terminal])
        // Each adapter describes its own platform, and its id reads back as that platform where actions are recorded.
        #expect(ChatAdapters.builtIn.allSatisfy { $0.kind.platform == $0.platform })
        #expect(ChatAdapters.builtIn.allSatisfy { Surface(rawValue: $0.platform.rawValue) == .chat($0.platform) })
    }

    @Test func onlySlackDirectsPeopleByEmail() {
        #expect(ChatAdapters.kinds.filter(\.directsByEmail).map(\.platform) == [.slack])
    }

    @Test func theCommandPrefixIsTheAdapters() {
        #expect(ChatAdapters.commandPrefix(for: .slack) == "/soc2")
        #expect(ChatAdapters.commandPrefix(for: .matrix) == "!soc2")
        #expect(ChatAdapters.commandPrefix(for: .terminal) == "/soc2")
    }

}
