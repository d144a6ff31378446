import Foundation
import Sockets

/// A Socket Mode connection over the project's libwebsockets client (`wss://`, certificates verified, pings and
/// a dead-peer timeout from `WebSocketClient`).
///
/// `@unchecked Sendable`: the stream iterator is touched only by `receive()`, and Socket Mode has exactly one
/// reader per connection (`SlackSocketModeClient.read`); the client itself is thread-safe.
package final class WebSocketConnection: SocketModeConnection, @unchecked Sendable {
    let client: WebSocketClient
    private var iterator: AsyncStream<WebSocketEvent>.AsyncIterator

    init(client: WebSocketClient) {
        self.client = client
        iterator = client.messages.makeAsyncIterator()
    }

    /// Connects to `url` (the Socket Mode URL with its one-time ticket), trusting the system CA store.
    @Sendable package static func open(_ url: URL) async throws -> any SocketModeConnection {
        try await opener(caFile: nil)(url)
    }

    /// Connects trusting the CAs in `caFile` (PEM; `TrustedCAFile`) instead of the system store: a TLS-inspecting
    /// proxy's CA. Nil: the system store.
    package static func opener(caFile: String?) -> SocketModeConnector {
        { url in
            let client = WebSocketClient(url: url, caFile: caFile)
            try await client.connect()
            return WebSocketConnection(client: client)
        }
    }

    package func receive() async -> String? {
        while let event = await iterator.next() {
            switch event {
            case .text(let text): return text
            case .closed: return nil
            }
        }
        return nil
    }

    package func send(_ text: String) async throws { try await client.send(text) }
    package func close() async { client.close() }
}
