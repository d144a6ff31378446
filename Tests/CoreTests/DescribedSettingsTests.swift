import Core
import Foundation
import Testing

@Suite("Described settings")
struct DescribedSettingsTests {
    struct Refused: Error, Equatable { let key: String; let reason: String }

    static let specs = [
        SettingSpec("name", .string, required: true, help: "a name"),
        SettingSpec("region", .oneOf(["us", "eu"]), default: .string("us"), help: "a region"),
        SettingSpec("regions", .strings, default: .list([.string("us-east-1")]), help: "regions"),
        SettingSpec("tags", .strings, help: "tags (default none)"),
        SettingSpec("enabled", .bool, default: .bool(true), help: "on or off"),
        SettingSpec("ratio", .number, range: 0.5...2, help: "a ratio"),
        SettingSpec("count", .integer, default: .number(20), range: 0...100, help: "a count"),
        SettingSpec("ports", .numbers, default: .list([.number(22), .number(3389)]), help: "ports"),
        SettingSpec("max_age", .duration, default: .string("7d"), help: "an age"),
        SettingSpec("base_url", .url, default: .string("https://api.example.com"), help: "the API"),
        SettingSpec("path", .path, help: "a file"),
    ]

    static func settings(_ values: [String: ConfigValue]) -> DescribedSettings {
        DescribedSettings(specs: specs, values: values, owner: "source kind `test`") { Refused(key: $0, reason: $1) }
    }

    @Test func aKeyLeftOutReadsTheSpecsDefaultTyped() throws {
        let settings = Self.settings([:])
        #expect(try settings.string("region") == "us")
        #expect(try settings.strings("regions") == ["us-east-1"])
        #expect(try settings.bool("enabled") == true)
        #expect(try settings.integer("count") == 20)
        #expect(try settings.integers("ports") == [22, 3389])
        #expect(try settings.duration("max_age") == 7 * 86_400)
        #expect(try settings.url("base_url") == URL(string: "https://api.example.com"))
        #expect(try settings.strings(ifSet: "tags") == nil)
        #expect(try settings.number(ifSet: "ratio") == nil)
        #expect(try settings.path(ifSet: "path") == nil)
    }

    @Test func aValueWrittenWinsOverTheDefault() throws {
        let settings = Self.settings(["region": .string("eu"), "enabled": .bool(false), "count": .number(3), "max_age": .string("1d 12h"),
                                      "ports": .list([.number(443)]), "base_url": .string(" http://127.0.0.1:5000 "), "path": .string(" a.csv ")])
        #expect(try settings.string("region") == "eu")
        #expect(try settings.bool("enabled") == false)
        #expect(try settings.integer("count") == 3)
        #expect(try settings.duration("max_age") == 36 * 3_600)
        #expect(try settings.integers("ports") == [443])
        #expect(try settings.url("base_url") == URL(string: "http://127.0.0.1:5000"))
        #expect(try settings.path(ifSet: "path") == "a.csv")
    }

    /// Text is any scalar, as validation keeps it (`group: 42` is the text `42`); a list of texts may be one text.
    @Test func textIsAnyScalarAndOneTextIsAListOfOne() throws {
        #expect(try Self.settings(["name": .number(42)]).string("name") == "42")
        #expect(try Self.settings(["regions": .string("eu-west-1")]).strings("regions") == ["eu-west-1"])
    }

    @Test func readingAKeyTheSpecsDoNotDeclareIsAProgrammerError() {
        #expect(throws: SettingsError.undeclared(owner: "source kind `test`", key: "region_name")) {
            try Self.settings(["region_name": .string("us")]).string(ifSet: "region_name")
        }
    }

    @Test func readingAKeyAsAnotherKindIsAProgrammerError() {
        #expect(throws: SettingsError.wrongKind(owner: "source kind `test`", key: "count", declared: "whole number", asked: "a number")) {
            try Self.settings([:]).number(ifSet: "count")
        }
        #expect(throws: SettingsError.wrongKind(owner: "source kind `test`", key: "regions", declared: "list of texts", asked: "text")) {
            try Self.settings([:]).string(ifSet: "regions")
        }
    }

    @Test func readingAKeyWithoutDefaultAsAlwaysSetIsAProgrammerError() {
        #expect(throws: SettingsError.noDefault(owner: "source kind `test`", key: "tags")) { try Self.settings([:]).strings("tags") }
    }

    @Test func aRequiredKeyLeftOutIsRefusedSayingWhatItIsFor() {
        #expect(throws: Refused(key: "name", reason: "is required: a name")) { try Self.settings([:]).string("name") }
    }

    /// What `validate` refuses, the accessor refuses too, in the owner's own error.
    @Test(arguments: [
        ("count", ConfigValue.number(101), "must be a whole number from 0 to 100"),
        ("count", .number(2.5), "must be a whole number from 0 to 100"),
        ("count", .string("20"), "must be a whole number from 0 to 100"),
        ("ratio", .number(0.25), "must be a number from 0.5 to 2"),
        ("region", .string("apac"), "`apac` is not allowed; use one of `us`, `eu`"),
        ("enabled", .string("yes"), "must be true or false"),
        ("regions", .number(1), "must be a list of texts"),
        ("regions", .list([.string("us-east-1"), .number(2)]), "must be a list of texts"),
        ("ports", .list([.number(2e9)]), "must be a list of numbers between -1000000000 and 1000000000"),
        ("max_age", .string("a week"), "must be a duration such as 24h or 7d"),
        ("base_url", .string("127.0.0.1:5125"), "`127.0.0.1:5125` is not an http(s) URL"),
        ("path", .string("  "), "is empty"),
    ])
    func aValueThatDoesNotFitItsSpecIsRefusedByName(_ key: String, _ value: ConfigValue, _ reason: String) {
        let settings = Self.settings([key: value])
        #expect(throws: Refused(key: key, reason: reason)) {
            switch key {
            case "count": _ = try settings.integer(key)
            case "ratio": _ = try settings.number(ifSet: key)
            case "region": _ = try settings.string(key)
            case "enabled": _ = try settings.bool(key)
            case "regions": _ = try settings.strings(key)
            case "ports": _ = try settings.integers(key)
            case "max_age": _ = try settings.duration(key)
            case "base_url": _ = try settings.url(key)
            default: _ = try settings.path(ifSet: key)
            }
        }
    }

    @Test func aDefaultThatDoesNotFitItsKindIsAProgrammerError() {
        let settings = DescribedSettings(specs: [SettingSpec("on", .bool, default: .string("true"), help: "")], values: [:], owner: "check type `x`") {
            Refused(key: $0, reason: $1)
        }
        #expect(throws: SettingsError.badDefault(owner: "check type `x`", key: "on", reason: "must be true or false")) { try settings.bool("on") }
    }

    @Test func theReferenceShowsTheDefaultAsTheManifestsWriteIt() {
        #expect(Self.specs.map(\.defaultText) == [nil, "us", "[us-east-1]", nil, "true", nil, "20", "[22, 3389]", "7d", "https://api.example.com", nil])
    }
}
