import Chat
import Core
import Engine
import Foundation
import ServiceLifecycle

/// Reads commands typed at the terminal and answers them like a chat surface would.
/// A dedicated thread blocks on stdin and hands lines over through an AsyncStream (the one bridge).
struct TerminalInput: Service {
    /// The bot: its command handler, its deliveries, and its doorbell (a certification re-runs its access review at once).
    let bot: Bot
    let chatID: String
    let output: Output

    func run() async throws {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let reader = Thread {
            while let line = readLine() { continuation.yield(line) }
            continuation.finish()
        }
        reader.start()
        let renderer = TerminalRenderer(colour: isatty(1) == 1)
        await withTaskCancellationOrGracefulShutdownHandler {
            for await line in lines {
                let text = line.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else { continue }
                do {
                    let reply = try bot.commands.handle(text, from: chatID, on: .terminal, surface: .chat(.terminal))
                    output.write(renderer.render(reply, destination: .direct(.terminal, chatID), kind: "reply"))
                    try await bot.deliver()
                    bot.doorbell.ring()
                } catch {
                    output.write("soc2bot: \(error)")
                }
            }
        } onCancelOrGracefulShutdown: {
            continuation.finish()
        }
    }
}
