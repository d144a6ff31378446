import Foundation

/// One page of `GET /api/v1/computers-inventory`: the total across all pages, and this page's computers.
struct JamfInventoryPage: Decodable, Sendable {
    var totalCount: Int
    var results: [JamfComputer]
}

/// A computer from the Jamf Pro API inventory with the sections the bot asks for (`GENERAL`, `HARDWARE`,
/// `DISK_ENCRYPTION`, `OPERATING_SYSTEM`, `USER_AND_LOCATION`, `APPLICATIONS`); a section not asked for is null.
struct JamfComputer: Decodable, Sendable {
    struct General: Decodable, Sendable {
        var name: String?
        /// The last time the computer checked in with Jamf Pro (ISO 8601), null for one that never did.
        var lastContactTime: String?
    }
    struct Hardware: Decodable, Sendable {
        var serialNumber: String?
    }
    struct DiskEncryption: Decodable, Sendable {
        /// FileVault state of the boot partition: `UNKNOWN`, `UNENCRYPTED`, `INELIGIBLE`, `DECRYPTED`, `DECRYPTING`,
        /// `ENCRYPTED`, `ENCRYPTING`, `RESTART_NEEDED`, `OPTIMIZING`, `DECRYPTING_PAUSED`, `ENCRYPTING_PAUSED`.
        struct Partition: Decodable, Sendable {
            var partitionName: String?
            var partitionFileVault2State: String?
        }
        var bootPartitionEncryptionDetails: Partition?
    }
    struct OperatingSystem: Decodable, Sendable {
        var name: String?
        var version: String?
        /// `NOT_APPLICABLE`, `NOT_ENCRYPTED`, `BOOT_ENCRYPTED`, `SOME_ENCRYPTED`, `ALL_ENCRYPTED`.
        var fileVault2Status: String?
    }
    struct UserAndLocation: Decodable, Sendable {
        var username: String?
        var email: String?
    }
    struct Application: Decodable, Sendable {
        var name: String
    }

    var id: String
    var general: General?
    var hardware: Hardware?
    var diskEncryption: DiskEncryption?
    var operatingSystem: OperatingSystem?
    var userAndLocation: UserAndLocation?
    var applications: [Application]?

    /// FileVault on: the boot partition reports `ENCRYPTED`; without a boot partition report, the operating system
    /// section's summary says the boot volume (or every volume) is encrypted. Encrypting, paused, needing a restart
    /// or unknown is not encrypted.
    var fileVaultOn: Bool {
        if let state = diskEncryption?.bootPartitionEncryptionDetails?.partitionFileVault2State {
            return state == "ENCRYPTED"
        }
        return ["BOOT_ENCRYPTED", "ALL_ENCRYPTED"].contains(operatingSystem?.fileVault2Status ?? "")
    }
}
