import Core
import FactSources
import Foundation

/// Runs a control's check against the configured sources: gathers the facts it reads (from the sources the
/// control names, else every source providing that kind) and evaluates them. A source that cannot be read turns
/// the whole run into an `error` result: it never passes, and it never resolves an alert.
package struct ControlRunner: Sendable {
    package let sources: [any FactSource]
    package let aliases: AccountAliases
    package init(sources: [any FactSource], aliases: AccountAliases = AccountAliases()) { self.sources = sources; self.aliases = aliases }

    package func run(_ control: Control, at now: Date) async -> [CheckResult] {
        guard let spec = control.check else { return [] }
        let check: any ControlCheck
        do { check = try CheckFactory.make(spec) } catch { return [Self.failure(control, "\(error)")] }
        // The bot's own facts (access reviews certified from chat, integration health) are always eligible; the systems under watch
        // are those the control names, else all.
        let eligible = spec.sources.isEmpty ? sources
            : sources.filter { spec.sources.contains($0.id) || $0.provides.isSubset(of: FactKind.botKept) }
        var facts = Facts()
        for kind in check.reads.sorted(by: { $0.rawValue < $1.rawValue }) {
            let providers = eligible.filter { $0.provides.contains(kind) }
            guard !providers.isEmpty else { return [Self.failure(control, CheckError.noSourceFor(kind: kind).description)] }
            for source in providers {
                let read: Facts
                do {
                    read = try await source.facts([kind])
                } catch {
                    // A SourceError already names its source; anything else gets the source's id in front.
                    return [Self.failure(control, error is SourceError ? "\(error)" : "source \(source.id): \(error)")]
                }
                // An answer without the kind would read as "nothing to check" and pass by silence.
                guard read.has(kind) else {
                    return [Self.failure(control, "source \(source.id) answered without \(kind.rawValue)")]
                }
                facts.merge(read)
            }
        }
        if let accounts = facts.accounts { facts.accounts = aliases.resolve(accounts) }
        let skipped = facts.problems.map { problem in
            CheckResult(resource: ResourceRef(id: "problem:" + String(problem.prefix(120)), name: problem, kind: "source_problem"),
                        status: .error(problem), expected: "every record of the source can be read", observed: problem)
        }
        let results = check.evaluate(facts, at: now) + skipped
        if results.isEmpty, let reason = check.nothingToJudge { return [Self.failure(control, reason)] }
        return Self.oneResultPerResource(results)
    }

    /// One result per resource id: two sources reporting the same resource (or a source repeating itself) must not
    /// open two alerts for one thing. The worse verdict wins — error over fail over pass — and the first of equals.
    static func oneResultPerResource(_ results: [CheckResult]) -> [CheckResult] {
        func rank(_ status: CheckStatus) -> Int { switch status { case .pass: 0; case .fail: 1; case .error: 2 } }
        var index: [String: Int] = [:]
        var out: [CheckResult] = []
        for result in results {
            if let at = index[result.resource.id] {
                if rank(result.status) > rank(out[at].status) { out[at] = result }
            } else {
                index[result.resource.id] = out.count
                out.append(result)
            }
        }
        return out
    }


    private static func failure(_ control: Control, _ message: String) -> CheckResult {
        CheckResult(resource: ResourceRef(id: "control:\(control.id)", name: control.title, kind: "control"),
                    status: .error(message), expected: "the check runs", observed: message)
    }
}

/// The logins the manifests assign to people (`people[].accounts`), so accounts that do not carry an e-mail —
/// a GitHub login, a GitLab username — are matched to the person like the rest.
package struct AccountAliases: Sendable, Equatable {
    /// system (lower-case) → login (lower-case) → the person's e-mail.
    let emails: [String: [String: String]]

    package init(people: [Person] = []) {
        var emails: [String: [String: String]] = [:]
        for person in people {
            for (system, logins) in person.accounts {
                for login in logins { emails[system.lowercased(), default: [:]][login.lowercased()] = person.email }
            }
        }
        self.emails = emails
    }

    /// `accounts` with the e-mail of each aliased login set to its person's (the manifests' word wins).
    package func resolve(_ accounts: [Account]) -> [Account] {
        guard !emails.isEmpty else { return accounts }
        return accounts.map { account in
            guard let email = emails[account.system.lowercased()]?[account.login.lowercased()] else { return account }
            var resolved = account
            resolved.email = email
            return resolved
        }
    }
}
