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

        // JSON values with exact numbers, shared by the protobuf JSON mapping and schema validation.
        .target(name: "AccordJSON"),

        // Run-time protobuf: descriptors from protoc, dynamic binary and JSON codec.
        .target(
            name: "AccordProto",
            dependencies: [
                "AccordJSON",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Transports: they know bytes, frames and messages, never contracts.
        .target(
            name: "AccordGRPC",
            dependencies: [
                "CNGHTTP2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Services built from contracts: protobuf-typed gRPC handlers, reference behaviour.
        .target(
            name: "AccordServices",
            dependencies: ["AccordJSON", "AccordProto", "AccordGRPC", .product(name: "NIOCore", package: "swift-nio")]
        ),

        // Run results: the summary.json model and its renderings (HTML, JUnit).
        .target(name: "AccordReport", dependencies: ["AccordJSON"]),

        // Load generation and measurement: schedules, HDR histograms, thresholds, interval logs.
        .target(
            name: "AccordLoad",
            dependencies: [
                "CZlib", "AccordJSON", "AccordGRPC", "AccordReport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "accord",
            dependencies: [
                "AccordProto", "AccordGRPC", "AccordServices", "AccordLoad", "AccordReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // Helpers shared by the test targets: free ports, child processes, Python peers.
        .target(
            name: "AccordTestSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Tests/AccordTestSupport"
        ),
        .testTarget(name: "AccordJSONTests", dependencies: ["AccordJSON"]),
        .testTarget(
            name: "AccordCLITests",
            dependencies: ["AccordTestSupport", "AccordJSON"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AccordLoadTests",
            dependencies: ["AccordLoad", "AccordTestSupport"],
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
            name: "AccordGRPCTests",
            dependencies: ["AccordGRPC", "AccordProto", "AccordTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
