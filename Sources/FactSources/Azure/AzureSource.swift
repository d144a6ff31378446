import Core
import Foundation
import HTTP

/// Storage accounts, network security group rules and Activity Log export from Azure Resource Manager, for each
/// listed subscription. Serves CC6.1, CC6.6, CC6.7 (storage encryption and public access, network exposure) and
/// CC7.2 (audit logging).
///
/// Manifest:
/// ```yaml
/// kind: azure
/// credentials: {client_id: AZURE_CLIENT_ID, client_secret: AZURE_CLIENT_SECRET}   # the defaults
/// settings:
///   tenant_id: 00000000-0000-0000-0000-000000000000   # required (a tenant id or its primary domain)
///   subscriptions: [11111111-1111-1111-1111-111111111111]   # required: subscription ids
///   authority: https://login.microsoftonline.com    # default
///   management_url: https://management.azure.com    # default
/// ```
/// The app registration signs in with the client credentials grant (the token code is shared with the Entra
/// source) and its service principal needs the built-in **Reader** role on each subscription; without it ARM
/// answers 403 `AuthorizationFailed` and the source reports an error naming the role.
///
/// What the facts mean:
/// - **buckets**: one per storage account, named `{subscription}/{account}`. Azure always encrypts at rest, so
///   `encryption.keySource` `Microsoft.Keyvault` is customer-managed and `Microsoft.Storage` provider-managed; an
///   account without an encryption block is a malformed answer, never `none`. Public is `allowBlobPublicAccess`
///   true or absent. A blob is only anonymous when its container's access level is also set to `blob` or
///   `container`, but `allowBlobPublicAccess` is the account-level gate: with it off no container can be public, so
///   it is what the control tests. Absent counts as on: accounts from before the late-2023 default never set it and
///   permit anonymous access (earlier api-versions documented true as the default interpretation, later ones
///   false); a security check must not read a missing gate as closed. Like the S3 source, this one
///   reads no tag convention for customer data, so `holdsCustomerData` stays false.
/// - **networkRules**: one per inbound `Allow` rule of each network security group and each of its destination port
///   ranges (`*` is all ports). Sources `*`, `Internet`, `Any`, `0.0.0.0/0` and `::/0` are the whole internet and are
///   reported as `0.0.0.0/0` and `::/0`; other prefixes and service tags are kept as written. `Deny` rules and
///   outbound rules are not reported, so an allow shadowed by a higher-priority deny still shows (the check errs
///   towards a finding).
/// - **auditTrails**: the subscription's Activity Log is subscription-wide (multi-region); it is kept for 90 days
///   regardless, so the control asks that it be exported: a diagnostic setting that sends the `Administrative`
///   category (or the `allLogs` group) enabled to a storage account, Log Analytics workspace, event hub or partner
///   solution is logging. A subscription without one gets a trail `subscription {id} activity log export` that is
///   not logging. Each trail's scope is its subscription: the audit check wants a logging trail per scope, since one
///   subscription's export says nothing of another's.
///
/// MFA for Azure users is the `entra` source's job (Azure sign-in is Entra ID); this source provides no accounts.
package struct AzureSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.buckets, .networkRules, .auditTrails] }
    let client: AzureResourceManagerClient
    /// Subscription ids, in the manifest's order.
    let subscriptions: [String]

    static let defaultClientIDVariable = "AZURE_CLIENT_ID"
    static let defaultClientSecretVariable = "AZURE_CLIENT_SECRET"
    static let provider = "Azure"

    /// Storage Accounts - List.
    static let storageAPIVersion = "2023-05-01"
    /// Network Security Groups - List All.
    static let networkAPIVersion = "2023-09-01"
    /// Subscription Diagnostic Settings - List (the latest version of that API is a preview).
    static let diagnosticSettingsAPIVersion = "2021-05-01-preview"

    /// Reads the client id and secret from `environment` by the variable names in `config`, and the tenant and
    /// subscriptions from its settings; throws `SourceError.unavailable` saying what to set. `clock` waits out
    /// throttling.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let settings = Self.descriptor.settings(config)
        let identity = try MicrosoftIdentityToken(config: config, settings: settings, environment: environment,
                                                  defaultClientIDVariable: Self.defaultClientIDVariable,
                                                  defaultClientSecretVariable: Self.defaultClientSecretVariable, scope: AzureResourceManagerClient.scope,
                                                  sender: ThrottledSender(transport: transport, sleep: clock.sleepFunction, now: clock.nowFunction), now: clock.nowFunction)
        let subscriptions = try settings.strings(ifSet: "subscriptions") ?? []
        guard !subscriptions.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "settings.subscriptions is required: the ids of the subscriptions to read")
        }
        if let odd = subscriptions.first(where: { $0.isEmpty || !$0.allSatisfy { $0.isASCII && ($0.isHexDigit || $0 == "-") } }) {
            throw SourceError.unavailable(source: config.id, reason: "settings.subscriptions: `\(odd)` is not a subscription id (a GUID)")
        }
        self.subscriptions = subscriptions
        client = AzureResourceManagerClient(identity: identity, managementURL: try settings.url("management_url"))
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        for kind in kinds.sorted(by: { $0.rawValue < $1.rawValue }) {
            switch kind {
            case .buckets: facts.buckets = try await buckets()
            case .networkRules: facts.networkRules = try await networkRules()
            case .auditTrails: facts.auditTrails = try await auditTrails()
            default:
                let hint = kind == .accounts ? " (Azure sign-in is Entra ID: configure an `entra` source for accounts and MFA)" : ""
                throw SourceError.unavailable(source: id, reason: "Azure provides buckets, network rules and audit trails, not \(kind.rawValue)\(hint)")
            }
        }
        return facts
    }

    /// Every storage account of every subscription.
    func buckets() async throws -> [Bucket] {
        var buckets: [Bucket] = []
        for subscription in subscriptions {
            let operation = "list storage accounts of subscription \(subscription)"
            let accounts: [ARMStorageAccount] = try await client.list("/subscriptions/\(subscription)/providers/Microsoft.Storage/storageAccounts",
                                                                      apiVersion: Self.storageAPIVersion, operation: operation)
            for account in accounts {
                guard let encryption = Self.encryption(account.properties?.encryption?.keySource) else {
                    let found = account.properties?.encryption?.keySource.map { "keySource `\($0)`" } ?? "no encryption block"
                    throw SourceError.unavailable(source: id, reason: "\(operation): storage account \(account.name) has \(found)")
                }
                // Not set (accounts from before the late-2023 default) means anonymous access is permitted, as `true` does.
                buckets.append(Bucket(provider: Self.provider, name: "\(subscription)/\(account.name)", encryption: encryption,
                                      isPublic: account.properties?.allowBlobPublicAccess ?? true))
            }
        }
        return buckets
    }

    /// The encryption a storage account's `encryption.keySource` means, or nil when it is missing or unknown.
    static func encryption(_ keySource: String?) -> Bucket.Encryption? {
        switch keySource?.lowercased() {
        case "microsoft.keyvault": .customerManaged
        case "microsoft.storage": .providerManaged
        default: nil
        }
    }

    /// Every inbound allow rule of every network security group, one per destination port range.
    func networkRules() async throws -> [NetworkRule] {
        var rules: [NetworkRule] = []
        for subscription in subscriptions {
            let operation = "list network security groups of subscription \(subscription)"
            let groups: [ARMNetworkSecurityGroup] = try await client.list(
                "/subscriptions/\(subscription)/providers/Microsoft.Network/networkSecurityGroups",
                apiVersion: Self.networkAPIVersion, operation: operation)
            for group in groups {
                let resourceGroup = Self.resourceGroup(of: group.id) ?? "?"
                for rule in group.properties?.securityRules ?? [] {
                    let properties = rule.properties
                    guard properties.direction.caseInsensitiveCompare("Inbound") == .orderedSame,
                          properties.access.caseInsensitiveCompare("Allow") == .orderedSame else { continue }
                    let sources = Self.sources(([properties.sourceAddressPrefix].compactMap { $0 }) + (properties.sourceAddressPrefixes ?? []))
                    let ranges = ([properties.destinationPortRange].compactMap { $0 }) + (properties.destinationPortRanges ?? [])
                    guard !ranges.isEmpty else {
                        throw SourceError.unavailable(source: id, reason: "\(operation): rule \(rule.name) of \(group.name) has no destination port")
                    }
                    for range in ranges {
                        guard let ports = Self.ports(range) else {
                            throw SourceError.unavailable(source: id, reason: "\(operation): rule \(rule.name) of \(group.name) has port range `\(range)`")
                        }
                        let trimmed = range.trimmingCharacters(in: .whitespaces)
                        rules.append(NetworkRule(provider: Self.provider, id: "\(subscription)/\(resourceGroup)/\(group.name)/\(rule.name)/\(trimmed)",
                                                 name: "\(rule.name) in \(group.name)", fromPort: ports.from, toPort: ports.to, sources: sources))
                    }
                }
            }
        }
        return rules
    }

    /// Address prefixes as the network check reads them: the whole internet as `0.0.0.0/0` and `::/0`.
    static func sources(_ prefixes: [String]) -> [String] {
        var out: [String] = []
        for prefix in prefixes.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let mapped: [String] = switch prefix.lowercased() {
            case "*", "internet", "any": ["0.0.0.0/0", "::/0"]
            case "0.0.0.0/0", "0.0.0.0": ["0.0.0.0/0"]
            case "::/0": ["::/0"]
            default: [prefix]
            }
            for value in mapped where !out.contains(value) { out.append(value) }
        }
        return out
    }

    /// `22` → 22…22, `1000-2000` → 1000…2000, `*` → all ports (nil, nil); nil for anything else.
    static func ports(_ range: String) -> (from: Int?, to: Int?)? {
        let text = range.trimmingCharacters(in: .whitespaces)
        if text == "*" { return (nil, nil) }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(bounds.count), let from = bounds.first ?? nil, let to = bounds.last ?? nil,
              0 <= from, from <= to, to <= 65_535 else { return nil }
        return (from, to)
    }

    /// The resource group named in an ARM resource id (`/subscriptions/…/resourceGroups/{name}/providers/…`).
    static func resourceGroup(of resourceID: String) -> String? {
        let parts = resourceID.split(separator: "/")
        guard let index = parts.firstIndex(where: { $0.lowercased() == "resourcegroups" }), index + 1 < parts.count else { return nil }
        return String(parts[index + 1])
    }

    /// Each subscription's Activity Log export: one trail per diagnostic setting, or one that is not logging.
    func auditTrails() async throws -> [AuditTrail] {
        var trails: [AuditTrail] = []
        for subscription in subscriptions {
            let settings: [ARMDiagnosticSetting] = try await client.list(
                "/subscriptions/\(subscription)/providers/Microsoft.Insights/diagnosticSettings",
                apiVersion: Self.diagnosticSettingsAPIVersion, operation: "list activity log diagnostic settings of subscription \(subscription)")
            // Each subscription needs an export of its own: the trail's scope.
            guard !settings.isEmpty else {
                trails.append(AuditTrail(provider: Self.provider, name: "subscription \(subscription) activity log export", multiRegion: true,
                                         logging: false, scope: subscription))
                continue
            }
            for setting in settings {
                trails.append(AuditTrail(provider: Self.provider, name: "\(setting.name) (subscription \(subscription) activity log export)",
                                         multiRegion: true, logging: Self.exportsAdministrativeEvents(setting), scope: subscription))
            }
        }
        return trails
    }

    /// Whether a setting sends the `Administrative` category (alone or through the `allLogs` group) somewhere.
    static func exportsAdministrativeEvents(_ setting: ARMDiagnosticSetting) -> Bool {
        let properties = setting.properties
        let destinations = [properties.storageAccountId, properties.workspaceId, properties.eventHubAuthorizationRuleId, properties.marketplacePartnerId]
        guard destinations.contains(where: { !($0 ?? "").isEmpty }) else { return false }
        return (properties.logs ?? []).contains { log in
            log.enabled && (log.category?.caseInsensitiveCompare("Administrative") == .orderedSame
                            || log.categoryGroup?.caseInsensitiveCompare("allLogs") == .orderedSame)
        }
    }
}
