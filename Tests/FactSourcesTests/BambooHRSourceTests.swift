import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

@Suite("BambooHR source")
struct BambooHRSourceTests {
    /// 2026-02-25 06:13:20 UTC.
    static let now = Date(timeIntervalSince1970: 1_772_000_000)
    /// 2026-02-20 00:00 UTC.
    static let feb20 = Date(timeIntervalSince1970: 1_771_545_600)
    static let environment = ["BAMBOOHR_API_KEY": "bamboo-test-key"]

    static func staff() -> [FakeBambooHR.Employee] {
        [
            .init(id: "1", firstName: "Ada", lastName: "Lovelace", workEmail: "ada@acme.example", department: "Engineering",
                  supervisorEmail: "grace@acme.example", supervisor: "Hopper, Grace"),
            .init(id: "2", firstName: "Bo", lastName: "Brown", workEmail: "bo@acme.example", status: "Inactive", department: "Sales",
                  supervisor: "Chief, Cy", terminationDate: "2026-02-20"),
            // Still marked active, but the termination date has passed.
            .init(id: "3", firstName: "Cy", lastName: "Chief", workEmail: "cy@acme.example", terminationDate: "2026-02-24"),
            // Leaving next month: not terminated yet.
            .init(id: "4", firstName: "Di", lastName: "Date", workEmail: "di@acme.example", terminationDate: "2026-03-31"),
            // Inactive without a date: passed through for the offboarding check to report.
            .init(id: "5", firstName: "Ed", lastName: "Early", workEmail: "ed@acme.example", status: "Inactive"),
            // Left in 2023, rehired in 2024: the old termination date stays on the record.
            .init(id: "6", firstName: "Fa", lastName: "Again", workEmail: "fa@acme.example", hireDate: "2024-05-01", terminationDate: "2023-06-30"),
        ]
    }

    func source(_ fake: FakeBambooHR, settings: [String: ConfigValue] = [:], environment: [String: String] = BambooHRSourceTests.environment,
                credentials: [String: String] = [:]) throws -> BambooHRSource {
        let config = SourceConfig(id: "hr", kind: "bamboohr", credentialVariables: credentials,
                                  settings: ["subdomain": .string("acme")].merging(settings) { _, new in new })
        return try BambooHRSource(config: config, environment: environment, transport: fake, clock: TestClock(start: Self.now))
    }

    func people(_ fake: FakeBambooHR, settings: [String: ConfigValue] = [:]) async throws -> [HRPerson] {
        try #require(try await source(fake, settings: settings).facts([.people]).people)
    }

