import Core
import Foundation
import HTTP

extension AWSClient {
    /// An AWS query-protocol call (IAM, EC2, STS): a form-encoded POST of `Action`, `Version` and parameters,
    /// marked idempotent because every action this bot sends is a read. Returns the parsed XML of a 200 answer.
    func query(service: String, region: String, action: String, version: String, _ parameters: [(String, String)] = []) async throws -> XMLElementNode {
        let pairs = [("Action", action), ("Version", version)] + parameters
        let body = pairs.map { "\(SigV4Signer.encode($0.0, encodeSlash: true))=\(SigV4Signer.encode($0.1, encodeSlash: true))" }.joined(separator: "&")
        let response = try await send(service: service, region: region, method: "POST", path: "/",
                                      headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: Data(body.utf8),
                                      idempotent: true)
        guard response.status == 200 else { throw failure("\(service.uppercased()) \(action)", response) }
        guard let xml = XMLElementNode.parse(response.body) else {
            throw SourceError.unavailable(source: source, reason: "\(service.uppercased()) \(action): the answer is not XML")
        }
        return xml
    }

    /// Every member of an IAM-style list (`ListMFADevices`, `ListAccessKeys`, …) across pages: follows `Marker`
    /// while `IsTruncated`. An answer without its `<ActionResult>`, a truncated page without a marker, or a marker
    /// that comes round again is an error, not a short list.
    func queryAll(service: String, region: String, action: String, version: String, _ parameters: [(String, String)],
                  list: String) async throws -> [XMLElementNode] {
        try await queryPages(service: service, region: region, action: action, version: version, parameters)
            .flatMap { $0.all(path: [list, "member"]) }
    }

    /// The `<ActionResult>` element of every page of an IAM-style paged action, in order, for actions whose pages
    /// carry several lists (`GetAccountAuthorizationDetails`). Pages as `queryAll`.
    func queryPages(service: String, region: String, action: String, version: String, _ parameters: [(String, String)]) async throws -> [XMLElementNode] {
        try await PageTokens.collect(operation: "\(service.uppercased()) \(action)", source: source, maxPages: AWSClient.maxPages) { marker in
            var page = parameters
            if let marker { page.append(("Marker", marker)) }
            let xml = try await query(service: service, region: region, action: action, version: version, page)
            guard let result = xml.first("\(action)Result") else {
                throw SourceError.unavailable(source: source, reason: "\(service.uppercased()) \(action): the answer has no \(action)Result")
            }
            let truncated = result.value("IsTruncated") == "true"
            let next = truncated ? result.value("Marker") : nil
            if truncated, next?.isEmpty ?? true {
                throw SourceError.unavailable(source: source, reason: "\(service.uppercased()) \(action): a truncated page without a Marker")
            }
            return ([result], next)
        }
    }

    /// A query-protocol call whose 404 `NoSuchEntity` means "not set" (a login profile, a password policy): nil
    /// then; any other failure is an error.
    func queryUnlessMissing(service: String, region: String, action: String, version: String, _ parameters: [(String, String)] = []) async throws -> XMLElementNode? {
        do {
            return try await query(service: service, region: region, action: action, version: version, parameters)
        } catch SourceError.unavailable(_, let reason) where reason.contains("HTTP 404 NoSuchEntity") {
            return nil
        }
    }

    /// An AWS JSON-protocol call (CloudTrail, KMS): POST with `X-Amz-Target`, JSON in and out.
    func json(service: String, region: String, target: String, _ body: [String: any Sendable] = [:]) async throws -> [String: Any] {
        let payload = try JSONSerialization.data(withJSONObject: body)
        let response = try await send(service: service, region: region, method: "POST", path: "/",
                                      headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target)],
                                      body: payload, idempotent: true)
        let operation = target.split(separator: ".").last.map(String.init) ?? target
        guard response.status == 200 else {
            let code = (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["__type"] as? String
            throw SourceError.unavailable(source: source, reason: "\(operation): HTTP \(response.status) \(code ?? "no error code")")
        }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw SourceError.unavailable(source: source, reason: "\(operation): the answer is not a JSON object")
        }
        return object
    }
}
