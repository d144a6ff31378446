import Core
import Foundation
import HTTP

/// RDS database instances in each region (CC6.1, CC6.6, CC6.7): `DescribeDBInstances`, following `Marker`.
struct RDSInstances: Sendable {
    let client: AWSClient
    let regions: [String]
    static let version = "2014-10-31"

    func databases() async throws -> [Database] {
        var databases: [Database] = []
        for region in regions {
            databases += try await PageTokens.collect(operation: "RDS DescribeDBInstances", source: client.source, maxPages: AWSClient.maxPages) { marker in
                var parameters: [(String, String)] = [("MaxRecords", "100")]
                if let marker { parameters.append(("Marker", marker)) }
                let xml = try await client.query(service: "rds", region: region, action: "DescribeDBInstances", version: Self.version, parameters)
                guard xml.name == "DescribeDBInstancesResponse" else {
                    throw SourceError.unavailable(source: client.source, reason: "RDS DescribeDBInstances: unexpected answer <\(xml.name)>")
                }
                let page = try xml.all(path: ["DescribeDBInstancesResult", "DBInstances", "DBInstance"]).map { instance in
                    guard let id = instance.value("DBInstanceIdentifier"), let encrypted = instance.value("StorageEncrypted") else {
                        throw SourceError.unavailable(source: client.source, reason: "RDS DescribeDBInstances: an instance without identifier or StorageEncrypted")
                    }
                    return Database(provider: "AWS RDS", id: "\(region)/\(id)", engine: instance.value("Engine") ?? "unknown engine",
                                    storageEncrypted: encrypted == "true", publiclyAccessible: instance.value("PubliclyAccessible") == "true")
                }
                return (page, xml.value("DescribeDBInstancesResult", "Marker"))
            }
        }
        return databases
    }
}

/// Customer-managed KMS keys in each region and whether they rotate (CC6.1): `ListKeys` and `ListAliases`
/// (following `NextMarker`), then `DescribeKey` and, for enabled symmetric customer keys, `GetKeyRotationStatus`.
/// AWS-managed keys rotate by themselves and keys pending deletion or disabled protect nothing new: both are left out.
struct KMSKeys: Sendable {
    let client: AWSClient
    let regions: [String]
    var concurrency = 8
    static let prefix = "TrentService."

    func keys() async throws -> [EncryptionKey] {
        var keys: [EncryptionKey] = []
        for region in regions {
            let ids = try await list(region: region, operation: "ListKeys", field: "Keys").compactMap { $0["KeyId"] as? String }
            var aliases: [String: String] = [:]
            for alias in try await list(region: region, operation: "ListAliases", field: "Aliases") {
                if let target = alias["TargetKeyId"] as? String, let name = alias["AliasName"] as? String { aliases[target] = name }
            }
            let named = aliases
            let found = try await boundedMap(ids, limit: concurrency) { id in try await self.key(id, region: region, alias: named[id]) }
            keys += found.compactMap { $0 }
        }
        return keys
    }

    private func key(_ id: String, region: String, alias: String?) async throws -> EncryptionKey? {
        let described = try await client.json(service: "kms", region: region, target: Self.prefix + "DescribeKey", ["KeyId": id])
        guard let metadata = described["KeyMetadata"] as? [String: Any], let manager = metadata["KeyManager"] as? String,
              let state = metadata["KeyState"] as? String else {
            throw SourceError.unavailable(source: client.source, reason: "KMS DescribeKey \(id): no KeyMetadata in the answer")
        }
        guard manager == "CUSTOMER", state == "Enabled" else { return nil }
        let spec = metadata["KeySpec"] as? String ?? metadata["CustomerMasterKeySpec"] as? String ?? "SYMMETRIC_DEFAULT"
        let origin = metadata["Origin"] as? String ?? "AWS_KMS"
        // Automatic rotation exists only for symmetric keys with key material KMS generated.
        let rotatable = spec == "SYMMETRIC_DEFAULT" && origin == "AWS_KMS"
        var rotation = false
        if rotatable {
            let status = try await client.json(service: "kms", region: region, target: Self.prefix + "GetKeyRotationStatus", ["KeyId": id])
            guard let enabled = status["KeyRotationEnabled"] as? Bool else {
                throw SourceError.unavailable(source: client.source, reason: "KMS GetKeyRotationStatus \(id): no KeyRotationEnabled in the answer")
            }
            rotation = enabled
        }
        let label = alias ?? (metadata["Description"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return EncryptionKey(provider: "AWS KMS", id: "\(region)/\(id)", label: label, rotatable: rotatable, rotationEnabled: rotation)
    }

    /// Every item of a KMS list operation, following `NextMarker` while `Truncated`.
    private func list(region: String, operation: String, field: String) async throws -> [[String: Any]] {
        try await PageTokens.collect(operation: "KMS \(operation)", source: client.source, maxPages: AWSClient.maxPages) { marker in
            // The largest page each operation allows: ListKeys 1,000, ListAliases 100 (more is a ValidationException).
            var body: [String: any Sendable] = ["Limit": operation == "ListAliases" ? 100 : 1000]
            if let marker { body["Marker"] = marker }
            let page = try await client.json(service: "kms", region: region, target: Self.prefix + operation, body)
            guard let list = page[field] as? [[String: Any]] else {
                throw SourceError.unavailable(source: client.source, reason: "KMS \(operation): no \(field) in the answer")
            }
            let truncated = page["Truncated"] as? Bool ?? false
            let next = truncated ? page["NextMarker"] as? String : nil
            if truncated, next?.isEmpty ?? true {
                throw SourceError.unavailable(source: client.source, reason: "KMS \(operation): a truncated page without NextMarker")
            }
            return (list, next)
        }
    }
}
