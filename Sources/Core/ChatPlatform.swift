/// A chat platform the bot can deliver to. `terminal` is the local surface the demo prints to.
package enum ChatPlatform: String, CaseIterable, Codable, Sendable, Hashable, Comparable {
    case slack, matrix, terminal
    package static func < (lhs: ChatPlatform, rhs: ChatPlatform) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where a message goes: a channel (or room) on a platform, or a direct message to a person there.
package struct ChatDestination: Hashable, Codable, Sendable, CustomStringConvertible {
    package enum Kind: String, Codable, Sendable { case channel, direct }
    package var platform: ChatPlatform
    package var kind: Kind
    /// The channel id / room id for `channel`; the person's chat user id for `direct`.
    package var address: String

    package init(platform: ChatPlatform, kind: Kind, address: String) {
        self.platform = platform; self.kind = kind; self.address = address
    }
    package static func channel(_ platform: ChatPlatform, _ address: String) -> ChatDestination {
        .init(platform: platform, kind: .channel, address: address)
    }
    package static func direct(_ platform: ChatPlatform, _ address: String) -> ChatDestination {
        .init(platform: platform, kind: .direct, address: address)
    }
    package var description: String { "\(platform.rawValue):\(kind == .direct ? "dm:" : "")\(address)" }
}
