import Core
import FactSources
import Foundation
import Synchronization

/// Runs controls' checks against the configured sources: gathers the facts each reads (from the sources the control
/// names, else every source providing that kind) and evaluates them. A step — every control due at one moment, or
/// every control of one `soc2bot check` — reads each (source, fact kind) once, whatever number of its controls need
/// it: the reads run concurrently (at most `maxConcurrency` at once; each source's own limits sit in its transport),
/// then the controls are evaluated concurrently with the same bound. A source that cannot be read turns the run of
/// every control needing that (source, kind) into an `error` result: it never passes, and it never resolves an
/// alert; the other controls are judged as usual.
package struct ControlRunner: Sendable {
    package let sources: [any FactSource]
    package let aliases: AccountAliases
    /// Reads in flight, and controls evaluated, at once in a step (default 8).
    package var maxConcurrency: Int
    /// Each control's plan, built at its first run and kept while the control is unchanged: a plan follows from the
    /// control and the sources alone (a source's `provides` is fixed), and the scheduler runs every control every step.
    private let plans = PlanCache()

    package init(sources: [any FactSource], aliases: AccountAliases = AccountAliases(), maxConcurrency: Int = 8) {
        self.sources = sources; self.aliases = aliases; self.maxConcurrency = max(1, maxConcurrency)
    }

    /// Runs one control now: a step of one.
    package func run(_ control: Control, at now: Date) async -> [CheckResult] {
        await run([control], at: now)[0]
    }

    /// Runs a step: the results of each control, in the order given (deterministic: the same facts give the same
    /// results, whatever order the reads finish in).
    package func run(_ controls: [Control], at now: Date) async -> [[CheckResult]] {
        let plans = controls.map(plan)
        let reads = await FactReads.read(plans.flatMap { $0.reads }, from: sources, limit: maxConcurrency)
        // A step whose facts are few is judged here, one control after another: spreading a few microseconds of work
        // over tasks costs more (a task and a thread wake each) than the work.
        guard plans.count > 1, Self.records(in: reads) >= Self.concurrentEvaluationRecords else {
            return plans.map { $0.results(with: reads, aliases: aliases, at: now) }
        }
        let indices = Array(plans.indices)
        let results = try? await boundedMap(indices, limit: maxConcurrency) { index in
            plans[index].results(with: reads, aliases: aliases, at: now)
        }
        // boundedMap throws only what its transform throws, and evaluation does not.
        return results ?? plans.map { $0.results(with: reads, aliases: aliases, at: now) }
    }

    /// From this many records read in a step (all kinds, all sources) its controls are judged concurrently.
    static let concurrentEvaluationRecords = 2_000

    /// The records a step's reads hold, every kind of every source together.
    static func records(in reads: [FactReads.Key: FactReads.Outcome]) -> Int {
        reads.values.reduce(0) { total, outcome in
            guard case .read(let facts) = outcome else { return total }
            return total + facts.recordCount
        }
    }

    /// What a control needs read, or the error that stops it before any read: the plan kept for it while it is
    /// unchanged, else built (the check from its spec, the sources that answer each kind it reads) and kept.
    private func plan(_ control: Control) -> Plan {
        if let kept = plans.plan(for: control) { return kept }
        let built = buildPlan(control)
        plans.keep(built)
        return built
    }

    private func buildPlan(_ control: Control) -> Plan {
        guard let spec = control.check else { return Plan(control: control, outcome: .done([])) }
        let check: any ControlCheck
        do { check = try CheckFactory.make(spec) } catch { return Plan(control: control, outcome: .done([Self.failure(control, "\(error)")])) }
        // The bot's own facts (access reviews certified from chat, integration health) are always eligible; the systems under watch
        // are those the control names, else all.
        let eligible = sources.indices.filter {
            spec.sources.isEmpty || spec.sources.contains(sources[$0].id) || sources[$0].provides.isSubset(of: FactKind.botKept)
        }
        var needs: [(kind: FactKind, keys: [FactReads.Key])] = []
        for kind in check.reads.sorted(by: { $0.rawValue < $1.rawValue }) {
            let providers = eligible.filter { sources[$0].provides.contains(kind) }
            needs.append((kind, providers.map { FactReads.Key(source: $0, id: sources[$0].id, kind: kind) }))
            if providers.isEmpty { break }   // the run stops here with "no source"; later kinds are not read
        }
        return Plan(control: control, outcome: .evaluate(check, needs))
    }

    /// The plans built, by control id, each with the control it was built for.
    private final class PlanCache: Sendable {
        private let kept = Mutex<[ControlID: Plan]>([:])

        /// The plan kept for `control`, if it was built for this very control (an edited control is planned anew).
        func plan(for control: Control) -> Plan? {
            kept.withLock { plans in plans[control.id].flatMap { $0.control == control ? $0 : nil } }
        }

        func keep(_ plan: Plan) { kept.withLock { $0[plan.control.id] = plan } }
    }

    /// One control's part of a step.
    private struct Plan: Sendable {
        enum Outcome: Sendable {
            /// Judged without reading (no check, or a check that cannot be built).
            case done([CheckResult])
            /// The check and, per kind it reads (in kind-name order), the reads that answer it.
            case evaluate(any ControlCheck, [(kind: FactKind, keys: [FactReads.Key])])
        }
        let control: Control
        let outcome: Outcome

        var reads: [FactReads.Key] {
            if case .evaluate(_, let needs) = outcome { needs.flatMap(\.keys) } else { [] }
        }

        /// The control's results from the step's reads: the first failed read (kind by kind, source by source, as a
        /// run reading them one after another would meet them) makes the whole run an error; else the check judges
        /// the facts gathered.
        func results(with reads: [FactReads.Key: FactReads.Outcome], aliases: AccountAliases, at now: Date) -> [CheckResult] {
            let check: any ControlCheck, needs: [(kind: FactKind, keys: [FactReads.Key])]
            switch outcome {
            case .done(let results): return results
            case .evaluate(let evaluated, let needed): (check, needs) = (evaluated, needed)
            }
            var facts = Facts()
            for need in needs {
                guard !need.keys.isEmpty else { return [ControlRunner.failure(control, CheckError.noSourceFor(kind: need.kind).description)] }
                for key in need.keys {
                    switch reads[key] {
                    case .read(let read)?:
                        // An answer without the kind would read as "nothing to check" and pass by silence.
                        guard read.has(need.kind) else {
                            return [ControlRunner.failure(control, "source \(key.id) answered without \(need.kind.rawValue)")]
                        }
                        facts.merge(read)
                    case .failed(let message)?:
                        return [ControlRunner.failure(control, message)]
                    case nil:
                        return [ControlRunner.failure(control, "the step did not read \(need.kind.rawValue)")]
                    }
                }
            }
            if let accounts = facts.accounts { facts.accounts = aliases.resolve(accounts) }
            let skipped = facts.problems.map { problem in
                CheckResult(resource: ResourceRef(id: "problem:" + String(problem.prefix(120)), name: problem, kind: "source_problem"),
                            status: .error(problem), expected: "every record of the source can be read", observed: problem)
            }
            let results = check.evaluate(facts, at: now) + skipped
            if results.isEmpty, let reason = check.nothingToJudge { return [ControlRunner.failure(control, reason)] }
            return ControlRunner.oneResultPerResource(results)
        }
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


    fileprivate static func failure(_ control: Control, _ message: String) -> CheckResult {
        CheckResult(resource: ResourceRef(id: "control:\(control.id)", name: control.title, kind: "control"),
                    status: .error(message), expected: "the check runs", observed: message)
    }
}

extension Facts {
    /// Records held, every kind together: how much judging them costs, roughly.
    var recordCount: Int {
        let lists: [Int?] = [people?.count, accounts?.count, buckets?.count, networkRules?.count, auditTrails?.count, repositories?.count,
                             training?.count, vendors?.count, devices?.count, vulnerabilities?.count, reviews?.count,
                             passwordPolicies?.count, databases?.count, encryptionKeys?.count, findings?.count, integrations?.count,
                             attestations?.count]
        return lists.reduce(problems.count) { $0 + ($1 ?? 0) }
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
