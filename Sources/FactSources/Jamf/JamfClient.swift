import Core
import Foundation
import HTTP

/// Calls to the Jamf Pro API (`{base}/api/…`) with a bearer token from Jamf's OAuth client credentials grant
/// (`POST {base}/api/oauth/token`, an API client of Settings → API Roles and Clients), through `ThrottledSender`.
/// The inventory is paged by `page` number (from 0) until `page × page-size` reaches the answer's `totalCount`.
struct JamfClient: Sendable {
    /// Computers per page; the API allows up to 2,000, but a page with applications can be large.
    static let pageSize = 100
    /// Pages read before giving up on an inventory that never ends (a million computers).
    static let maxPages = 10_000
    /// The inventory sections read; `SECURITY` is not asked for, as it carries nothing a device fact holds (no
    /// screen-lock setting: Jamf reports that only through configuration profiles or extension attributes).
    static let sections = ["GENERAL", "HARDWARE", "DISK_ENCRYPTION", "OPERATING_SYSTEM", "USER_AND_LOCATION", "APPLICATIONS"]

    let grant: ClientCredentialsToken
    /// `https://ORG.jamfcloud.com` (or an on-premises server, possibly under a path).
    let baseURL: URL

    var source: SourceID { grant.source }

    /// Every computer, in id order. Any answer but 200 on any page, a page that does not decode, or a page with
    /// fewer computers than `totalCount` promises is an error: never a partial inventory.
    func computers() async throws -> [JamfComputer] {
        let operation = "list computers"
        var computers: [JamfComputer] = []
        for page in 0..<Self.maxPages {
            let query = Self.sections.map { URLQueryItem(name: "section", value: $0) } + [
                URLQueryItem(name: "page", value: "\(page)"), URLQueryItem(name: "page-size", value: "\(Self.pageSize)"),
                URLQueryItem(name: "sort", value: "id:asc"),
            ]
            let url = try APIURL.build(base: baseURL, path: "/api/v1/computers-inventory", query: query, source: source, system: "Jamf Pro")
            let response = try await grant.get(url, operation: operation, headers: [("Accept", "application/json")])
            guard response.status == 200 else { throw failure(page == 0 ? operation : "\(operation) (page \(page + 1))", response) }
            let answer: JamfInventoryPage
            do throws(JSONBody.Malformed) {
                answer = try JSONBody.decode(JamfInventoryPage.self, from: response.body)
            } catch {
                throw SourceError.unavailable(source: source, reason: "\(operation): the answer is not the expected inventory page (\(error.reason))")
            }
            // A short page (computers removed while paging, or a cut answer) would drop computers from the count.
            let promised = min(Self.pageSize, answer.totalCount - page * Self.pageSize)
            guard answer.results.count >= promised else {
                throw SourceError.unavailable(source: source, reason: "\(operation): page \(page + 1) has \(answer.results.count) computers where "
                                              + "the inventory's count of \(answer.totalCount) promises \(promised); not reporting a partial inventory")
            }
            computers += answer.results
            if (page + 1) * Self.pageSize >= answer.totalCount { return computers }
        }
        throw SourceError.unavailable(source: source, reason: "\(operation): more than \(Self.maxPages) pages")
    }

    /// A readable failure: operation, status, the Jamf Pro API's first error code and description
    /// (`{"httpStatus", "errors": [{"code", "description"}]}`), and what to do about a refusal — never the token.
    func failure(_ operation: String, _ response: HTTPResponse) -> SourceError {
        if ThrottledSender.throttlingStatuses.contains(response.status) {
            return .unavailable(source: source, reason: "\(operation): " + ThrottledSender.throttledReason(response, now: grant.now()))
        }
        struct Envelope: Decodable { struct Detail: Decodable { var code: String?; var description: String? }; var errors: [Detail]? }
        let detail = (try? JSONDecoder().decode(Envelope.self, from: response.body))?.errors?.first
        let words = [detail?.code, detail?.description].compactMap { $0 }.joined(separator: ": ")
        let hint = switch response.status {
        case 401: "; the API client's token was refused twice: check the API client is enabled"
        case 403: "; give the API client a role with the privilege Read Computers (Settings → API Roles and Clients)"
        default: ""
        }
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status)\(words.isEmpty ? "" : " " + grant.scrub(words))\(hint)")
    }

    /// Advice for a refused token request, by its OAuth `error` code.
    static func refusalHint(_ error: String) -> String {
        switch error {
        case "invalid_client": "; check the client id and secret of an enabled API client (Settings → API Roles and Clients), and that the secret was not rotated"
        default: ""
        }
    }
}
