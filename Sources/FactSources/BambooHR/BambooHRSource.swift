import Core
import Foundation
import HTTP

/// People from BambooHR, the HR system of record (CC6.2 offboarding, CC1.4 training), current and former employees.
///
/// Manifest: `credentials: {api_key: VAR}` names the environment variable holding an API key (default
/// `BAMBOOHR_API_KEY`; sent as HTTP Basic user name with the password `x`); `settings.subdomain` (required, the
/// `acme` of acme.bamboohr.com); `settings.base_url` (default `https://api.bamboohr.com/api/gateway.php`);
/// `settings.timezone` (IANA name, default UTC): a termination date means 00:00 of that day there;
/// `settings.skip_bad_rows` (default false), see below.
///
/// One request (429 and 503 are waited out honouring `Retry-After`, see `ThrottledSender`): a custom report, `POST {base_url}/{subdomain}/v1/reports/custom?format=JSON&onlyCurrent=false`
/// with the fields below; `onlyCurrent=false` keeps terminated employees in (the directory lists only current ones).
/// Mapping:
/// - terminated when `status` is `Inactive`, or when `terminationDate` has passed and no later `hireDate` (a rehire)
///   follows it; `terminatedAt` is that date at 00:00 in `timezone`. Empty and `0000-00-00` dates are absent: an
///   inactive employee without a date is passed through, and the offboarding check reports it as an error.
/// - name: `displayName`, else first and last name; `manager`: `supervisorEmail`, else the `supervisor` name.
/// - An employee without a work e-mail cannot be matched to any account. By default reading throws one error naming
///   those employee ids (the checks record an `error`, never a silent gap); with `skip_bad_rows: true` they are
///   left out.
package struct BambooHRSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.people] }
    let reportURL: URL
    let apiKey: String
    let keyVariable: String
    let dates: HRDate
    let skipBadRows: Bool
    let sender: ThrottledSender
    let now: @Sendable () -> Date

    static let fields = ["id", "displayName", "firstName", "lastName", "workEmail", "status", "department",
                         "supervisorEmail", "supervisor", "hireDate", "terminationDate"]

    /// `clock` waits out BambooHR's rate limiting (503 or 429 with `Retry-After`); tests pass a `TestClock`.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        keyVariable = config.credentialVariables["api_key"] ?? "BAMBOOHR_API_KEY"
        guard let key = environment[keyVariable]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "set the environment variable \(keyVariable) to a BambooHR API key "
                                          + "(BambooHR → your name → API Keys)")
        }
        apiKey = key
        let settings = Self.descriptor.settings(config)
        guard let subdomain = try settings.string(ifSet: "subdomain")?.trimmingCharacters(in: .whitespaces), !subdomain.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "set settings.subdomain to the company's BambooHR subdomain (the `acme` of acme.bamboohr.com)")
        }
        guard subdomain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw SourceError.unavailable(source: config.id, reason: "settings.subdomain `\(subdomain)` may hold only letters, digits and dashes")
        }
        let baseText = try settings.url("base_url").absoluteString
        guard var components = URLComponents(string: baseText) else {
            throw SourceError.unavailable(source: config.id, reason: "settings.base_url `\(baseText)` is not an http(s) URL")
        }
        let basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        components.path = basePath + "/\(subdomain)/v1/reports/custom"
        components.queryItems = [URLQueryItem(name: "format", value: "JSON"), URLQueryItem(name: "onlyCurrent", value: "false")]
        guard let url = components.url else {
            throw SourceError.unavailable(source: config.id, reason: "settings.base_url `\(baseText)` is not an http(s) URL")
        }
        reportURL = url
        dates = try HRDate(zone: settings.string("timezone"), source: config.id)
        skipBadRows = try settings.bool("skip_bad_rows")
        sender = ThrottledSender(transport: transport, sleep: clock.sleepFunction, now: clock.nowFunction)
        self.now = clock.nowFunction
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .people, in: \.people, system: "BambooHR") { try await people() }
    }

    /// Runs the report and maps every employee.
    func people() async throws -> [HRPerson] {
        let body = try JSONSerialization.data(withJSONObject: ["title": "soc2bot people", "fields": Self.fields], options: [.sortedKeys])
        let credentials = Data("\(apiKey):x".utf8).base64EncodedString()
        // A report is a read: safe to retry although it is a POST.
        let request = HTTPRequest(method: "POST", url: reportURL, headers: [
            ("Authorization", "Basic \(credentials)"), ("Accept", "application/json"), ("Content-Type", "application/json"),
        ], body: body, idempotent: true)
        let response = try await sender.send(request, operation: "BambooHR custom report", source: id)
        guard response.status == 200 else { throw failure(response) }
        guard let json = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let employees = json["employees"] as? [Any] else {
            throw SourceError.unavailable(source: id, reason: "BambooHR custom report: the answer is not the expected JSON (no `employees` list)")
        }
        let today = now()
        var people: [HRPerson] = []
        var withoutEmail: [String] = []
        for (index, entry) in employees.enumerated() {
            guard let row = entry as? [String: Any] else {
                throw SourceError.unavailable(source: id, reason: "BambooHR custom report: employee \(index + 1) is not a JSON object")
            }
            func value(_ key: String) -> String? {
                let text: String? = switch row[key] {
                case let string as String: string
                case let number as NSNumber: number.stringValue
                default: nil
                }
                let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed?.isEmpty == false ? trimmed : nil
            }
            func date(_ key: String) throws -> Date? {
                guard let text = value(key), text != "0000-00-00" else { return nil }
                guard let date = dates.parse(text) else {
                    throw SourceError.unavailable(source: id, reason: "BambooHR custom report: employee \(value("id") ?? "#\(index + 1)") has \(key) \"\(text)\", not a date")
                }
                return date
            }
            let employeeID = value("id") ?? "#\(index + 1)"
            guard let email = value("workEmail") else {
                withoutEmail.append(employeeID)
                continue
            }
            let termination = try date("terminationDate")
            let rehired = try date("hireDate").map { hire in termination.map { hire > $0 } ?? false } ?? false
            let inactive = value("status")?.lowercased() == "inactive"
            let terminated = inactive || ((termination.map { $0 <= today } ?? false) && !rehired)
            let fullName = [value("firstName"), value("lastName")].compactMap { $0 }.joined(separator: " ")
            let name = value("displayName") ?? (fullName.isEmpty ? email : fullName)
            people.append(HRPerson(employeeID: employeeID, name: name, email: email, status: terminated ? .terminated : .active,
                                   terminatedAt: terminated ? termination : nil, department: value("department"),
                                   manager: value("supervisorEmail") ?? value("supervisor")))
        }
        if !withoutEmail.isEmpty && !skipBadRows {
            throw SourceError.unavailable(source: id, reason: "BambooHR employees without a work e-mail cannot be matched to accounts: id "
                                          + withoutEmail.joined(separator: ", ")
                                          + "; add their work e-mail in BambooHR, or set skip_bad_rows: true to check the others")
        }
        return people
    }

    /// A readable failure: status, BambooHR's own error message header, and what to do — never the key.
    func failure(_ response: HTTPResponse) -> SourceError {
        let message = response.header("x-bamboohr-error-message").map { " (\($0))" } ?? ""
        let advice = switch response.status {
        case 401: "; check that \(keyVariable) holds a current BambooHR API key"
        case 403: "; the API key's user may not run reports or see these fields (id, workEmail, status, terminationDate …); use an admin's key"
        case 404: "; check settings.subdomain"
        case 429, 503: "; BambooHR is limiting requests, the next run will retry"
        default: ""
        }
        return .unavailable(source: id, reason: "BambooHR custom report: HTTP \(response.status)\(message)\(advice)")
    }
}
