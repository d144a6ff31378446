import Foundation

/// One page of an Azure Resource Manager list operation: `value`, and `nextLink` while more pages follow.
struct ARMPage<Item: Decodable & Sendable>: Decodable, Sendable {
    var value: [Item]
    var nextLink: String?
}

/// A storage account from Storage Accounts - List (`Microsoft.Storage/storageAccounts`), with the properties the
/// bot reads.
struct ARMStorageAccount: Decodable, Sendable {
    struct Properties: Decodable, Sendable {
        struct Encryption: Decodable, Sendable {
            /// `Microsoft.Storage` (Microsoft-managed keys) or `Microsoft.Keyvault` (customer-managed keys).
            var keySource: String?
        }
        var encryption: Encryption?
        /// The account-level gate on anonymous blob access; absent means false for api-version 2023-01-01 and later.
        var allowBlobPublicAccess: Bool?
    }
    var id: String
    var name: String
    var properties: Properties?
}

/// A network security group from Network Security Groups - List All (`Microsoft.Network/networkSecurityGroups`).
struct ARMNetworkSecurityGroup: Decodable, Sendable {
    struct Properties: Decodable, Sendable {
        /// The rules the owner wrote; the built-in `defaultSecurityRules` only admit the virtual network and the load
        /// balancer inbound, so they are not read.
        var securityRules: [ARMSecurityRule]?
    }
    var id: String
    var name: String
    var properties: Properties?
}

/// A security rule of a network security group.
struct ARMSecurityRule: Decodable, Sendable {
    struct Properties: Decodable, Sendable {
        /// `Allow` or `Deny`.
        var access: String
        /// `Inbound` or `Outbound`.
        var direction: String
        /// A CIDR, an address, `*`, or a service tag (`Internet`, `VirtualNetwork`, `AzureLoadBalancer` …).
        var sourceAddressPrefix: String?
        var sourceAddressPrefixes: [String]?
        /// A port, an inclusive range `1000-2000`, or `*` for all ports.
        var destinationPortRange: String?
        var destinationPortRanges: [String]?
        var priority: Int?
    }
    var id: String?
    var name: String
    var properties: Properties
}

/// A subscription diagnostic setting from Subscription Diagnostic Settings - List
/// (`Microsoft.Insights/diagnosticSettings` at subscription scope): where the Activity Log is exported.
struct ARMDiagnosticSetting: Decodable, Sendable {
    struct Properties: Decodable, Sendable {
        struct Log: Decodable, Sendable {
            var category: String?
            var categoryGroup: String?
            var enabled: Bool
        }
        var storageAccountId: String?
        var workspaceId: String?
        var eventHubAuthorizationRuleId: String?
        var marketplacePartnerId: String?
        var logs: [Log]?
    }
    var id: String?
    var name: String
    var properties: Properties
}