    @Test func currentAndFormerEmployeesAreMapped() async throws {
        // Given
        let fake = FakeBambooHR(employees: Self.staff())

        // When
        let people = try await people(fake)

        // Then
        #expect(people == [
            HRPerson(employeeID: "1", name: "Ada Lovelace", email: "ada@acme.example", status: .active, department: "Engineering",
                     manager: "grace@acme.example"),
            HRPerson(employeeID: "2", name: "Bo Brown", email: "bo@acme.example", status: .terminated, terminatedAt: Self.feb20,
                     department: "Sales", manager: "Chief, Cy"),
            HRPerson(employeeID: "3", name: "Cy Chief", email: "cy@acme.example", status: .terminated,
                     terminatedAt: Self.feb20.addingTimeInterval(4 * 86_400)),
            HRPerson(employeeID: "4", name: "Di Date", email: "di@acme.example", status: .active),
            HRPerson(employeeID: "5", name: "Ed Early", email: "ed@acme.example", status: .terminated),
            HRPerson(employeeID: "6", name: "Fa Again", email: "fa@acme.example", status: .active),
        ])
    }

    @Test func theReportIncludesFormerEmployeesAndTheFieldsTheChecksNeed() async throws {
        let fake = FakeBambooHR(employees: Self.staff())
        _ = try await people(fake)
        let url = try #require(fake.requestURLs.last)
        #expect(url.absoluteString == "https://api.bamboohr.com/api/gateway.php/acme/v1/reports/custom?format=JSON&onlyCurrent=false")
        #expect(Set(fake.lastRequestedFields).isSuperset(of: ["id", "workEmail", "status", "terminationDate", "supervisorEmail", "department"]))
    }

    @Test func aTerminationDateIsMidnightInTheConfiguredZone() async throws {
        let fake = FakeBambooHR(employees: [Self.staff()[1]])
        let people = try await people(fake, settings: ["timezone": .string("Europe/Berlin")])
        #expect(people.first?.terminatedAt == Self.feb20.addingTimeInterval(-3_600))
    }

    @Test func aBaseURLSettingIsHonoured() async throws {
        let fake = FakeBambooHR(employees: Self.staff())
        _ = try await people(fake, settings: ["base_url": .string("http://127.0.0.1:8099/api/gateway.php/")])
        #expect(fake.requestURLs.last?.absoluteString == "http://127.0.0.1:8099/api/gateway.php/acme/v1/reports/custom?format=JSON&onlyCurrent=false")
    }

    @Test func employeesWithoutAWorkEmailAreNamedNotSkipped() async throws {
        // Given
        var staff = Self.staff()
        staff.append(.init(id: "41", firstName: "No", lastName: "Mail", workEmail: nil))
        staff.append(.init(id: "42", firstName: "Blank", lastName: "Mail", workEmail: "  ", status: "Inactive", terminationDate: "2025-01-01"))
        let fake = FakeBambooHR(employees: staff)

        // When / Then
        do {
            _ = try await people(fake)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("without a work e-mail cannot be matched to accounts: id 41, 42"))
        }

        // When the manifest chooses to skip them
        let people = try await people(fake, settings: ["skip_bad_rows": .bool(true)])
        #expect(people.count == 6)
    }

    @Test func aWrongKeyIsAnErrorWithoutTheKey() async throws {
        let fake = FakeBambooHR(apiKey: "the-real-key", employees: Self.staff())
        do {
            _ = try await people(fake)
            Issue.record("expected an error")
        } catch {
            let message = "\(error)"
            #expect(message.contains("HTTP 401 (Invalid API key)"))
            #expect(message.contains("BAMBOOHR_API_KEY"))
            #expect(!message.contains("bamboo-test-key") && !message.contains("the-real-key"))
        }
    }

    @Test func anUnknownSubdomainSaysSo() async throws {
        let fake = FakeBambooHR(subdomain: "other", employees: Self.staff())
        do {
            _ = try await people(fake)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("HTTP 404"))
            #expect("\(error)".contains("settings.subdomain"))
        }
    }

    /// A report without its `employees` list (HTML pages, 5xx and throttling: `SourceConformanceTests`).
    @Test func aReportWithoutEmployeesIsAnErrorNeverAnEmptyStaff() async throws {
        let fake = FakeBambooHR(employees: Self.staff())
        fake.failNext([.noEmployees])
        await #expect(throws: SourceError.self) { try await people(fake) }
    }

    @Test func missingCredentialsAndSettingsAreRefusedWithAFix() {
        for (environment, credentials, settings, expected) in [
            ([String: String](), [String: String](), ["subdomain": ConfigValue.string("acme")], "BAMBOOHR_API_KEY"),
            (["HR_KEY": "secret-value"], [:], ["subdomain": .string("acme")], "BAMBOOHR_API_KEY"),
            (["HR_KEY": "secret-value"], ["api_key": "HR_KEY"], [:], "settings.subdomain"),
            (["HR_KEY": "secret-value"], ["api_key": "HR_KEY"], ["subdomain": .string("acme/../x")], "settings.subdomain"),
            (["HR_KEY": "secret-value"], ["api_key": "HR_KEY"], ["subdomain": .string("acme"), "timezone": .string("Nowhere")], "settings.timezone"),
        ] {
            let config = SourceConfig(id: "hr", kind: "bamboohr", credentialVariables: credentials, settings: settings)
            do {
                _ = try BambooHRSource(config: config, environment: environment, transport: FakeBambooHR(), clock: TestClock())
                Issue.record("expected a refusal naming \(expected)")
            } catch {
                #expect("\(error)".contains(expected))
                #expect(!"\(error)".contains("secret-value"))
            }
        }
    }

    @Test func theClientIsRegistered() throws {
        let config = SourceConfig(id: "hr", kind: "bamboohr", settings: ["subdomain": .string("acme")])
        #expect(try SourceRegistry.client(for: config, environment: Self.environment, transport: FakeBambooHR(), clock: TestClock()) is BambooHRSource)
    }
}
