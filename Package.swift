// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Coalmine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coalmine", targets: ["coalmine"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    // Data walks one way: HTTP edge → engine → journal. The engine and the adapters (Kubernetes, Chat) meet only
    // in the core, where the protocols they implement (TrafficRouter, Notifier) and the values they take live;
    // the edge wires the adapters into the engine.
    targets: [
        // Everything that decides: the rollout state machine, alert classification, config rules, and the
        // protocols of the outside world. Imports only the standard library so its tests build in seconds.
        .target(name: "CoalmineCore"),
        // The append-only, hash-chained journal and the effects outbox, on SQLite (embedded) or PostgreSQL (shared
        // by replicas).
        .target(
            name: "CoalmineJournal",
            dependencies: [
                "CoalmineCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The engine that owns rollout state, commits to the journal and runs effects through the core's protocols.
        .target(
            name: "CoalmineEngine",
            dependencies: [
                "CoalmineCore",
                "CoalmineJournal",
                .product(name: "Yams", package: "Yams"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The chat APIs: one format per provider, the poster with its deadline and pacing, the notifier factory.
        .target(
            name: "CoalmineChat",
            dependencies: [
                "CoalmineCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The Kubernetes API: kubeconfig and in-cluster connections, the Istio and Gateway API routers.
        .target(
            name: "CoalmineKubernetes",
            dependencies: [
                "CoalmineCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP edge: webhooks, operator API, health and metrics.
        .target(
            name: "CoalmineHTTP",
            dependencies: [
                "CoalmineCore",
                "CoalmineEngine",
                "CoalmineJournal",
                "CoalmineKubernetes",
                "CoalmineChat",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "coalmine",
            dependencies: [
                "CoalmineCore",
                "CoalmineEngine",
                "CoalmineHTTP",
                "CoalmineJournal",
                "CoalmineKubernetes",
                "CoalmineChat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Clocks, workspaces and stand-ins shared by the test targets (never linked into the product).
        .target(
            name: "CoalmineTestSupport",
            dependencies: [
                "CoalmineCore", "CoalmineEngine", "CoalmineJournal", "CoalmineKubernetes", "CoalmineChat",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/CoalmineTestSupport"
        ),
        // The journal's writer alone, in-process (see its main.swift; README "Performance").
        .executableTarget(
            name: "JournalWriterBench",
            dependencies: ["CoalmineCore", "CoalmineJournal"],
            path: "Tests/JournalWriterBench"
        ),
        // The Kubernetes API double as a process of its own, for the benchmarks (scripts/bench.py).
        .executableTarget(
            name: "KubernetesAPIDoubleServer",
            dependencies: ["CoalmineTestSupport"],
            path: "Tests/KubernetesAPIDoubleServer"
        ),
        // The fuzz targets: each reader of outside bytes in the core, beside its Foundation twin where it has one.
        // Depends on the core alone, so the fuzzer build (scripts/fuzz.sh) instruments only what it fuzzes.
        .target(name: "CoalmineFuzzTargets", dependencies: ["CoalmineCore"]),
        // libFuzzer's entry point (scripts/fuzz.sh builds it with -sanitize=fuzzer); built plainly, a replayer.
        .executableTarget(
            name: "CoalmineFuzz",
            dependencies: ["CoalmineFuzzTargets"],
            path: "Fuzz/CoalmineFuzz"
        ),
        .testTarget(
            name: "CoalmineCoreTests",
            dependencies: [
                "CoalmineCore", "CoalmineFuzzTargets",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "CoalmineEngineTests",
            dependencies: [
                "CoalmineCore", "CoalmineJournal", "CoalmineEngine", "CoalmineChat", "CoalmineTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "CoalmineKubernetesTests",
            dependencies: [
                "CoalmineCore", "CoalmineEngine", "CoalmineJournal", "CoalmineKubernetes", "CoalmineTestSupport",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "CoalmineChatTests",
            dependencies: [
                "CoalmineCore", "CoalmineEngine", "CoalmineJournal", "CoalmineChat", "CoalmineTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The whole loop on real Prometheus and Alertmanager; runs when COALMINE_E2E=1 (scripts/test.sh sets it).
        .testTarget(
            name: "CoalmineEndToEndTests",
            dependencies: [
                "CoalmineCore", "CoalmineKubernetes", "CoalmineTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["workload.py"]
        ),
        .testTarget(
            name: "CoalmineHTTPTests",
            dependencies: [
                "CoalmineCore",
                "CoalmineEngine",
                "CoalmineHTTP",
                "CoalmineJournal",
                "CoalmineKubernetes",
                "CoalmineChat",
                "CoalmineTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
