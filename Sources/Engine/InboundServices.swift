import Chat
import Core
import FactSources
import Foundation
import HTTP
import Logging
import Reports
import ServiceLifecycle
import Sockets

/// The inbound HTTP server as a service: listening from start until graceful shutdown.
package struct HTTPServerService: Service {
    package let server: HTTPServer
    let logger: Logger
    package init(server: HTTPServer, logger: Logger) { self.server = server; self.logger = logger }

    package func run() async throws {
        try server.start()
        logger.notice("inbound HTTP server listening", metadata: ["address": "\(server.configuration.host):\(server.port)"])
        try? await gracefulShutdown()
        server.stop()
    }
}

extension Bot {
    /// Slack as the integration health records it (`integration_health` controls, `/metrics`, `/healthz`).
    package static let slackIntegration: SourceID = "chat.slack"
}

/// A chat platform's inbound loop (Matrix `/sync`, Slack Socket Mode) as a service: listening from start until graceful
/// shutdown. A listener that must run on one replica at a time (`ChatListener.oneReplicaAtATime`: Matrix `/sync`),
/// with replicas on a shared database (`leader` set), listens only while this replica leads: it stops when
/// leadership is lost, and the next leader continues from the `next_batch` saved in the database; an event a command
/// already acted on is recorded there too and not acted on again. Slack Socket Mode runs on every replica (Slack
/// spreads envelopes over the connections).
package struct ChatListenerService: Service {
    package let listener: ChatListener
    package let leader: LeaderGate?
    package init(listener: ChatListener, leader: LeaderGate? = nil) { self.listener = listener; self.leader = leader }
    package func run() async throws {
        guard let leader else { return await cancelWhenGracefulShutdown { await listener.run() } }
        let leading = leader.bell()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard await leader.waitToLead(on: leading) != nil else { return }
                // Listens until this replica stops leading (or shutdown), then waits to lead again.
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await listener.run() }
                    group.addTask { while leader.epoch != nil && !Task.isCancelled { await leading.wait() } }
                    _ = await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}

extension Bot {
    /// How people reach the bot from chat: the listeners (Matrix `/sync`, Slack Socket Mode) and routes (Slack HTTP
    /// mode) of the `connections` the adapters made (`Bot.connections`), handing what people do to the bot through
    /// `ChatBot` (`EngineChatBot`), and the inbound HTTP server (`/healthz`, the connections' routes, webhooks) when
    /// anything needs it. A configured secret whose environment variable is unset is an error: the bot must not run
    /// deaf. WebSockets trust the CA file `SOC2BOT_CA_FILE` names (`TrustedCAFile`) instead of the system store, when
    /// set. The platforms' own deadlines — Slack's 3 s answer budget, Socket Mode's hello, reconnection backoff and
    /// envelope memory, Matrix sync's backoff — run on `wireClock`, real time (`SystemClock`), even when the bot's
    /// clock is simulated.
    package func inboundServices(connections: [any ChatConnection], environment: [String: String] = ProcessInfo.processInfo.environment,
                                 wireClock: any BotClock, logger: Logger) throws -> [any Service] {
        let config = engine.config
        // The private CA (a TLS-inspecting proxy's) is checked before anything connects: a bad path is a clear error.
        let caFile: String?
        do { caFile = try TrustedCAFile.path(in: environment) } catch { throw SurfaceError(description: "\(error)") }
        // What handlers answer after their request returned. Listed before the listeners and the server: a group stops
        // them first, then drains this, so every answer already promised is sent.
        let tasks = InboundTasks()
        let context = ChatInboundContext(wireClock: wireClock, logger: logger, tasks: tasks, caFile: caFile, environment: environment)
        let chatBot = EngineChatBot(commands: commands, doorbell: doorbell, sourceHealth: sourceHealth)
        var listeners: [ChatListener] = []
        var chatRoutes: [ChatRoute] = []
        for connection in connections {
            listeners += try connection.listeners(chatBot, context)
            chatRoutes += try connection.routes(chatBot, context)
        }
        var services: [any Service] = listeners.isEmpty && chatRoutes.isEmpty ? [] : [tasks]
        services += listeners.map { ChatListenerService(listener: $0, leader: $0.oneReplicaAtATime ? leader : nil) }
        let webhooks = WebhookEndpoint(config: config, triggers: triggers, doorbell: doorbell, logger: logger, environment: environment)
        if let listen = config.inboundServer ?? (webhooks.isConfigured ? .standard : nil) {
            var trustCenter: TrustCenterEndpoint?
            if let variable = listen.trustCenterKeyVariable {
                guard let value = environment[variable], !value.isEmpty else {
                    throw SurfaceError(description: "server.trust_center_key names \(variable), which is not set (make a key with `soc2bot trust-center keygen`)")
                }
                do { trustCenter = TrustCenterEndpoint(engine: commands.engine, clock: commands.clock, center: try TrustCenter(base64Key: value)) } catch {
                    throw SurfaceError(description: "\(variable): \(error)")
                }
            }
            func token(_ variable: String, _ what: String) throws -> String {
                guard let value = environment[variable], value.count >= 16 else {
                    throw SurfaceError(description: "\(what) names \(variable), which is not set or shorter than 16 characters (use a long random token)")
                }
                return value
            }
            let dashboardToken = try listen.dashboardTokenVariable.map { try token($0, "server.dashboard_token") }
            let auditors = try config.auditors.map { (access: $0, token: try token($0.tokenVariable, "auditor \($0.name)")) }
            let dashboard = dashboardToken != nil || !auditors.isEmpty
                ? DashboardEndpoint(engine: commands.engine, clock: commands.clock, token: dashboardToken, auditors: auditors) : nil
            let routes = InboundRoutes(chat: chatRoutes, webhooks: webhooks.isConfigured ? webhooks : nil,
                                       metrics: MetricsEndpoint(engine: commands.engine, clock: commands.clock, sourceHealth: sourceHealth), trustCenter: trustCenter,
                                       dashboard: dashboard)
            let server = HTTPServer(configuration: .init(host: listen.host, port: listen.port, capturedHeaders: InboundRoutes.capturedHeaders,
                                                         handlerTimeout: 10),
                                    handler: { await routes.handle($0) })
            services.append(HTTPServerService(server: server, logger: logger))
        }
        return services
    }
}
