import Foundation
import HTTP
import Synchronization

/// An in-process BambooHR API speaking the documented wire format of the custom report the bot runs:
/// - `POST /api/gateway.php/{subdomain}/v1/reports/custom?format=JSON[&onlyCurrent=false]` with a JSON body
///   `{"title":…,"fields":[…]}`, HTTP Basic auth with the API key as the user name (any password), else 401 with an
///   `X-BambooHR-Error-Message` header. Another subdomain is 404; a body without `fields` is 400.
/// - The answer is `{"title":…,"fields":[{"id","type","name"}…],"employees":[{…}]}` with exactly the requested known
///   fields, values as strings or null, and `0000-00-00` for an employee without a termination date (as BambooHR
///   writes it). Unless `onlyCurrent=false`, inactive employees are left out.
/// - Failures on cue (`failNext`): 503 with `Retry-After` (BambooHR's rate limiting), a 5xx, an HTML body, a JSON
///   object without `employees`.
package final class FakeBambooHR: HTTPTransport {
    package struct Employee: Sendable {
        package var id: String
        package var firstName: String
        package var lastName: String
        package var workEmail: String?
        /// `Active` or `Inactive`.
        package var status: String
        package var department: String?
        package var supervisorEmail: String?
        package var supervisor: String?
        package var hireDate: String?
        /// `YYYY-MM-DD`; nil is written as `0000-00-00`.
        package var terminationDate: String?
        package init(id: String, firstName: String, lastName: String, workEmail: String?, status: String = "Active",
                     department: String? = nil, supervisorEmail: String? = nil, supervisor: String? = nil, hireDate: String? = "2020-01-06",
                     terminationDate: String? = nil) {
            self.id = id; self.firstName = firstName; self.lastName = lastName; self.workEmail = workEmail; self.status = status
            self.department = department; self.supervisorEmail = supervisorEmail; self.supervisor = supervisor
            self.hireDate = hireDate; self.terminationDate = terminationDate
        }
    }

    package enum Failure: Sendable { case rateLimited(retryAfter: Int), serverError(Int), malformed, noEmployees }

    /// The fields this fake knows, with their BambooHR labels.
    static let knownFields: [String: String] = [
        "id": "EEID", "displayName": "Display name", "firstName": "First Name", "lastName": "Last Name", "workEmail": "Work Email",
        "status": "Status", "department": "Department", "supervisorEmail": "Supervisor email", "supervisor": "Supervisor",
        "hireDate": "Hire Date", "terminationDate": "Termination Date",
    ]

    struct State {
        var employees: [Employee]
        var failures: [Failure] = []
        var requests: [(url: URL, body: Data)] = []
    }

    package let apiKey: String
    package let subdomain: String
    private let state: Mutex<State>

    package init(apiKey: String = "bamboo-test-key", subdomain: String = "acme", employees: [Employee] = []) {
        self.apiKey = apiKey
        self.subdomain = subdomain
        state = Mutex(State(employees: employees))
    }

    package var employees: [Employee] {
        get { state.withLock { $0.employees } }
        set { state.withLock { $0.employees = newValue } }
    }
    package func failNext(_ failures: [Failure]) { state.withLock { $0.failures += failures } }
    /// Every request's URL, in order.
    package var requestURLs: [URL] { state.withLock { $0.requests.map(\.url) } }
    /// The fields the last report asked for.
    package var lastRequestedFields: [String] {
        state.withLock { s in
            guard let body = s.requests.last?.body,
                  let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return [] }
            return json["fields"] as? [String] ?? []
        }
    }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
            s.requests.append((request.url, request.body))
            guard Self.basicUser(request.header("authorization")) == apiKey else {
                return HTTPResponse(status: 401, headers: ["X-BambooHR-Error-Message": "Invalid API key"])
            }
            if let failure = s.failures.first {
                s.failures.removeFirst()
                switch failure {
                case .rateLimited(let seconds): return HTTPResponse(status: 503, headers: ["Retry-After": "\(seconds)"])
                case .serverError(let status): return HTTPResponse(status: status, body: Data("Internal error".utf8))
                case .malformed: return HTTPResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>maintenance</html>".utf8))
                case .noEmployees: return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data(#"{"title":"x","fields":[]}"#.utf8))
                }
            }
            let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
            guard components?.path == "/api/gateway.php/\(subdomain)/v1/reports/custom" else {
                return HTTPResponse(status: 404, headers: ["X-BambooHR-Error-Message": "Not found"])
            }
            guard request.method == "POST" else { return HTTPResponse(status: 405) }
            let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
            guard let json = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any],
                  let fields = json["fields"] as? [String] else {
                return HTTPResponse(status: 400, headers: ["X-BambooHR-Error-Message": "Invalid report request"])
            }
            let known = fields.filter { Self.knownFields[$0] != nil }
            let listed = query["onlyCurrent"] == "false" ? s.employees : s.employees.filter { $0.status == "Active" }
            let rows: [[String: Any]] = listed.map { employee in
                var row: [String: Any] = [:]
                for field in known { row[field] = Self.value(field, of: employee) ?? NSNull() }
                return row
            }
            let body: [String: Any] = [
                "title": json["title"] ?? "Report",
                "fields": known.map { ["id": $0, "type": $0.hasSuffix("Date") ? "date" : "text", "name": Self.knownFields[$0]!] },
                "employees": rows,
            ]
            if query["format"]?.uppercased() != "JSON" { return HTTPResponse(status: 200, body: Data("<report/>".utf8)) }
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"],
                                body: (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data())
        }
    }

    static func value(_ field: String, of employee: Employee) -> String? {
        switch field {
        case "id": employee.id
        case "displayName": "\(employee.firstName) \(employee.lastName)"
        case "firstName": employee.firstName
        case "lastName": employee.lastName
        case "workEmail": employee.workEmail
        case "status": employee.status
        case "department": employee.department
        case "supervisorEmail": employee.supervisorEmail
        case "supervisor": employee.supervisor
        case "hireDate": employee.hireDate ?? "0000-00-00"
        case "terminationDate": employee.terminationDate ?? "0000-00-00"
        default: nil
        }
    }

    /// The user name of a `Basic` authorization header.
    static func basicUser(_ header: String?) -> String? {
        guard let header, header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return String(text[..<colon])
    }
}
