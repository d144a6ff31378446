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

    /// A direct address that names a person by e-mail (`mailto:dana@example.com`) because the manifests have no
    /// chat id for them on that platform; the surface looks the user up when it delivers.
    package static let emailAddressPrefix = "mailto:"
    /// The e-mail address of a `mailto:` direct address.
    package var email: String? {
        address.hasPrefix(Self.emailAddressPrefix) ? String(address.dropFirst(Self.emailAddressPrefix.count)) : nil
    }
}

/// What a chat delivery does on its platform.
package enum DeliveryKind: String, Sendable, Codable, CaseIterable {
    /// A new top-level message for an alert; its reference is stored on the alert.
    case post
    /// Edit the alert's message in place and add a line to its thread.
    case update
    /// A direct message to a person (escalation).
    case direct
    /// A reply to a command, not tied to an alert message.
    case reply
}

/// A delivered message's address on its platform: Slack channel + ts, Matrix room + event id, terminal line.
package struct MessageRef: Sendable, Equatable, Codable {
    package var platform: ChatPlatform
    package var channel: String
    package var messageID: String
    package init(platform: ChatPlatform, channel: String, messageID: String) {
        self.platform = platform; self.channel = channel; self.messageID = messageID
    }
}
