// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "soc2bot",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "soc2bot", targets: ["soc2bot"]),
        .executable(name: "soc2bot-bench", targets: ["Benchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Pure values and rules: no IO; the one clock (BotClock), the only code that reads the wall clock or waits.
        .target(name: "Core"),
        // YAML manifests → Core configuration, with every problem reported at file:line:column.
        .target(name: "Manifests", dependencies: ["Core", .product(name: "Yams", package: "Yams")]),
        // SQLite through GRDB: alerts, check runs, outbox, cursors, the hash-chained evidence ledger.
        .target(name: "Store", dependencies: [
            "Core",
            .product(name: "GRDB", package: "GRDB.swift"),
            // The C API, for reading ledger blobs in place during verification (1M entries in well under 2 s).
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // One outbound HTTP client for every source and chat platform (URLSession = libcurl on Linux), retries,
        // and request signing (AWS SigV4).
        .target(name: "HTTP", dependencies: ["Core", "CCurl", .product(name: "Crypto", package: "swift-crypto")]),
        // libcurl's easy API (system library) with typed shims for its variadic calls: the transport for a private CA,
        // which URLSession on Linux cannot be given.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // The systems under watch: typed facts, the FactSource protocol, one folder per system's live client.
        .target(name: "FactSources", dependencies: ["Core", "HTTP", .product(name: "_CryptoExtras", package: "swift-crypto")]),
        // The control catalog: each check type turns facts into check results; `Catalog.builtIn` adds the chat adapters' descriptions.
        .target(name: "Checks", dependencies: ["Core", "FactSources", "Chat"]),
        // libwebsockets 4.1 (system library) and the few shims Swift cannot import (LWS_PRE).
        .target(name: "CLibWebSockets", linkerSettings: [.linkedLibrary("websockets")]),
        // The inbound HTTP server (Slack HTTP mode, webhooks, health) and the WebSocket client (Slack Socket Mode),
        // over libwebsockets: the one module that owns its unsafe pointers and its service threads.
        .target(name: "Sockets", dependencies: ["CLibWebSockets"]),
        // The platform-neutral chat model (messages, the command grammar, ChatAdapter and ChatBot, the inbound task group),
        // and one folder per platform (Terminal/, Slack/, Matrix/): surface, typed inbound payloads, listeners and routes.
        .target(name: "Chat", dependencies: ["Core", "HTTP", "Sockets", .product(name: "Logging", package: "swift-log"),
                                      .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        // Status, evidence verification and export, the dashboard's charts (PNG).
        .target(name: "Reports", dependencies: ["Core", "Store", "Chat", "CZlib", .product(name: "Crypto", package: "swift-crypto")]),
        // The system zlib (zlib1g-dev, which libcurl and libwebsockets link too): DEFLATE and CRC-32 for the PNG writer.
        .systemLibrary(name: "CZlib"),
        // libpq 15 (system library, libpq-dev): PostgreSQL's reference client.
        .systemLibrary(name: "CLibPQ"),
        // PostgreSQL through libpq: sessions, binary-format parameters and rows, transactions with retry, a bounded pool,
        // advisory locks on a session of their own, LISTEN/NOTIFY: the one module that owns libpq's pointers.
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        // The store on PostgreSQL: its schema (named migrations) and the evidence ledger, byte-identical to SQLite's.
        .target(name: "PostgresStore", dependencies: ["Core", "Store", "Postgres"]),
        // The running bot: scheduler, reconcile, dispatcher, actions, escalator.
        .target(name: "Engine", dependencies: [
            "Core", "Store", "HTTP", "FactSources", "Checks", "Chat", "Reports", "Sockets",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The built-in demo organisation and the scenario (timeline) format.
        .target(name: "Demo", dependencies: ["Core", "Manifests", "FactSources", "Checks", "Chat", "Store", "Engine", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "soc2bot", dependencies: [
            "Core", "Manifests", "Store", "Postgres", "PostgresStore", "FactSources", "Checks", "Chat", "Engine", "Reports", "Demo",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "Benchmarks", dependencies: ["Core", "Store", "Postgres", "PostgresStore", "Engine", "Checks", "Chat", "Reports", "HTTP", "Sockets", "Demo", "Manifests",
                                                            .product(name: "Logging", package: "swift-log")]),

        .target(name: "TestSupport", dependencies: ["Core", "Store", "Postgres", "Engine", "Checks", "Chat", "HTTP", "Sockets", "FactSources", .product(name: "Crypto", package: "swift-crypto")], path: "Tests/TestSupport"),
        .testTarget(name: "SocketsTests", dependencies: ["Sockets"]),
        .testTarget(name: "CoreTests", dependencies: ["Core", "Chat"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "FactSourcesTests", dependencies: ["FactSources", "HTTP", "Core", "Checks", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ManifestsTests", dependencies: ["Manifests", "Core", "Checks", "Chat"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "PostgresStore", "Postgres", "Core", "Chat", "Reports", "TestSupport",
                                                     .product(name: "GRDB", package: "GRDB.swift"),
                                                     .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ChecksTests", dependencies: ["Checks", "FactSources", "Core", "TestSupport"]),
        .testTarget(name: "ChatTests", dependencies: ["Chat", "Core", "HTTP", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Store", "Core", "FactSources", "Checks", "Chat", "Reports", "TestSupport", "Postgres", "PostgresStore",
                                                      .product(name: "Logging", package: "swift-log"),
                                                      .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                      .product(name: "GRDB", package: "GRDB.swift"),
                                                      .product(name: "Crypto", package: "swift-crypto")], exclude: ["Fixtures"]),
        .testTarget(name: "DemoTests", dependencies: ["Demo", "Engine", "Manifests", "Store", "Core", "Checks", "Chat", "Reports", "FactSources", "TestSupport",
                                                    .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "PostgresStore", "Store", "Core", "Engine", "Chat", "TestSupport",
                                                        .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "CLITests", dependencies: ["Store", "Postgres", "PostgresStore", "Core", "TestSupport", "HTTP", "Sockets", .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
