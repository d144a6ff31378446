import Checks
import FactSources
import Core
import Engine
import Foundation
import Store
import Synchronization

/// The demo organisation's systems, served in-process as a fact source. The scenario driver changes them
/// along the timeline; controls read them exactly as they will read GitHub, AWS or an HRIS.
package final class DemoWorld: FactSource {
    package let id: SourceID
    /// Built once: a step asks it for every control (building the set each time was a tenth of a step's hashing).
    package let provides = Set(FactKind.external)
    package var answersLocally: Bool { true }
    private let state: Mutex<WorldState>
    /// The world's facts, built once after each change (`apply`): a step asks for them kind by kind.
    private let built = Mutex<Facts?>(nil)
    /// Where `/soc2 vendor renew` records renewals of the world's vendors (those with an `id`); nil: none apply.
    let renewals: BotDatabase?

    package init(id: SourceID, initial: WorldState, renewals: BotDatabase? = nil) {
        self.id = id
        self.state = Mutex(initial)
        self.renewals = renewals
    }

    package var snapshot: WorldState { state.withLock { $0 } }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        // Under the world's lock, so a change (`apply`) and the facts built from it go together.
        let all = state.withLock { world in
            built.withLock { built in
                if let built { return built }
                let facts = world.facts
                built = facts
                return facts
            }
        }
        var facts = all.selecting(kinds)
        if let renewals, let vendors = facts.vendors { facts.vendors = try VendorRegisterSource.applyingRenewals(to: vendors, from: renewals) }
        return facts
    }

    /// Applies a world-changing event at `at`. Returns a description when the event named nothing that exists.
    /// `change` is the system's own record of it (when and by whom), kept on the fact as its audit log would.
    @discardableResult
    package func apply(_ action: ScenarioEvent.Action, at: Date, change: (at: Date, by: String?)? = nil) -> String? {
        state.withLock { world in
            built.withLock { $0 = nil }
            func record(_ call: String) -> ChangeEvent? { change.map { ChangeEvent(at: $0.at, actor: $0.by ?? "unknown", action: call) } }
            switch action {
            case .terminate(let email):
                guard let i = world.people.firstIndex(where: { $0.email.caseInsensitiveCompare(email) == .orderedSame }) else { return "no person \(email)" }
                world.people[i].status = .terminated
                world.people[i].terminatedAt = at
            case .setAccount(let system, let login, let active, let mfa, let admin):
                if let i = world.accounts.firstIndex(where: { $0.system == system && $0.login == login }) {
                    if let active { world.accounts[i].active = active }
                    if let mfa {
                        world.accounts[i].mfaEnabled = mfa
                        if !mfa, let change { world.accounts[i].mfaChangedAt = change.at }
                    }
                    if let admin { world.accounts[i].privileged = admin }
                } else {
                    world.accounts.append(Account(system: system, login: login, email: nil, active: active ?? true, mfaEnabled: mfa, privileged: admin ?? false,
                                                  mfaChangedAt: mfa == false ? change?.at : nil))
                }
            case .setBucket(let name, let encryption, let isPublic):
                guard let i = world.buckets.firstIndex(where: { $0.name == name }) else { return "no bucket \(name)" }
                if let encryption { world.buckets[i].encryption = encryption }
                if let isPublic { world.buckets[i].isPublic = isPublic }
                let call = isPublic == true ? "PutBucketPolicy" : isPublic == false ? "PutPublicAccessBlock"
                    : encryption == Bucket.Encryption.none ? "DeleteBucketEncryption" : "PutBucketEncryption"
                if let event = record(call) { world.buckets[i].lastChange = event }
            case .setNetworkRule(let id, let sources):
                guard let i = world.networkRules.firstIndex(where: { $0.id == id }) else { return "no network rule \(id)" }
                world.networkRules[i].sources = sources
                if let event = record(sources.isEmpty ? "RevokeSecurityGroupIngress" : "AuthorizeSecurityGroupIngress") { world.networkRules[i].lastChange = event }
            case .setTrail(let name, let logging, let multiRegion):
                guard let i = world.auditTrails.firstIndex(where: { $0.name == name }) else { return "no trail \(name)" }
                if let logging { world.auditTrails[i].logging = logging }
                if let multiRegion { world.auditTrails[i].multiRegion = multiRegion }
                if let event = record(logging == false ? "StopLogging" : logging == true ? "StartLogging" : "UpdateTrail") { world.auditTrails[i].lastChange = event }
            case .setRepository(let name, let protected, let reviews):
                guard let i = world.repositories.firstIndex(where: { $0.name == name }) else { return "no repository \(name)" }
                if let protected { world.repositories[i].protected = protected }
                if let reviews { world.repositories[i].requiredReviews = reviews }
            case .completeTraining(let email):
                world.training.removeAll { $0.email.caseInsensitiveCompare(email) == .orderedSame }
                world.training.append(TrainingRecord(email: email, completedAt: at))
            case .setVendor(let name, let end):
                guard let i = world.vendors.firstIndex(where: { $0.name == name }) else { return "no vendor \(name)" }
                world.vendors[i].reportPeriodEnd = end
            case .setDevice(let serial, let encrypted, let owner, let name):
                if let i = world.devices.firstIndex(where: { $0.serial == serial }) {
                    if let encrypted { world.devices[i].encrypted = encrypted }
                    if let owner { world.devices[i].ownerEmail = owner }
                    if let name { world.devices[i].name = name }
                } else {
                    world.devices.append(Device(serial: serial, name: name ?? serial, ownerEmail: owner, encrypted: encrypted ?? false, osVersion: "macOS 15"))
                }
            case .addVulnerability(let vulnerability):
                world.vulnerabilities.append(vulnerability)
            case .fixVulnerability(let id):
                world.vulnerabilities.removeAll { $0.id == id }
            case .say, .command:
                break
            }
            return nil
        }
    }
}
