import Core
import Foundation
import HTTP

/// Facts from AWS: IAM users and the root user (accounts, with access-key ages; `IAMUsers`, in bulk), the account
/// password policy, S3 buckets (encryption, public access; `S3Inventory`, three requests a bucket), EC2
/// security-group rules, CloudTrail trails, RDS instances and customer-managed KMS keys per region, the kinds asked
/// for read at the same time. Failing buckets, rules and trails are dated from CloudTrail's event history where it can
/// tell (`CloudTrailChanges`).
///
/// Manifest: `credentials: {access_key_id: VAR, secret_access_key: VAR, session_token: VAR?}` name environment
/// variables; `settings.endpoint` (or `AWS_ENDPOINT_URL`) points every service at an emulator;
/// `settings.regions` (default `us-east-1`); `settings.assume_roles` lists role ARNs in member accounts to read as
/// well (with `settings.external_id` if the roles require one, and `settings.include_base_account: false` to read only
/// those); `settings.change_lookups` caps the CloudTrail history lookups per run (default 20, 0 turns them off).
/// With `assume_roles`, names that are only unique within an account (IAM users, trails, databases, the password
/// policy) carry the account id.
package struct AWSSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { Set(Self.descriptor.kind.provides) }
    let client: AWSClient
    /// Regions to read regional services in (`settings.regions`, default `us-east-1`).
    let regions: [String]
    let assumeRoles: [String]
    let externalID: String?
    let includeBaseAccount: Bool
    let changeLookups: Int

    /// Reads credentials from `environment` by the variable names in `config`; throws when one is missing.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let keyVariable = config.credentialVariables["access_key_id"] ?? "AWS_ACCESS_KEY_ID"
        let secretVariable = config.credentialVariables["secret_access_key"] ?? "AWS_SECRET_ACCESS_KEY"
        let tokenVariable = config.credentialVariables["session_token"] ?? "AWS_SESSION_TOKEN"
        guard let credentials = AWSCredentials.fromEnvironment(environment, accessKeyVariable: keyVariable,
                                                               secretVariable: secretVariable, tokenVariable: tokenVariable) else {
            throw SourceError.unavailable(source: config.id, reason: "set the environment variables \(keyVariable) and \(secretVariable)")
        }
        let settings = Self.descriptor.settings(config)
        // The one default that depends on the environment: an emulator's URL from AWS_ENDPOINT_URL (the spec's help says so).
        var endpoint = try settings.url(ifSet: "endpoint")
        if endpoint == nil, let endpointText = environment["AWS_ENDPOINT_URL"] {
            guard let url = URL(string: endpointText), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw SourceError.unavailable(source: config.id, reason: "endpoint `\(endpointText)` is not an http(s) URL")
            }
            endpoint = url
        }
        client = AWSClient(source: config.id, credentials: credentials, endpoint: endpoint, transport: transport, clock: clock)
        let configured = try settings.strings("regions")
        regions = configured.isEmpty ? try settings.defaults.strings("regions") : configured
        assumeRoles = try settings.strings(ifSet: "assume_roles") ?? []
        for role in assumeRoles where !Self.isRoleARN(role) {
            throw SourceError.unavailable(source: config.id, reason: "assume_roles: `\(role)` is not a role ARN (arn:aws:iam::<12-digit account>:role/<name>)")
        }
        externalID = try settings.string(ifSet: "external_id")
        includeBaseAccount = try settings.bool("include_base_account")
        changeLookups = try settings.integer("change_lookups")
    }

    static func isRoleARN(_ text: String) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[4].count == 12 && parts[4].allSatisfy(\.isNumber)
            && parts[5].hasPrefix("role/")
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        if assumeRoles.isEmpty {
            return try await read(kinds, client: client, account: nil)
        }
        let base = AWSAccountFacts(client: client)
        if includeBaseAccount {
            facts.merge(try await read(kinds, client: client, account: try await base.accountID()))
        }
        for role in assumeRoles {
            let credentials = try await base.assume(roleARN: role, externalID: externalID)
            var member = client
            member.credentials = credentials
            let account = String(role.split(separator: ":", omittingEmptySubsequences: false)[4])
            facts.merge(try await read(kinds, client: member, account: account))
        }
        return facts
    }

    /// One account's facts, each kind read at the same time as the others (their round trips overlap). `account`
    /// is set when the source reads several: names unique only within an account carry it.
    private func read(_ kinds: Set<FactKind>, client: AWSClient, account: String?) async throws -> Facts {
        for kind in kinds where !provides.contains(kind) {
            throw SourceError.unavailable(source: id, reason: "AWS does not provide \(kind.rawValue)")
        }
        var facts = try await withThrowingTaskGroup(of: Facts.self) { group in
            for kind in kinds {
                group.addTask { try await self.read(kind, client: client, account: account) }
            }
            var facts = Facts()
            for try await part in group { facts.merge(part) }
            return facts
        }
        await datingChanges(&facts, client: client)
        return facts
    }

    private func read(_ kind: FactKind, client: AWSClient, account: String?) async throws -> Facts {
        var facts = Facts()
        switch kind {
        case .buckets:
            facts.buckets = try await S3Inventory(client: client).buckets()
        case .networkRules:
            facts.networkRules = try await EC2SecurityGroups(client: client, regions: regions).rules()
        case .accounts:
            facts.accounts = try await IAMUsers(client: client, qualifier: account).accounts()
        case .auditTrails:
            facts.auditTrails = try await CloudTrailStatus(client: client, region: regions[0]).trails().map { trail in
                var trail = trail
                trail.scope = account
                return trail
            }
        case .passwordPolicies:
            let identity = AWSAccountFacts(client: client)
            let id = if let account { account } else { try await identity.accountID() }
            facts.passwordPolicies = [try await identity.passwordPolicy(account: id)]
        case .databases:
            facts.databases = try await RDSInstances(client: client, regions: regions).databases().map { db in
                var db = db
                if let account { db.id = "\(account)/\(db.id)" }
                return db
            }
        case .encryptionKeys:
            facts.encryptionKeys = try await KMSKeys(client: client, regions: regions).keys()
        default:
            throw SourceError.unavailable(source: id, reason: "AWS does not provide \(kind.rawValue)")
        }
        return facts
    }

    /// Dates failing-looking buckets, rules and trails from CloudTrail's event history, up to `changeLookups` a run
    /// (LookupEvents allows two calls a second per account and region). The first unreadable answer (no permission,
    /// throttled, not supported) ends the lookups for this run: the failures stand, dated by the bot's runs.
    private func datingChanges(_ facts: inout Facts, client: AWSClient) async {
        let history = CloudTrailChanges(client: client)
        let home = regions[0]
        var lookups: [(kind: FactKind, index: Int, resource: String, region: String, events: Set<String>)] = []
        for (i, bucket) in (facts.buckets ?? []).enumerated() where bucket.encryption == .none || bucket.isPublic {
            lookups.append((.buckets, i, bucket.name, home, CloudTrailChanges.bucketEvents))
        }
        for (i, rule) in (facts.networkRules ?? []).enumerated() where rule.sources.contains(where: { $0 == "0.0.0.0/0" || $0 == "::/0" }) {
            // Rule ids are `region/group/index`.
            let parts = rule.id.split(separator: "/")
            if parts.count == 3 { lookups.append((.networkRules, i, String(parts[1]), String(parts[0]), CloudTrailChanges.securityGroupEvents)) }
        }
        for (i, trail) in (facts.auditTrails ?? []).enumerated() where !(trail.logging && trail.multiRegion) && trail.name != CloudTrailStatus.noTrail {
            lookups.append((.auditTrails, i, trail.name, home, CloudTrailChanges.trailEvents))
        }
        for lookup in lookups.prefix(max(0, changeLookups)) {
            guard let change = try? await history.lastChange(resource: lookup.resource, region: lookup.region, events: lookup.events) else { return }
            switch lookup.kind {
            case .buckets: facts.buckets?[lookup.index].lastChange = change
            case .networkRules: facts.networkRules?[lookup.index].lastChange = change
            default: facts.auditTrails?[lookup.index].lastChange = change
            }
        }
    }
}
