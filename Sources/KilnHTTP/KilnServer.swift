import Hummingbird
import HummingbirdCore
import KilnCore
import KilnRender
import Logging
import NIOCore
import ServiceLifecycle

/// Everything `kiln serve` runs: the HTTP routes and the reloader, under
/// one service group that stops cleanly on SIGTERM and SIGINT.
public struct KilnServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var dataPath: String
        public var assetsPath: String
        public var pollInterval: Duration
        /// Kiln's URL for /netboot.iso images; nil takes each request's Host.
        public var publicURL: String?
        /// Told of every request's record (the inventory); must not block.
        public var subscriber: (@Sendable (RequestRecord) -> Void)?
        /// What one client may take of the listener.
        public var limits = HTTPLimits()

        public init(host: String = "127.0.0.1", port: Int = 8080, dataPath: String, assetsPath: String, pollInterval: Duration = .seconds(1),
                    publicURL: String? = nil) {
            self.host = host
            self.port = port
            self.dataPath = dataPath
            self.assetsPath = assetsPath
            self.pollInterval = pollInterval
            self.publicURL = publicURL
        }
    }

    public let configuration: Configuration
    public let store: SnapshotStore<CompiledCatalog>
    public let metrics: KilnMetrics
    let logger: Logger

    /// Loads the catalog from its source (the data directory unless given):
    /// at start, on change, on SIGHUP, and when the API has written.
    public let reloader: CatalogReloader

    /// - Parameters:
    ///   - store, metrics: shared with the other listeners (TFTP, DHCP, the inventory).
    public init(configuration: Configuration, logger: Logger, source: (any CatalogSource)? = nil,
                store: SnapshotStore<CompiledCatalog> = SnapshotStore(), metrics: KilnMetrics = KilnMetrics()) {
        self.configuration = configuration
        self.store = store
        self.metrics = metrics
        self.logger = logger
        reloader = CatalogReloader(source: source ?? DataDirectorySource(dataPath: configuration.dataPath, pollInterval: configuration.pollInterval),
                                   store: store, metrics: metrics, logger: logger)
    }

    /// Runs until shutdown. `onListening` gets the bound port (useful with
    /// port 0 in tests).
    /// `alongside` are run in the same service group (the TFTP server).
    public func run(alongside: [any Service] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let routes = KilnRoutes(store: store, assetsPath: configuration.assetsPath, metrics: metrics, logger: logger,
                                publicURL: configuration.publicURL, subscriber: configuration.subscriber, limits: configuration.limits)
        let logger = self.logger
        let count = ConnectionCount(metrics: metrics)
        let limits = configuration.limits
        let immediate = routes.immediateRoutes()
        let app = Application(
            router: routes.makeRouter(),
            server: HTTPServerBuilder { responder in
                SendfileHTTP1Channel(
                    base: HTTP1Channel(responder: responder,
                                       configuration: .init(additionalChannelHandlers: [ConnectionGuard(count: count, limits: limits, logger: logger),
                                                                                        ImmediateAnswers(table: immediate)])),
                    logger: logger)
            },
            // A rack powering on connects faster than connections are
            // accepted: a short queue drops SYNs, and each drop costs the
            // machine a one-second retransmission.
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil, backlog: 4096),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["http": "\(channel.localAddress?.description ?? "?")"])
                await onListening(port)
            },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: reloader), .init(service: app)] + alongside.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
