import Core
import FactSources
import Foundation

/// CC6.2: every account of a person terminated in HR is disabled within the SLA after the termination date.
/// One resource per terminated person; accounts are matched to people by email (case-insensitive).
///
/// With `earlyNotice` (the default) the clock is shown as soon as the termination is recorded: a person with live
/// accounts fails from the termination, with the SLA's end as the policy deadline, so the owning team gets one
/// message listing the accounts and the deadline, edited as each account goes, resolved when the last goes, and
/// escalating only if the deadline passes (`AlertTimers`: no acknowledgement chase before a policy deadline).
struct OffboardingCheck: ControlCheck {
    let sla: TimeInterval
    let systems: [String]?
    var earlyNotice = true
    var reads: Set<FactKind> { [.people, .accounts] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let accounts = (facts.accounts ?? []).filter { $0.active && $0.system.isSelected(by: systems) }
        var byEmail: [String: [Account]] = [:]
        for account in accounts { if let email = account.email?.lowercased() { byEmail[email, default: []].append(account) } }
        let expected = "every account disabled within \(DurationText.format(sla)) of termination"
        return (facts.people ?? []).compactMap { person -> CheckResult? in
            guard person.status == .terminated else { return nil }
            let resource = ResourceRef(id: "person:\(person.email.lowercased())", name: "\(person.name) (\(person.email))", kind: "person")
            guard let terminated = person.terminatedAt else {
                return CheckResult(resource: resource, status: .error("HR reports \(person.email) terminated without a termination date"),
                                   expected: expected, observed: "no termination date")
            }
            let live = (byEmail[person.email.lowercased()] ?? []).sorted { ($0.system, $0.login) < ($1.system, $1.login) }
            let deadline = terminated.addingTimeInterval(sla)
            if live.isEmpty {
                return CheckResult(resource: resource, status: .pass, expected: expected, observed: "no active accounts")
            }
            let listing = live.map { account in
                "\(account.system) (\(account.login)\(account.roles.isEmpty ? "" : ", " + account.roles.joined(separator: ", ")))"
            }.joined(separator: "; ")
            if now < deadline {
                guard earlyNotice else {
                    return CheckResult(resource: resource, status: .pass, expected: expected,
                                       observed: "within SLA until \(TimeText.human(deadline)); still active in \(listing)")
                }
                return CheckResult(resource: resource, status: .fail, expected: expected,
                                   observed: "terminated \(TimeText.human(terminated)); remove by \(TimeText.human(deadline)); still active in \(listing)",
                                   failingSince: terminated, policyDeadline: deadline)
            }
            return CheckResult(resource: resource, status: .fail, expected: expected,
                               observed: "terminated \(TimeText.human(terminated)); still active in \(listing)",
                               failingSince: deadline, policyDeadline: deadline)
        }
    }
}

/// CC6.1: every active account (or every privileged one) has MFA enabled.
struct MFACheck: ControlCheck {
    let systems: [String]?
    let privilegedOnly: Bool
    var reads: Set<FactKind> { [.accounts] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = privilegedOnly ? "MFA enabled on every admin account" : "MFA enabled on every account"
        return (facts.accounts ?? []).filter { $0.active && $0.interactive && $0.system.isSelected(by: systems) && (!privilegedOnly || $0.privileged) }
            .map { account in
                let resource = ResourceRef(id: "\(account.system.lowercased()):\(account.login)",
                                           name: "\(account.login) (\(account.system)\(account.privileged ? ", admin" : ""))", kind: "account")
                switch account.mfaEnabled {
                case true?: return CheckResult(resource: resource, status: .pass, expected: expected, observed: "MFA enabled")
                case false?:
                    // Okta's System Log says when the factor went: that is when the failure began (MTTD), not this run.
                    return CheckResult(resource: resource, status: .fail, expected: expected, observed: "MFA disabled",
                                       failingSince: account.mfaChangedAt)
                case nil: return CheckResult(resource: resource, status: .error("\(account.system) did not report MFA for \(account.login)"),
                                             expected: expected, observed: "MFA unknown")
                }
            }
    }
}

