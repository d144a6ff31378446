import Chat
import Core
import FactSources
import Foundation

/// Every check type of this build, one line each. A new check type adds its descriptor next to its implementation
/// and one line here; validation, the factory and the manifests reference follow.
package enum CheckRegistry {
    package static let descriptors: [CheckDescriptor] = [
        OffboardingCheck.descriptor,
        UnmatchedAccountsCheck.descriptor,
        PrivilegedAccessCheck.descriptor,
        AccessReviewCheck.descriptor,
        MFACheck.descriptor,
        RootMFACheck.descriptor,
        InactiveAccountsCheck.descriptor,
        StorageEncryptionCheck.descriptor,
        StoragePublicAccessCheck.descriptor,
        NetworkExposureCheck.descriptor,
        AuditLoggingCheck.descriptor,
        BranchProtectionCheck.descriptor,
        TrainingCheck.descriptor,
        VendorReportCheck.descriptor,
        VendorPaperworkCheck.descriptor,
        DeviceEncryptionCheck.descriptor,
        OSPatchLevelCheck.descriptor,
        EDRPresentCheck.descriptor,
        ScreenLockCheck.descriptor,
        DeviceCheckInCheck.descriptor,
        VulnerabilityCheck.descriptor,
        AccessKeyAgeCheck.descriptor,
        PasswordPolicyCheck.descriptor,
        DatabaseEncryptionCheck.descriptor,
        DatabasePublicAccessCheck.descriptor,
        KeyRotationCheck.descriptor,
        IntegrationHealthCheck.descriptor,
        PolicyAttestationCheck.descriptor,
        ImportedFindingsCheck.descriptor,
    ]

    /// Every check type's description, in registration order.
    package static var types: [CheckType] { descriptors.map(\.type) }

    package static func descriptor(named name: String) -> CheckDescriptor? { descriptors.first { $0.type.name == name } }
    package static func type(named name: String) -> CheckType? { descriptor(named: name)?.type }

    /// The parameters of a control's `check:`, read through its type's specs; nil for a type this build does not know.
    package static func parameters(of spec: CheckSpec) -> DescribedSettings? { descriptor(named: spec.type)?.parameters(of: spec) }
}

extension Catalog {
    /// The shipped catalog: every registered source kind and check type, and the chat platforms' descriptions from
    /// their adapters (`ChatAdapters.kinds`). The CLI, the demo and the tests validate manifests against it.
    package static let builtIn = Catalog(sourceKinds: SourceRegistry.kinds, checkTypes: CheckRegistry.types, chatPlatforms: ChatAdapters.kinds)
}
