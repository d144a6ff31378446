import Core
import Foundation

extension ChatPlatform {
    /// Matrix: `chat.matrix` in the manifests.
    package static let matrix: ChatPlatform = "matrix"
}

/// Matrix's `chat.matrix` block, typed: one bot account on one homeserver, read through `MatrixSettings.kind`'s specs.
package struct MatrixSettings: Codable, Sendable, Equatable {
    /// The homeserver's client-server API base, e.g. `https://matrix.example.org` (no trailing `/`).
    package var homeserver: String
    /// The bot's full user id, `@soc2bot:example.org`.
    package var userID: String
    /// Environment variable holding an access token (preferred), or nil when the bot logs in with a password.
    package var accessTokenVariable: String?
    /// Environment variable holding the bot account's password, used when there is no access token.
    package var passwordVariable: String?
    /// The device the bot logs in as; fixed, so transaction ids stay meaningful across restarts.
    package var deviceID: String

    package init(homeserver: String, userID: String, accessTokenVariable: String? = nil, passwordVariable: String? = nil,
                 deviceID: String = "SOC2BOT") {
        self.homeserver = homeserver; self.userID = userID; self.accessTokenVariable = accessTokenVariable
        self.passwordVariable = passwordVariable; self.deviceID = deviceID
    }

    /// The block read through its specs (`chat.matrix`'s values as validation keeps them).
    package init(_ settings: DescribedSettings) throws {
        var homeserver = try settings.url("homeserver").absoluteString
        while homeserver.hasSuffix("/") { homeserver.removeLast() }
        self.init(homeserver: homeserver, userID: try settings.string("user_id"), accessTokenVariable: try settings.string(ifSet: "access_token"),
                  passwordVariable: try settings.string(ifSet: "password"), deviceID: try settings.string("device_id"))
    }

    /// The block's values, as the manifests would write them.
    package var values: [String: ConfigValue] {
        var values: [String: ConfigValue] = ["homeserver": .string(homeserver), "user_id": .string(userID), "device_id": .string(deviceID)]
        values["access_token"] = accessTokenVariable.map(ConfigValue.string)
        values["password"] = passwordVariable.map(ConfigValue.string)
        return values
    }

    /// What the manifests and the reference know of Matrix: `chat.matrix`'s keys and what they need.
    package static let kind = ChatPlatformKind(
        platform: .matrix,
        summary: "Matrix: alerts as `m.notice`s edited in place and threaded; `!soc2` commands and reactions over `/sync`",
        settings: [
            SettingSpec("homeserver", .url, required: true, help: "the homeserver's client-server API base, e.g. `https://matrix.example.org`"),
            SettingSpec("user_id", .string, required: true, help: "the bot's account, e.g. `@soc2bot:example.org` (quote it: it starts with @)"),
            SettingSpec("access_token", .string, help: "the environment variable holding the bot's access token (preferred)"),
            SettingSpec("password", .string, help: "the environment variable holding the bot's password, used when there is no access token"),
            SettingSpec("device_id", .string, default: .string("SOC2BOT"), help: "the device the bot signs in as (letters, digits, `_`, `-`)"),
        ],
        variables: ["access_token", "password"],
        check: problems)

    /// The user id and device id in Matrix's format; a secret to sign in with.
    @Sendable static func problems(_ values: [String: ConfigValue]) -> [ChatSettingsProblem] {
        var problems: [ChatSettingsProblem] = []
        if let text = values["user_id"]?.string,
           !(text.hasPrefix("@") && text.firstIndex(of: ":").map { $0 > text.index(after: text.startIndex) && $0 < text.index(before: text.endIndex) } == true) {
            problems.append(.init(key: "user_id", message: "`chat.matrix.user_id` `\(text)` is not a Matrix user id",
                                  fix: "write the bot's full user id, e.g. `\"@soc2bot:example.org\"` (quoted: it starts with @)"))
        }
        if values["access_token"] == nil && values["password"] == nil {
            problems.append(.init(key: nil, message: "`chat.matrix` has neither `access_token` nor `password`",
                                  fix: "add `access_token: MATRIX_ACCESS_TOKEN` (preferred) or `password: MATRIX_PASSWORD`: the environment variable the bot signs in with"))
        }
        if let text = values["device_id"]?.string,
           !(!text.isEmpty && text.count <= 64 && text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })) {
            problems.append(.init(key: "device_id", message: "`chat.matrix.device_id` `\(text)` is not a device id",
                                  fix: "use letters, digits, `_` and `-`, e.g. `SOC2BOT`"))
        }
        return problems
    }
}

extension MatrixAdapter {
    package var kind: ChatPlatformKind { MatrixSettings.kind }
}

extension ChatConfig {
    /// The name Matrix's settings had when Core declared them.
    package typealias Matrix = MatrixSettings

    /// `chat.matrix`, typed; nil when the manifests do not configure Matrix.
    package var matrix: MatrixSettings? {
        get { self[.matrix].flatMap { try? MatrixSettings(MatrixSettings.kind.described($0.values)) } }
        set { self[.matrix] = newValue.map { MatrixSettings.kind.configured($0.values) } }
    }
}
