import Core
import Foundation

/// The source kinds built into the bot rather than read over the network: the bot makes them itself (`Bot.sources`).
enum BuiltInSources {
    static let demo = SourceDescriptor(SourceKind(
        name: "demo", summary: "the built-in demo systems, served locally (every external fact kind); `soc2bot demo` plays its scenario",
        provides: FactKind.external,
        settings: [
            SettingSpec("scenario", .path, default: .string("scenarios/northwind.yaml"),
                        help: "the scenario `check` reads, relative to the manifest directory"),
        ]), factory: nil)

    static let vendorRegister = SourceDescriptor(SourceKind(
        name: "vendor_register", summary: "the vendors declared under `vendors:`, with renewals recorded from chat (`/soc2 vendor renew`) applied on top",
        provides: [.vendors]), factory: nil)
}
