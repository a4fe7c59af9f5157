// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "accord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "accord", targets: ["accord"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // ExternalLoading is off: AccordOpenAPI resolves cross-file $refs itself (with positions),
        // and the trait's concurrency code makes OpenAPIKit much slower to build.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit", from: "6.4.0", traits: []),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // C libraries, each behind a small Swift wrapper in the module above it.
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Fixed-argument wrappers for rabbitmq-c's variadic functions, which Swift cannot call.
        .target(name: "CAMQPShim", dependencies: ["CRabbitMQ"]),
        // glibc's closefrom spawn action, a GNU extension Swift's Glibc module leaves out.
        .target(name: "CSpawnShim"),
        // epoll and eventfd for the load client's own event loop (Swift's Glibc module leaves them out).
        .target(name: "CEpoll"),

        // JSON values with exact numbers, shared by the protobuf JSON mapping and schema validation.
        .target(name: "AccordJSON"),

        // Contract files as located documents: source locations, JSON pointers, YAML/JSON with
        // line numbers, near-miss names. Shared by every loader so diagnostics read alike.
        .target(
            name: "AccordDocuments",
            dependencies: ["AccordJSON", .product(name: "Yams", package: "Yams")]
        ),

        // Child processes Accord owns: signal-safe spawning into groups of their own, readiness,
        // signals, exits, timelines, and the reaper that ends them should Accord die.
        .target(name: "AccordProcess", dependencies: ["CSpawnShim"]),

        // Run-time protobuf: descriptors from protoc, dynamic binary and JSON codec.
        .target(
            name: "AccordProto",
            dependencies: [
                "AccordJSON", "AccordDocuments",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The canonical RPC status codes, shared by the gRPC transport and the contracts.
        .target(name: "AccordRPCStatus"),

        // Transports: they know bytes, frames and messages, never contracts.
        .target(
            name: "AccordGRPC",
            dependencies: [
                "CNGHTTP2",
                "AccordRPCStatus",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Services built from contracts: protobuf-typed gRPC handlers, reference behaviour.
        .target(
            name: "AccordServices",
            dependencies: [
                "AccordJSON", "AccordProto", "AccordGRPC", "AccordContracts", "AccordHTTP", "AccordAMQP",
                "AccordOpenAPI", "AccordSystem", "AccordRPCStatus",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Run results: the summary.json model and its renderings (HTML, JUnit).
        .target(name: "AccordReport", dependencies: ["AccordJSON"]),

        // Load generation and measurement: schedules, HDR histograms, thresholds, interval logs.
        .target(
            name: "AccordLoad",
            dependencies: [
                "CZlib", "AccordJSON", "AccordDocuments", "AccordProto", "AccordGRPC", "AccordHTTP", "AccordReport",
                "AccordProcess", "AccordContracts", "AccordOpenAPI", "AccordAMQP", "AccordSystem", "AccordRPCStatus",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "AccordHTTP",
            dependencies: [
                "AccordJSON", "CEpoll",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // OpenAPI 3.0/3.1 documents and JSON Schema validation; OpenAPIKit stays inside this module.
        .target(
            name: "AccordOpenAPI",
            dependencies: [
                "AccordJSON", "AccordDocuments",
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "OpenAPIKit30", package: "OpenAPIKit"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "AccordAMQP",
            dependencies: [
                "AccordProcess",
                "CRabbitMQ", "CAMQPShim",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Test and benchmark peer for AccordAMQP: owns a managed broker, consumes as a separate
        // process (so a test can SIGKILL it), publishes for bench/amqp-publish.
        .executableTarget(
            name: "accord-amqp-probe",
            dependencies: [
                "AccordAMQP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Contracts: the system model and loader, one schema model, and static mismatch detection.
        .target(
            name: "AccordContracts",
            dependencies: [
                "AccordDocuments", "AccordJSON", "AccordProto", "AccordOpenAPI", "AccordReport", "AccordRPCStatus",
            ]
        ),

        .target(
            name: "AccordSystem",
            dependencies: [
                "AccordContracts", "AccordProcess", "AccordAMQP", "AccordDocuments",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .target(
            name: "AccordCheck",
            dependencies: [
                "AccordContracts", "AccordGRPC", "AccordHTTP", "AccordAMQP", "AccordJSON", "AccordOpenAPI",
                "AccordProto", "AccordReport", "AccordLoad", "AccordDocuments", "AccordSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        .executableTarget(
            name: "accord",
            dependencies: [
                "AccordContracts", "AccordProto", "AccordGRPC", "AccordServices", "AccordLoad", "AccordReport",
                "AccordCheck", "AccordSystem", "AccordAMQP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // Helpers shared by the test targets: free ports, child processes, Python peers.
        .target(
            name: "AccordTestSupport",
            dependencies: ["AccordAMQP", "AccordJSON", "AccordProcess", .product(name: "Logging", package: "swift-log")],
            path: "Tests/AccordTestSupport"
        ),
        .testTarget(name: "AccordJSONTests", dependencies: ["AccordJSON"]),
        .testTarget(name: "AccordProcessTests", dependencies: ["AccordProcess", "AccordTestSupport"]),
        .testTarget(name: "AccordDocumentsTests", dependencies: ["AccordDocuments", "AccordJSON"]),
        .testTarget(
            name: "AccordCLITests",
            dependencies: ["AccordTestSupport", "AccordJSON", "AccordAMQP"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordLoadTests",
            dependencies: [
                "AccordLoad", "AccordSystem", "AccordTestSupport", "AccordDocuments", "AccordJSON", "AccordContracts",
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordReportTests",
            dependencies: [
                "AccordReport", "AccordJSON", "AccordLoad", "AccordGRPC", "AccordTestSupport", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordProtoTests",
            dependencies: ["AccordProto", "AccordTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordCheckTests",
            dependencies: ["AccordCheck", "AccordContracts", "AccordJSON", "AccordTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordSystemTests",
            dependencies: ["AccordSystem", "AccordContracts", "AccordProcess", "AccordTestSupport"]
        ),
        .testTarget(
            name: "AccordAMQPTests",
            dependencies: ["AccordAMQP", "AccordJSON", "AccordTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordGRPCTests",
            dependencies: ["AccordGRPC", "AccordProto", "AccordTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordHTTPTests",
            dependencies: [
                "AccordHTTP", "AccordJSON", "AccordTestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordContractsTests",
            dependencies: ["AccordContracts", "AccordDocuments", "AccordReport", "AccordTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "AccordRPCStatusTests", dependencies: ["AccordRPCStatus"]),
        .testTarget(
            name: "AccordServicesTests",
            dependencies: [
                "AccordServices", "AccordContracts", "AccordJSON", "AccordAMQP", "AccordRPCStatus", "AccordTestSupport",
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordOpenAPITests",
            dependencies: ["AccordOpenAPI", "AccordHTTP", "AccordJSON", "AccordTestSupport"],
            resources: [.copy("Fixtures")]
        ),

        // Client CPU cost against wrk on the same accord server (bench/http-vs-wrk drives it).
        .executableTarget(
            name: "AccordHTTPBench",
            dependencies: [
                "AccordHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/AccordHTTPBench"
        ),
        // The gRPC target for bench/grpc-vs-h2load: echoes requests so the clients are measured.
        .executableTarget(
            name: "AccordGRPCBench",
            dependencies: [
                "AccordGRPC", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/AccordGRPCBench"
        ),
    ]
)
