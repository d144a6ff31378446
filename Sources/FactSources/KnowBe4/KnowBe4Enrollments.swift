import Core
import Foundation

/// KnowBe4 training enrollments reduced to one training record per person (CC1.4, CC2.2).
///
/// - Listing: `GET /v1/training/enrollments?page=N&per_page=500`, pages counted from 1 and followed until one holds
///   fewer than 500 enrollments. Each enrollment carries `user.email`, `module_name`, `campaign_name`,
///   `enrollment_date`, `completion_date` (null until completed) and `status` (`Passed`, `Completed`,
///   `In Progress`, `Not Started`, `Past Due`).
/// - `campaigns` (optional): only enrollments whose `campaign_name` is listed count (compared case-insensitively).
/// - One record per lower-cased e-mail: `completedAt` is the latest `completion_date` of a `Passed` or `Completed`
///   enrollment; an enrollment in any other status is incomplete, whatever dates it carries.
/// - `dueAt` stays nil: the Reporting API's enrollment has no due date (a campaign's deadline is not on it).
/// - `course`: the module (else campaign) of the oldest incomplete enrollment — what the person has to do next —
///   else of the latest completion.
/// - An enrollment without a user e-mail (a deleted user) matches nobody and is skipped; a person without any
///   record is "never completed" to the training check.
struct KnowBe4Enrollments: Sendable {
    let client: BearerTokenClient
    /// Campaign names to count (lower-cased); nil counts every enrollment.
    let campaigns: Set<String>?

    static let pageSize = 500
    static let completeStatuses: Set<String> = ["passed", "completed"]

    struct Enrollment: Decodable, Sendable {
        struct User: Decodable, Sendable { var email: String? }
        var user: User?
        var module_name: String?
        var campaign_name: String?
        var enrollment_date: String?
        var completion_date: String?
        var status: String?
    }

    func training() async throws -> [TrainingRecord] {
        let operation = "KnowBe4 list training enrollments"
        let enrollments = try await client.pagedList(operation, path: "/v1/training/enrollments", firstPage: 1, perPage: Self.pageSize) {
            try client.decode([Enrollment].self, operation, $0)
        }
        return try records(enrollments)
    }

    /// The per-person reduction, ordered by e-mail.
    func records(_ enrollments: [Enrollment]) throws -> [TrainingRecord] {
        struct Progress { var completed: (at: Date, course: String?)?; var pending: (since: Date?, course: String?)? }
        var people: [String: Progress] = [:]
        for enrollment in enrollments {
            guard let email = JSONBody.text(enrollment.user?.email)?.lowercased() else { continue }
            if let campaigns, !campaigns.contains(JSONBody.text(enrollment.campaign_name)?.lowercased() ?? "") { continue }
            let course = JSONBody.text(enrollment.module_name) ?? JSONBody.text(enrollment.campaign_name)
            var progress = people[email] ?? Progress()
            if Self.completeStatuses.contains((enrollment.status ?? "").lowercased()) {
                guard let at = try date(enrollment.completion_date, field: "completion_date", email: email) else {
                    throw SourceError.unavailable(source: client.source, reason: "KnowBe4 list training enrollments: an enrollment of \(email) "
                                                  + "is \(enrollment.status ?? "") but has no `completion_date`")
                }
                if progress.completed.map({ at > $0.at }) ?? true { progress.completed = (at, course) }
            } else {
                // The oldest open assignment is what the person has to do next; one without a date sorts last.
                let since = try date(enrollment.enrollment_date, field: "enrollment_date", email: email)
                let distantSince = { (date: Date?) in date ?? .distantFuture }
                if progress.pending.map({ distantSince(since) < distantSince($0.since) }) ?? true { progress.pending = (since, course) }
            }
            people[email] = progress
        }
        return people.sorted { $0.key < $1.key }.map { email, progress in
            TrainingRecord(email: email, completedAt: progress.completed?.at, dueAt: nil,
                           course: progress.pending?.course ?? progress.completed?.course)
        }
    }

    /// A KnowBe4 timestamp (`2024-03-01T10:00:00.000Z`); nil when absent, an error when present but unreadable.
    private func date(_ text: String?, field: String, email: String) throws -> Date? {
        guard let text = JSONBody.text(text) else { return nil }
        guard let date = RFC3339Timestamp.parse(text) else {
            throw SourceError.unavailable(source: client.source, reason: "KnowBe4 list training enrollments: an enrollment of \(email) "
                                          + "has a malformed `\(field)`")
        }
        return date
    }
}
