import Foundation
import HTTP
import Synchronization

/// An in-process KnowBe4 Reporting API speaking the documented format for what the bot reads:
/// - every call needs `Authorization: Bearer <token>`, else 401 `{"message":"Unauthorized"}`.
/// - `GET /v1/training/enrollments?page=N&per_page=M`: a bare JSON array of enrollments, pages from 1, at most 500 a
///   page (the default 100). Each enrollment: `enrollment_id`, `content_type`, `module_name`, `user` (`id`,
///   `first_name`, `last_name`, `email`), `campaign_name`, `enrollment_date`, `start_date`, `completion_date` (null
///   until completed), `status`, `time_spent`, `policy_acknowledged`.
/// - Any other path is 404.
/// - Failures on cue (see `FakePagedAPI`): 429 or 503 with `Retry-After`, a 5xx, a malformed body, a refused page.
package final class FakeKnowBe4: FakePagedService {
    package struct Enrollment: Sendable {
        package var email: String
        package var module: String
        package var campaign: String
        /// `Passed`, `Completed`, `In Progress`, `Not Started`, `Past Due`.
        package var status: String
        package var enrolled: String
        package var completed: String?
        package init(_ email: String, module: String = "2026 Security Awareness Training", campaign: String = "Annual Security Awareness",
                     status: String, enrolled: String = "2026-01-05T09:00:00.000Z", completed: String? = nil) {
            self.email = email; self.module = module; self.campaign = campaign; self.status = status; self.enrolled = enrolled
            self.completed = completed
        }
    }

    package let api: FakePagedAPI
    private let list: Mutex<[Enrollment]>

    package init(token: String = "kb4-test-token", enrollments: [Enrollment] = []) {
        api = FakePagedAPI(token: token, firstPage: 1, defaultPerPage: 100, maxPerPage: 500, unauthorized: #"{"message":"Unauthorized"}"#)
        list = Mutex(enrollments)
    }

    package var enrollments: [Enrollment] {
        get { list.withLock { $0 } }
        set { list.withLock { $0 = newValue } }
    }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.url.path == "/v1/training/enrollments" else {
            return FakePagedAPI.json(404, ["message": "Not Found"])
        }
        return api.answer(request, rows: self.enrollments.enumerated().map { Self.row($1, id: $0 + 1) }, envelope: { $0 })
    }

    static func row(_ enrollment: Enrollment, id: Int) -> [String: Any] {
        let name = enrollment.email.split(separator: "@").first.map(String.init) ?? enrollment.email
        return [
            "enrollment_id": 1_425_000 + id, "content_type": "Training Module", "module_name": enrollment.module,
            "user": ["id": 796_000 + id, "first_name": name.capitalized, "last_name": "Example", "email": enrollment.email],
            "campaign_name": enrollment.campaign, "enrollment_date": enrollment.enrolled, "start_date": enrollment.enrolled,
            "completion_date": enrollment.completed ?? NSNull() as Any, "status": enrollment.status,
            "time_spent": enrollment.completed == nil ? 0 : 1_260, "policy_acknowledged": false,
        ]
    }
}