/// CC6.1: the root user of each cloud account (the account a source marks with the `root user` role) has MFA. No
/// root user among the facts is an error, not a pass: the source did not report it.
struct RootMFACheck: ControlCheck {
    let systems: [String]?
    var reads: Set<FactKind> { [.accounts] }
    var nothingToJudge: String? { "no root user among the accounts: the source did not report one" }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "MFA enabled on the root user"
        return (facts.accounts ?? []).filter { $0.roles.contains(Account.rootUserRole) && $0.system.isSelected(by: systems) }.map { account in
            let resource = ResourceRef(id: "\(account.system.lowercased()):\(account.login)", name: "\(account.login) (\(account.system) root user)",
                                       kind: "account")
            switch account.mfaEnabled {
            case true?: return CheckResult(resource: resource, status: .pass, expected: expected, observed: "MFA enabled")
            case false?: return CheckResult(resource: resource, status: .fail, expected: expected, observed: "MFA disabled", failingSince: account.mfaChangedAt)
            case nil: return CheckResult(resource: resource, status: .error("\(account.system) did not report MFA for its root user"),
                                         expected: expected, observed: "MFA unknown")
            }
        }
    }
}

/// CC6.2/CC6.3: active accounts have logged in within `maxIdle`.
struct InactiveAccountsCheck: ControlCheck {
    let maxIdle: TimeInterval
    let systems: [String]?
    var reads: Set<FactKind> { [.accounts] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "a login within \(DurationText.format(maxIdle))"
        return (facts.accounts ?? []).filter { $0.active && $0.system.isSelected(by: systems) }.map { account in
            let resource = ResourceRef(id: "\(account.system.lowercased()):\(account.login)", name: "\(account.login) (\(account.system))", kind: "account")
            guard let last = account.lastLoginAt else {
                return CheckResult(resource: resource, status: .fail, expected: expected, observed: "never logged in")
            }
            let idleSince = last.addingTimeInterval(maxIdle)
            return now >= idleSince
                ? CheckResult(resource: resource, status: .fail, expected: expected, observed: "last login \(TimeText.human(last))", failingSince: idleSince)
                : CheckResult(resource: resource, status: .pass, expected: expected, observed: "last login \(TimeText.human(last))")
        }
    }
}

/// CC6.2/CC6.3: every active account belongs to someone HR knows (by e-mail, or by an alias in the manifests),
/// unless it is a declared service account. Accounts that match nobody are reported, never silently skipped:
/// they are how a leaver's second account, or a contractor nobody offboards, stays open.
struct UnmatchedAccountsCheck: ControlCheck {
    let systems: [String]?
    /// Logins that are known service accounts (`system:login` or a bare login), compared case-insensitively.
    let ignore: Set<String>
    var reads: Set<FactKind> { [.people, .accounts] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let known = Set((facts.people ?? []).map { $0.email.lowercased() })
        let expected = "every active account belongs to a person in HR, or is a declared service account"
        return (facts.accounts ?? []).filter { $0.active && $0.system.isSelected(by: systems) }.compactMap { account in
            let login = account.login.lowercased()
            if ignore.contains(login) || ignore.contains("\(account.system.lowercased()):\(login)") { return nil }
            let resource = ResourceRef(id: "\(account.system.lowercased()):\(account.login)",
                                       name: "\(account.login) (\(account.system)\(account.privileged ? ", admin" : ""))", kind: "account")
            if let email = account.email?.lowercased(), known.contains(email) {
                return CheckResult(resource: resource, status: .pass, expected: expected, observed: "belongs to \(email)")
            }
            let observed = account.email.map { "\($0) is not in HR" }
                ?? "no e-mail, and no person in the manifests lists this login under `accounts.\(account.system.lowercased())`"
            return CheckResult(resource: resource, status: .fail, expected: expected, observed: observed)
        }
    }
}

