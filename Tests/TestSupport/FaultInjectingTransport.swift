import Foundation
import HTTP
import Synchronization

/// A transport in front of a real peer or a wire-format fake that spoils chosen answers the way servers and the
/// networks in front of them do: a status of its own (429 with `Retry-After`, 5xx, 401, 403), an HTML error page, a
/// body cut short, or JSON whose values have the wrong types. Everything else passes through unchanged. The
/// conformance suite puts one in front of every source's fake, so one set of failures is played against all of
/// them; the peer behind it never knows.
package final class FaultInjectingTransport: HTTPTransport {
    /// How an answer is spoiled.
    package enum Fault: Sendable {
        /// This answer instead of the peer's (which is not asked).
        case answer(HTTPResponse)
        /// `200` with an HTML page, as a proxy or a maintenance page answers (the peer is not asked).
        case htmlPage
        /// The peer's answer with its body cut in half (a connection dropped mid-body).
        case truncated
        /// The peer's answer with every JSON string turned into a number and every number and boolean into a
        /// string: the shape is kept, the types are wrong.
        case wrongTypes
        /// `200` with a well-formed document of the peer's format (JSON or XML) that is not the answer asked for:
        /// `{"unexpected": []}` or `<UnexpectedResponse/>`.
        case otherShape

        /// `429` with `Retry-After: seconds`, the usual way to say "too many requests".
        package static func tooManyRequests(retryAfter seconds: Int) -> Fault {
            .answer(HTTPResponse(status: 429, headers: ["Content-Type": "application/json", "Retry-After": "\(seconds)"],
                                 body: Data(#"{"message":"Too Many Requests"}"#.utf8)))
        }

        /// `status` with a small JSON error body.
        package static func status(_ status: Int) -> Fault {
            .answer(HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Data(#"{"message":"injected HTTP \#(status)"}"#.utf8)))
        }
    }

    private struct Rule {
        let matches: @Sendable (HTTPRequest) -> Bool
        /// How many more requests it spoils; nil: every one.
        var remaining: Int?
        let fault: Fault
    }

    private struct State {
        var rules: [Rule] = []
        var requests: [HTTPRequest] = []
        var injected = 0
    }

    private let state = Mutex(State())
    let base: any HTTPTransport

    package init(base: any HTTPTransport) { self.base = base }

    /// Spoils the answers to requests `matching` with `fault`: the next `times` of them, or every one when nil. Rules
    /// are tried in the order added; the first that matches applies.
    package func inject(_ fault: Fault, times: Int? = nil, matching: @escaping @Sendable (HTTPRequest) -> Bool) {
        state.withLock { $0.rules.append(Rule(matches: matching, remaining: times, fault: fault)) }
    }

    /// Every request sent through, in order.
    package var requests: [HTTPRequest] { state.withLock { $0.requests } }
    /// How many answers were spoiled.
    package var injected: Int { state.withLock { $0.injected } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let fault: Fault? = state.withLock { s in
            s.requests.append(request)
            guard let index = s.rules.firstIndex(where: { ($0.remaining ?? 1) > 0 && $0.matches(request) }) else { return nil }
            if let remaining = s.rules[index].remaining { s.rules[index].remaining = remaining - 1 }
            s.injected += 1
            return s.rules[index].fault
        }
        switch fault {
        case nil:
            return try await base.send(request)
        case .answer(let response):
            return response
        case .htmlPage:
            return HTTPResponse(status: 200, headers: ["Content-Type": "text/html; charset=utf-8"],
                                body: Data("<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Down for maintenance</h1></body></html>".utf8))
        case .truncated:
            var response = try await base.send(request)
            response.body = response.body.prefix(response.body.count / 2)
            return response
        case .wrongTypes:
            var response = try await base.send(request)
            if let json = try? JSONSerialization.jsonObject(with: response.body, options: [.fragmentsAllowed]),
               let flipped = try? JSONSerialization.data(withJSONObject: Self.flipTypes(json), options: [.fragmentsAllowed]) {
                response.body = flipped
            }
            return response
        case .otherShape:
            var response = try await base.send(request)
            response.status = 200
            response.body = response.body.first == UInt8(ascii: "<")
                ? Data(#"<?xml version="1.0" encoding="UTF-8"?><UnexpectedResponse><Items/></UnexpectedResponse>"#.utf8)
                : Data(#"{"unexpected":[]}"#.utf8)
            return response
        }
    }

    /// `value` with strings and numbers swapped, all the way down.
    static func flipTypes(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]: return object.mapValues(flipTypes)
        case let array as [Any]: return array.map(flipTypes)
        case let text as String: return text.count
        case let number as NSNumber: return number.stringValue
        default: return value
        }
    }
}
