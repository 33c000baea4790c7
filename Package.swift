// swift-tools-version:6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Kiln",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kiln", targets: ["kiln"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        .target(
            name: "KilnCore",
            dependencies: [],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnTemplate",
            dependencies: ["KilnCore"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnRender",
            dependencies: [
                "KilnCore", "KilnTemplate", "KilnIgnition", "KilnCLC",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "KilnIgnition",
            dependencies: [
                "CZlib",
                "KilnCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnCLC",
            dependencies: [
                "KilnCore", "KilnIgnition",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .target(
            name: "KilnISO",
            dependencies: ["CArchive", "KilnCore", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnTFTP",
            dependencies: [
                "KilnCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnDHCP",
            dependencies: [
                "KilnCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnInventory",
            dependencies: [
                "KilnCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnLogging",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnHTTP",
            dependencies: [
                "KilnCore",
                "KilnISO",
                "KilnRender",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnAPI",
            dependencies: [
                "KilnBMC",
                "KilnCore",
                "KilnRedfish",
                "KilnHTTP",
                "KilnInventory",
                "KilnRender",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnRPC",
            dependencies: [
                "KilnAPI",
                "KilnCore",
                "KilnRender",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["proto"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnDashboard",
            dependencies: [
                "KilnAPI",
                "KilnBMC",
                "KilnCore",
                "KilnHTTP",
                "KilnInventory",
                "KilnRender",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnRedfish",
            dependencies: [
                "KilnCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnBMC",
            dependencies: [
                "KilnCore",
                "KilnInventory",
                "KilnRedfish",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnEtcd",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnStore",
            dependencies: [
                "KilnCore",
                "KilnEtcd",
                "KilnInventory",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "kiln",
            dependencies: [
                "KilnBMC",
                "KilnRPC",
                "KilnEtcd",
                "KilnStore",
                "KilnAPI",
                "KilnDashboard",
                "KilnCore",
                "KilnDHCP",
                "KilnHTTP",
                "KilnInventory",
                "KilnIgnition",
                "KilnCLC",
                "KilnISO",
                "KilnLogging",
                "KilnRender",
                "KilnTFTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "TFTPDecoderFuzz",
            dependencies: ["KilnTFTP", "KilnTestSupport"],
            path: "Benchmarks/TFTPDecoderFuzz",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "DHCPFuzz",
            dependencies: ["KilnDHCP", "KilnCore", "KilnTestSupport"],
            path: "Benchmarks/DHCPFuzz",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "InventoryStorm",
            dependencies: [
                "KilnInventory", "KilnCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/InventoryStorm",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "BootStorm",
            path: "Benchmarks/BootStorm",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "HelloServers",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HelloServers",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ConfigDriveBench",
            dependencies: ["KilnISO"],
            path: "Benchmarks/ConfigDriveBench",
            swiftSettings: strictSettings
        ),
        .target(
            name: "KilnTestSupport",
            dependencies: ["KilnCore", "KilnIgnition"],
            path: "Tests/KilnTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnCoreTests",
            dependencies: ["KilnCore", "KilnTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnTemplateTests",
            dependencies: ["KilnTemplate", "KilnCore", "KilnTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnRenderTests",
            dependencies: ["KilnRender", "KilnCore", "KilnIgnition", "KilnTemplate"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnIgnitionTests",
            dependencies: ["KilnIgnition", "KilnCore", "KilnTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnCLCTests",
            dependencies: ["KilnCLC", "KilnIgnition", "KilnCore", "KilnRender", "KilnTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnISOTests",
            dependencies: ["KilnISO", "KilnCore", "KilnTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnTFTPTests",
            dependencies: ["KilnTFTP", "KilnCore", "KilnTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnHTTPTests",
            dependencies: [
                "KilnHTTP", "KilnCore", "KilnISO", "KilnRender", "KilnTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnDHCPTests",
            dependencies: ["KilnDHCP", "KilnCore", "KilnTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnInventoryTests",
            dependencies: ["KilnInventory", "KilnCore", "KilnTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnAPITests",
            dependencies: [
                "KilnAPI", "KilnBMC", "KilnCore", "KilnHTTP", "KilnInventory", "KilnTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnDashboardTests",
            dependencies: [
                "KilnDashboard", "KilnAPI", "KilnCore", "KilnHTTP", "KilnInventory", "KilnTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnRedfishTests",
            dependencies: [
                "KilnRedfish", "KilnBMC", "KilnAPI", "KilnCore", "KilnHTTP", "KilnInventory", "KilnTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnRPCTests",
            dependencies: ["KilnRPC", "KilnCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnEtcdTests",
            dependencies: ["KilnEtcd"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnStoreTests",
            dependencies: [
                "KilnStore", "KilnEtcd", "KilnCore", "KilnInventory", "KilnTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KilnLoggingTests",
            dependencies: ["KilnLogging"],
            swiftSettings: strictSettings
        ),
    ]
)