/// CC6.3: every privileged grant is approved. The approved admins are listed in the control's manifest
/// (`approved: [github:dana-r, okta:dana@example.com]`), so the approval is a reviewed change in version control;
/// any other admin account — a new grant, a forgotten one — fails until it is removed or approved.
struct PrivilegedAccessCheck: ControlCheck {
    let approved: Set<String>
    let systems: [String]?
    var reads: Set<FactKind> { [.accounts] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "every admin account is approved in the manifests"
        return (facts.accounts ?? []).filter { $0.active && $0.privileged && $0.system.isSelected(by: systems) }.map { account in
            let key = "\(account.system.lowercased()):\(account.login.lowercased())"
            let resource = ResourceRef(id: "\(account.system.lowercased()):\(account.login)",
                                       name: "\(account.login) (\(account.system), \(account.roles.joined(separator: ", ")))", kind: "account")
            if approved.contains(key) {
                return CheckResult(resource: resource, status: .pass, expected: expected, observed: "approved")
            }
            return CheckResult(resource: resource, status: .fail, expected: expected,
                               observed: "\(account.roles.isEmpty ? "admin" : account.roles.joined(separator: ", ")) not approved: add `\(key)` to the control's `approved` list, or remove the grant")
        }
    }
}

/// CC6.3: a system's access is certified by a reviewer every `every` (`/soc2 certify <system>`). One resource per
/// system: passing while the last certification is recent, failing from the day it lapses (or at once if it was
/// never certified), with the number of active accounts awaiting review.
struct AccessReviewCheck: ControlCheck {
    let system: String
    let every: TimeInterval
    /// Who certifies it (person ids); none named: the security leads. Reminded `remindBefore` the due date, their
    /// managers from `escalateBefore`.
    var reviewers: [String] = []
    var remindBefore: TimeInterval = 14 * 86_400
    var escalateBefore: TimeInterval = 3 * 86_400
    var reads: Set<FactKind> { [.accounts, .reviews] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let accounts = (facts.accounts ?? []).filter { $0.active && $0.system.lowercased() == system.lowercased() }
        let latest = (facts.reviews ?? []).filter { $0.system.lowercased() == system.lowercased() }.max { $0.certifiedAt < $1.certifiedAt }
        let resource = ResourceRef(id: "review:\(system.lowercased())", name: "\(system) access review", kind: "access_review")
        let expected = "\(system) access certified at least every \(DurationText.format(every))"
        let scope = "\(accounts.count) active \(system) account\(accounts.count == 1 ? "" : "s") (\(accounts.filter(\.privileged).count) admin)"
        guard let latest else {
            return [CheckResult(resource: resource, status: .fail, expected: expected,
                                observed: "never certified; \(scope) to review: /soc2 certify \(system.lowercased())")]
        }
        let due = latest.certifiedAt.addingTimeInterval(every)
        let who = "certified by \(latest.certifiedBy) \(TimeText.human(latest.certifiedAt))"
        if now < due {
            let reminder = Reminder(what: "\(system) access review", email: "", dueAt: due, remindAt: due.addingTimeInterval(-remindBefore),
                                    escalateAt: due.addingTimeInterval(-escalateBefore),
                                    how: "review \(scope) and certify it: /soc2 certify \(system.lowercased()) <what changed>",
                                    people: reviewers.map { PersonID($0) })
            return [CheckResult(resource: resource, status: .pass, expected: expected, observed: "\(who); next due \(TimeText.human(due))",
                                reminder: reminder)]
        }
        return [CheckResult(resource: resource, status: .fail, expected: expected,
                            observed: "last \(who), due \(TimeText.human(due)); \(scope) to review: /soc2 certify \(system.lowercased())",
                            failingSince: due, policyDeadline: due)]
    }
}
