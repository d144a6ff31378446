import Core
import FactSources
import Foundation

extension Device {
    /// The device and who has it: what an alert names.
    var resource: ResourceRef {
        ResourceRef(id: "device:\(serial)", name: "\(name) (\(ownerEmail ?? "no owner"))", kind: "device")
    }

    /// `macOS`, `Windows`, … from `platform`, else the first word of `osVersion`.
    var platformName: String { platform ?? osVersion.split(separator: " ").first.map(String.init) ?? "unknown" }

    /// The numeric version in `osVersion` (`macOS 15.1.1` → [15, 1, 1]).
    var versionNumbers: [Int]? { OSRelease.numbers(in: osVersion) }
}

/// A release of an operating system named in the manifests: `macOS 15.2 2026-10-28`.
struct OSRelease: Equatable {
    var platform: String
    var version: [Int]
    var versionText: String
    var released: Date

    static func parse(_ text: String) -> OSRelease? {
        let words = text.split(separator: " ").map(String.init)
        guard words.count >= 3, let date = TimeText.parse(words[words.count - 1]), let version = numbers(in: words[words.count - 2]) else { return nil }
        return OSRelease(platform: words[0..<(words.count - 2)].joined(separator: " "), version: version, versionText: words[words.count - 2], released: date)
    }

    /// The first dotted run of digits in `text`.
    static func numbers(in text: String) -> [Int]? {
        guard let start = text.firstIndex(where: \.isNumber) else { return nil }
        let run = text[start...].prefix { $0.isNumber || $0 == "." }
        let parts = run.split(separator: ".").compactMap { Int($0) }
        return parts.isEmpty ? nil : parts
    }

    /// Component-wise, missing components as 0: [15, 1] < [15, 1, 1].
    static func less(_ a: [Int], _ b: [Int]) -> Bool {
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            if x != y { return x < y }
        }
        return false
    }
}

/// CC7.1: every device runs an OS no older than the newest release of its platform that has been out longer
/// than `grace`. Releases come from the manifests; a device of a platform with no listed release is not judged.
struct OSPatchLevelCheck: ControlCheck {
    let releases: [OSRelease]
    let grace: TimeInterval
    var reads: Set<FactKind> { [.devices] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.devices ?? []).compactMap { device in
            let due = releases.filter { $0.platform.caseInsensitiveCompare(device.platformName) == .orderedSame && $0.released.addingTimeInterval(grace) <= now }
            guard let newest = due.max(by: { OSRelease.less($0.version, $1.version) }) else { return nil }
            let expected = "\(newest.platform) \(newest.versionText) or later (released \(TimeText.human(newest.released)), \(DurationText.format(grace)) to update)"
            guard let version = device.versionNumbers else {
                return CheckResult(resource: device.resource, status: .error("\(device.managedBy ?? "the source") reports no version for \(device.name): `\(device.osVersion)`"),
                                   expected: expected, observed: device.osVersion)
            }
            guard OSRelease.less(version, newest.version) else {
                return CheckResult(resource: device.resource, status: .pass, expected: expected, observed: device.osVersion)
            }
            return CheckResult(resource: device.resource, status: .fail, expected: expected,
                               observed: "\(device.osVersion), behind \(newest.versionText)", failingSince: newest.released.addingTimeInterval(grace))
        }
    }
}

/// CC6.8/CC7.2: an EDR agent is present and reporting on every device: an installed app whose name contains `app`,
/// or a passing device policy named `policy` (a Fleet policy such as "CrowdStrike Falcon running").
struct EDRPresentCheck: ControlCheck {
    let app: String?
    let policy: String?
    var reads: Set<FactKind> { [.devices] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = policy.map { "policy “\($0)” passes" } ?? "\(app ?? "the EDR agent") installed"
        return (facts.devices ?? []).map { device in
            if let policy, let passing = device.policies?[policy] {
                return CheckResult(resource: device.resource, status: passing ? .pass : .fail, expected: expected,
                                   observed: passing ? "policy passes" : "policy “\(policy)” fails")
            }
            if let app, let apps = device.apps {
                let found = apps.first { $0.localizedCaseInsensitiveContains(app) }
                return CheckResult(resource: device.resource, status: found == nil ? .fail : .pass, expected: expected,
                                   observed: found.map { "\($0) installed" } ?? "\(app) not installed")
            }
            // Neither signal reported: unknown, which is never a pass.
            return CheckResult(resource: device.resource, status: .error("\(device.managedBy ?? "the source") reports neither apps nor that policy for \(device.name)"),
                               expected: expected, observed: "unknown")
        }
    }
}

/// CC6.1: screen lock is enforced on every device (the device's own report, or a passing `policy`).
struct ScreenLockCheck: ControlCheck {
    let policy: String?
    var reads: Set<FactKind> { [.devices] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.devices ?? []).map { device in
            let locked = policy.flatMap { device.policies?[$0] } ?? device.screenLock
            guard let locked else {
                return CheckResult(resource: device.resource, status: .error("\(device.managedBy ?? "the source") does not report screen lock for \(device.name)"),
                                   expected: "screen lock enforced", observed: "unknown")
            }
            return CheckResult(resource: device.resource, status: locked ? .pass : .fail, expected: "screen lock enforced",
                               observed: locked ? "screen lock enforced" : "no screen lock")
        }
    }
}

/// CC7.1: every managed device has checked in recently: a device that stopped reporting can no longer be judged.
struct DeviceCheckInCheck: ControlCheck {
    let maxSilence: TimeInterval
    var reads: Set<FactKind> { [.devices] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "checked in within \(DurationText.format(maxSilence))"
        return (facts.devices ?? []).map { device in
            guard let seen = device.lastCheckIn else {
                return CheckResult(resource: device.resource, status: .fail, expected: expected, observed: "never checked in")
            }
            let due = seen.addingTimeInterval(maxSilence)
            return now < due
                ? CheckResult(resource: device.resource, status: .pass, expected: expected, observed: "last check-in \(TimeText.human(seen))")
                : CheckResult(resource: device.resource, status: .fail, expected: expected,
                              observed: "silent since \(TimeText.human(seen))", failingSince: due)
        }
    }
}
