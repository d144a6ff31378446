import Chat
import Foundation
import Checks
import Testing
@testable import Core
@testable import Manifests

/// The manifests the project ships: the starter set and the demo organisation must always load cleanly.
@Suite struct ShippedManifestsTests {
    /// The repository root, found from this file (`Tests/ManifestsTests/…`), following symlinks.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func load(_ path: String) -> Result<BotConfig, ManifestProblems> {
        ManifestLoader.load(directory: repositoryRoot.appendingPathComponent(path), catalog: .builtIn)
    }

    @Test func starterManifestsLoadWithoutProblems() throws {
        let config = try Self.load("manifests").get()
        #expect(config.organisation == "Example Co")
        #expect(config.people.count >= 8)
        #expect(Set(config.sources.map(\.kind)).isSuperset(of: ["aws", "github", "okta", "bamboohr", "jamf", "knowbe4", "vendor_register"]))
    }

    @Test func starterControlsCoverEverySeedCriterion() throws {
        let config = try Self.load("manifests").get()
        let served = Set(config.controls.flatMap(\.criteria).map(\.rawValue))
        for criterion in ["CC1.4", "CC6.1", "CC6.2", "CC6.3", "CC6.6", "CC6.7", "CC7.1", "CC7.2", "CC8.1", "CC9.2"] {
            #expect(served.contains(criterion), "no starter control serves \(criterion)")
        }
        #expect(config.controls.contains { !$0.isAutomated && $0.criteria.contains(Criterion("CC6.3")!) })
        #expect(config.controls.contains { !$0.isAutomated && $0.criteria.contains { $0.series == "CC7" } })
    }

    @Test func starterSourcesNameEnvironmentVariablesOnly() throws {
        let config = try Self.load("manifests").get()
        let variables = config.sources.flatMap(\.credentialVariables.values)
        #expect(!variables.isEmpty)
        #expect(variables.allSatisfy(ManifestFileDecoder.isEnvironmentVariableName))
    }

    @Test func demoManifestsLoadWithTheIdsTheTimelineUses() throws {
        let config = try Self.load("manifests/demo").get()
        #expect(config.organisation == "Northwind Analytics")
        #expect(config.controls.map(\.id.rawValue) == [
            "offboarding-sla", "admin-mfa", "storage-encryption", "storage-public", "branch-protection",
            "security-training", "vendor-soc2-reports", "laptop-encryption", "ssh-exposure", "audit-trail",
            "database-encryption", "kms-rotation", "integrations-readable", "critical-vulns", "access-review",
        ])
        #expect(Set(config.people.map(\.id.rawValue)) ==
                ["maya", "priya", "dana", "omar", "lena", "sam", "jon", "kim", "jsmith", "rosa"])
        #expect(Set(config.teams.map(\.id.rawValue)) == ["infra", "it", "engineering", "security", "people"])
        #expect(config.securityLeads == ["priya"])
        #expect(config.sources == [SourceConfig(id: "demo", kind: "demo")])
        #expect(config.person("jsmith")?.email == "jsmith@northwind.example")
        #expect(config.person("jsmith")?.name == "James Smith")
        #expect(config.person("priya")?.manager == "maya")
        #expect(config.team("people")?.manager == "rosa")
        #expect(config.team("infra")?.channels.defaults[.terminal] == "#infra-alerts")
        for person in config.people { #expect(person.chatIDs[.terminal] == person.id.rawValue) }
    }

    @Test func demoControlsHaveTheSpecifiedChecks() throws {
        let config = try Self.load("manifests/demo").get()
        let offboarding = try #require(config.control("offboarding-sla"))
        #expect(offboarding.check == CheckSpec(type: "offboarding", sources: ["demo"], parameters: ["sla": .string("24h")]))
        #expect(offboarding.owner == "it" && offboarding.severity == .high && offboarding.cadence == 3_600)
        #expect(config.control("admin-mfa")?.check?.parameters["privileged_only"] == .bool(true))
        #expect(config.control("branch-protection")?.tolerance == 7_200)
        #expect(config.control("branch-protection")?.check?.parameters["required_reviews"] == .number(1))
        #expect(config.control("security-training")?.owner == "people")
        #expect(config.control("security-training")?.grouping == .perControl)
        #expect(config.control("critical-vulns")?.check?.parameters["max_age"] == .string("7d"))
        let review = try #require(config.control("access-review"))
        #expect(review.check == nil && review.evidenceExpected != nil && review.cadence == 90 * 86_400)
        // Every check reads the demo systems, except integration health, which reads the bot's own record of them.
        #expect(config.controls.compactMap(\.check).allSatisfy { $0.sources == ["demo"] || $0.type == "integration_health" })
        #expect(config.control("integrations-readable")?.check == CheckSpec(type: "integration_health"))
    }

    /// The reference of check types and source kinds in manifests/README.md is exactly what the descriptors generate
    /// (`soc2bot reference --write manifests/README.md` after changing one).
    @Test func readmeReferenceIsGeneratedFromTheDescriptors() throws {
        let readme = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("manifests/README.md"), encoding: .utf8)
        let generated = try ManifestReference.updating(readme, catalog: .builtIn)
        #expect(generated == readme, "manifests/README.md is out of date: run `soc2bot reference --write manifests/README.md`")
        for type in Catalog.builtIn.checkTypes { #expect(readme.contains("| `\(type.name)` |"), "check type \(type.name)") }
        for kind in Catalog.builtIn.sourceKinds { #expect(readme.contains("| `\(kind.name)` |"), "source kind \(kind.name)") }
    }
}
