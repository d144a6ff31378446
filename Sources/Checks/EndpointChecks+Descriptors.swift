import Core
import FactSources
import Foundation

extension OSPatchLevelCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "os_patch_level",
        summary: "every device runs an OS no older than the newest release of its platform that has been out longer than `grace`",
        reads: [.devices],
        parameters: [
            SettingSpec("releases", .strings, required: true, help: "releases as `<platform> <version> <date>`, e.g. `macOS 15.2 2026-10-28`"),
            SettingSpec("grace", .duration, default: .string("30d"), help: "time allowed to update after a release"),
        ], typicalCriteria: ["CC7.1"])) { p in
        var releases: [OSRelease] = []
        for text in try p.strings("releases") {
            guard let release = OSRelease.parse(text) else {
                throw CheckError.badParameter(name: "releases", reason: "`\(text)` is not `<platform> <version> <release date>`, e.g. `macOS 15.2 2026-10-28`")
            }
            releases.append(release)
        }
        return OSPatchLevelCheck(releases: releases, grace: try p.duration("grace"))
    }
}

extension EDRPresentCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "edr_present", summary: "an EDR agent is installed (an app) or checked by a passing device policy, on every device",
        reads: [.devices],
        parameters: [
            SettingSpec("app", .string, help: "part of the agent's app name, e.g. `Falcon`"),
            SettingSpec("policy", .string, help: "a device policy that checks the agent (Fleet), e.g. `CrowdStrike running`"),
        ], typicalCriteria: ["CC6.8", "CC7.2"])) { p in
        let app = try p.string(ifSet: "app"), policy = try p.string(ifSet: "policy")
        guard app != nil || policy != nil else { throw CheckError.badParameter(name: "app", reason: "name the agent's app, or a device `policy` that checks it") }
        return EDRPresentCheck(app: app, policy: policy)
    }
}

extension ScreenLockCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "screen_lock", summary: "screen lock is enforced on every device (its own report, or a passing `policy`)", reads: [.devices],
        parameters: [
            SettingSpec("policy", .string, help: "a device policy that checks it, where the system does not report it directly"),
        ], typicalCriteria: ["CC6.1"])) { p in
        ScreenLockCheck(policy: try p.string(ifSet: "policy"))
    }
}

extension DeviceCheckInCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "device_checkin", summary: "every managed device has checked in recently", reads: [.devices],
        parameters: [
            SettingSpec("max_silence", .duration, default: .string("14d"), help: "longest time without a check-in"),
        ], typicalCriteria: ["CC7.1"])) { p in
        DeviceCheckInCheck(maxSilence: try p.duration("max_silence"))
    }
}
