import Core
import Foundation
import HTTP

/// Account-level IAM and STS facts: who the credentials are (`GetCallerIdentity`), the account password policy
/// (`GetAccountPasswordPolicy`; 404 `NoSuchEntity` means none is set), and role assumption into member accounts.
struct AWSAccountFacts: Sendable {
    let client: AWSClient
    static let stsVersion = "2011-06-15"

    /// The 12-digit account id the credentials belong to.
    func accountID() async throws -> String {
        let xml = try await client.query(service: "sts", region: "us-east-1", action: "GetCallerIdentity", version: Self.stsVersion)
        guard let account = xml.value("GetCallerIdentityResult", "Account"), !account.isEmpty else {
            throw SourceError.unavailable(source: client.source, reason: "STS GetCallerIdentity: no Account in the answer")
        }
        return account
    }

    func passwordPolicy(account: String) async throws -> PasswordPolicy {
        guard let xml = try await client.queryUnlessMissing(service: "iam", region: "us-east-1", action: "GetAccountPasswordPolicy",
                                                            version: IAMUsers.version) else {
            return PasswordPolicy(provider: "AWS", account: account, exists: false)
        }
        guard let policy = xml.all(path: ["GetAccountPasswordPolicyResult", "PasswordPolicy"]).first,
              let length = policy.value("MinimumPasswordLength").flatMap(Int.init) else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetAccountPasswordPolicy: no MinimumPasswordLength in the answer")
        }
        func flag(_ name: String) -> Bool { policy.value(name) == "true" }
        return PasswordPolicy(provider: "AWS", account: account, exists: true, minimumLength: length,
                              requireSymbols: flag("RequireSymbols"), requireNumbers: flag("RequireNumbers"),
                              requireUppercase: flag("RequireUppercaseCharacters"), requireLowercase: flag("RequireLowercaseCharacters"),
                              maxAgeDays: flag("ExpirePasswords") ? policy.value("MaxPasswordAge").flatMap(Int.init) : nil,
                              reusePrevention: policy.value("PasswordReusePrevention").flatMap(Int.init))
    }

    /// Temporary credentials for `roleARN` (`AssumeRole`, one hour), to read a member account.
    func assume(roleARN: String, externalID: String?) async throws -> AWSCredentials {
        var parameters = [("RoleArn", roleARN), ("RoleSessionName", "soc2bot"), ("DurationSeconds", "3600")]
        if let externalID { parameters.append(("ExternalId", externalID)) }
        let xml = try await client.query(service: "sts", region: "us-east-1", action: "AssumeRole", version: Self.stsVersion, parameters)
        guard let credentials = xml.all(path: ["AssumeRoleResult", "Credentials"]).first,
              let key = credentials.value("AccessKeyId"), let secret = credentials.value("SecretAccessKey") else {
            throw SourceError.unavailable(source: client.source, reason: "STS AssumeRole \(roleARN): no credentials in the answer")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: credentials.value("SessionToken"))
    }
}
