import Foundation

/// The answers of the client-server API calls the bot makes, the fields it reads (a missing one makes the answer
/// `MatrixAPIError.malformed`).
extension MatrixClient {
    struct LoginAnswer: Decodable {
        let accessToken: String
        let userID: String
        private enum CodingKeys: String, CodingKey { case accessToken = "access_token", userID = "user_id" }
    }

    struct WhoamiAnswer: Decodable {
        let userID: String
        private enum CodingKeys: String, CodingKey { case userID = "user_id" }
    }

    struct FilterAnswer: Decodable {
        let filterID: String
        private enum CodingKeys: String, CodingKey { case filterID = "filter_id" }
    }

    struct SendAnswer: Decodable {
        let eventID: String
        private enum CodingKeys: String, CodingKey { case eventID = "event_id" }
    }

    struct UploadAnswer: Decodable {
        let contentURI: String
        private enum CodingKeys: String, CodingKey { case contentURI = "content_uri" }
    }

    package struct CreateRoomAnswer: Decodable, Sendable {
        package let roomID: String
        private enum CodingKeys: String, CodingKey { case roomID = "room_id" }
    }

    /// An error answer (`errcode`, and `retry_after_ms` with `M_LIMIT_EXCEEDED`); either field may be missing.
    struct ErrorAnswer: Decodable {
        let errcode: String?
        let retryAfterMS: Double?
        private enum CodingKeys: String, CodingKey { case errcode, retryAfterMS = "retry_after_ms" }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            errcode = container.lenient(String.self, .errcode)
            retryAfterMS = container.lenient(Double.self, .retryAfterMS)
        }
    }
}
