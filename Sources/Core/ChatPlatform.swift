/// A chat platform the bot can deliver to, by its id (`"slack"`): the `chat.<id>` key in the manifests, the key of
/// routes and chat ids, outbox destinations, where an action came from (`Surface.chat`). An open identifier: the
/// platforms are the adapters in `Chat` (`ChatAdapters.builtIn`), which declare their ids; Core names none. Encoded
/// as the bare id, as it always was. An id is never `cli`, `scenario` or `system` (those are the other surfaces).
package struct ChatPlatform: RawRepresentable, Codable, Sendable, Hashable, Comparable, CustomStringConvertible,
                             ExpressibleByStringLiteral {
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    package init(_ rawValue: String) { self.rawValue = rawValue }
    package init(stringLiteral value: String) { rawValue = value }
    package var description: String { rawValue }
    package static func < (lhs: ChatPlatform, rhs: ChatPlatform) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A chat platform as the manifests see it: its id, the keys its `chat.<id>` block takes and what the bot does
/// differently for it. Pure description, as `SourceKind` is; each adapter in `Chat` declares its own, and the catalog
/// the manifests are checked against lists them.
package struct ChatPlatformKind: Sendable {
    package var platform: ChatPlatform
    /// Whether the manifests configure it under `chat.<id>` (a platform that needs no connection, the terminal, is
    /// only routed to).
    package var configurable: Bool
    /// One line for the reference.
    package var summary: String
    /// The keys `chat.<id>` takes, checked as a source's `settings:` are.
    package var settings: [SettingSpec]
    /// The keys whose values name environment variables holding secrets, in the order `soc2bot validate` lists them.
    package var variables: [String]
    /// Whether a person with no chat id there is addressed by e-mail (`mailto:`): the surface looks the user up.
    package var directsByEmail: Bool
    /// Files kept beside the manifests for the platform's own tooling (an app manifest), which are not manifests.
    package var ownFiles: [String]
    /// What is wrong with a block beyond its keys' types (ids in the platform's format, a key another one needs),
    /// given its valid values.
    package var check: @Sendable (_ values: [String: ConfigValue]) -> [ChatSettingsProblem]
    /// Whether a block with these values needs the inbound HTTP server (the platform calls the bot).
    package var needsInboundServer: @Sendable (_ values: [String: ConfigValue]) -> Bool

    package init(platform: ChatPlatform, configurable: Bool = true, summary: String, settings: [SettingSpec] = [], variables: [String] = [],
                 directsByEmail: Bool = false, ownFiles: [String] = [],
                 check: @escaping @Sendable ([String: ConfigValue]) -> [ChatSettingsProblem] = { _ in [] },
                 needsInboundServer: @escaping @Sendable ([String: ConfigValue]) -> Bool = { _ in false }) {
        self.platform = platform; self.configurable = configurable; self.summary = summary; self.settings = settings
        self.variables = variables; self.directsByEmail = directsByEmail; self.ownFiles = ownFiles; self.check = check
        self.needsInboundServer = needsInboundServer
    }

    /// A configured block with these (valid) values, carrying what the bot needs of this platform's description.
    package func configured(_ values: [String: ConfigValue]) -> ChatSettings {
        ChatSettings(values: values, variableKeys: variables, directsByEmail: directsByEmail, needsInboundServer: needsInboundServer(values))
    }

    /// The block's values, read through its specs (as a source's settings are).
    package func described(_ values: [String: ConfigValue]) -> DescribedSettings {
        let owner = "chat.\(platform.rawValue)"
        return DescribedSettings(specs: settings, values: values, owner: "`\(owner)`") { key, reason in
            ChatSettingsProblem(key: key, message: "`\(owner).\(key)` \(reason)", fix: "")
        }
    }
}

/// One problem a platform finds in its `chat.<id>` block: about a key (reported where its value is) or the block.
package struct ChatSettingsProblem: Error, Sendable, Equatable, CustomStringConvertible {
    package var key: String?
    package var message: String
    package var fix: String
    package init(key: String?, message: String, fix: String) { self.key = key; self.message = message; self.fix = fix }
    package var description: String { message }
}

/// One configured `chat.<id>` block: its validated values and what the platform's description says of them.
package struct ChatSettings: Codable, Sendable, Equatable {
    package var values: [String: ConfigValue]
    /// The keys naming environment variables, in the platform's order.
    package var variableKeys: [String]
    /// Whether people without a chat id there are messaged by e-mail lookup.
    package var directsByEmail: Bool
    /// Whether the inbound HTTP server must run for it.
    package var needsInboundServer: Bool

    package init(values: [String: ConfigValue], variableKeys: [String] = [], directsByEmail: Bool = false, needsInboundServer: Bool = false) {
        self.values = values; self.variableKeys = variableKeys; self.directsByEmail = directsByEmail; self.needsInboundServer = needsInboundServer
    }

    /// The environment variables it names.
    package var variables: [String] { variableKeys.compactMap { values[$0]?.string } }
}

/// How the bot reaches each chat platform: the `chat.<id>` blocks the manifests configure, by platform. Secrets are
/// named by environment variable, never stored. Each adapter reads its own block (`Chat`).
package struct ChatConfig: Codable, Sendable, Equatable {
    package var platforms: [ChatPlatform: ChatSettings]

    package init(platforms: [ChatPlatform: ChatSettings] = [:]) { self.platforms = platforms }

    package subscript(_ platform: ChatPlatform) -> ChatSettings? {
        get { platforms[platform] }
        set { platforms[platform] = newValue }
    }

    /// Every environment variable the chat configuration names, platform by platform (by id).
    package var variables: [String] { platforms.sorted { $0.key < $1.key }.flatMap(\.value.variables) }
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
