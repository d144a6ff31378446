import Core
import FactSources
import Foundation
import Testing

@Suite("Endpoint checks")
struct EndpointChecksTests {
    typealias F = CheckFixture

    func device(_ serial: String, os: String, owner: String? = "dana@acme.example", platform: String? = nil, apps: [String]? = nil,
                policies: [String: Bool]? = nil, screenLock: Bool? = nil, seen: Date? = F.now, by: String = "Fleet") -> Device {
        Device(serial: serial, name: "\(serial.lowercased())-laptop", ownerEmail: owner, encrypted: true, osVersion: os, lastCheckIn: seen,
               platform: platform, managedBy: by, screenLock: screenLock, apps: apps, policies: policies)
    }

    @Test func osPatchLevelJudgesAgainstTheNewestReleaseOutLongerThanTheGrace() throws {
        let releases = F.names("macOS 15.1 2026-01-01", "macOS 15.2 2026-02-20", "Windows 10.0.26100 2025-10-01")
        let results = try F.evaluate("os_patch_level", ["releases": releases, "grace": .string("30d")], Facts(devices: [
            device("A", os: "macOS 15.1.1"),               // 15.2 is only 5 days old: 15.1 is the bar, met
            device("B", os: "macOS 15.0.1"),               // behind 15.1, out 55 days
            device("C", os: "Windows 10.0.22631.4460"),     // behind 26100
            device("D", os: "Ubuntu 24.04"),                // no release listed: not judged
            device("E", os: "macOS"),                       // no version: unknown, an error
        ]))
        #expect(results.ids == ["device:A", "device:B", "device:C", "device:E"])
        #expect(try results.only("device:A").status == .pass)
        let b = try results.only("device:B")
        #expect(b.status == .fail && b.observed == "macOS 15.0.1, behind 15.1" && b.resource.name == "b-laptop (dana@acme.example)")
        #expect(b.failingSince == TimeText.parse("2026-01-31"))
        #expect(try results.only("device:C").status == .fail)
        #expect(try results.only("device:E").status.isError)
        #expect(throws: (any Error).self) { try F.check("os_patch_level", ["releases": F.names("macOS fifteen")]) }
    }

    @Test func edrIsAPassingPolicyOrAnInstalledAppAndUnknownIsAnError() throws {
        let byApp = try F.evaluate("edr_present", ["app": .string("Falcon")], Facts(devices: [
            device("A", os: "macOS 15.1", apps: ["Google Chrome", "Falcon.app"]),
            device("B", os: "macOS 15.1", apps: ["Google Chrome"]),
            device("C", os: "macOS 15.1"),
        ]))
        #expect(byApp.map(\.status.label) == ["pass", "fail", "error"])
        let byPolicy = try F.evaluate("edr_present", ["policy": .string("Falcon running")], Facts(devices: [
            device("A", os: "macOS 15.1", policies: ["Falcon running": true]),
            device("B", os: "macOS 15.1", policies: ["Falcon running": false, "Disk encrypted": true]),
        ]))
        #expect(byPolicy.map(\.status.label) == ["pass", "fail"])
        #expect(throws: (any Error).self) { try F.check("edr_present") }
    }

    @Test func screenLockFromTheDeviceOrAPolicy() throws {
        let results = try F.evaluate("screen_lock", ["policy": .string("Screen lock")], Facts(devices: [
            device("A", os: "macOS 15.1", screenLock: true),
            device("B", os: "macOS 15.1", policies: ["Screen lock": false]),
            device("C", os: "macOS 15.1", by: "Jamf"),
        ]))
        #expect(results.map(\.status.label) == ["pass", "fail", "error"])
        #expect(results[2].status.message == "Jamf does not report screen lock for c-laptop")
    }

    @Test func devicesThatStopCheckingInFail() throws {
        let results = try F.evaluate("device_checkin", ["max_silence": .string("14d")], Facts(devices: [
            device("A", os: "macOS 15.1", seen: F.at(-2 * F.day)),
            device("B", os: "macOS 15.1", seen: F.at(-20 * F.day)),
            device("C", os: "macOS 15.1", seen: nil),
        ]))
        #expect(results.map(\.status.label) == ["pass", "fail", "fail"])
        #expect(results[1].failingSince == F.at(-6 * F.day))
    }
}
