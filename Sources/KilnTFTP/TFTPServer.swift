import KilnCore
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Kiln's TFTP server: read-only, confined to its root, with RFC 2347
/// options (blksize, tsize, timeout) and RFC 7440 windows.
public struct TFTPServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var root: String
        public var limits: TFTPLimits
        /// Serve every transfer from the listening port (for NAT and
        /// containers that forward one UDP port).
        public var singlePort: Bool

        public init(host: String = "127.0.0.1", port: Int = 6969, root: String, limits: TFTPLimits = TFTPLimits(), singlePort: Bool = false) {
            self.host = host
            self.port = port
            self.root = root
            self.limits = limits
            self.singlePort = singlePort
        }
    }

    public let configuration: Configuration
    let logger: Logger
    let metrics: TFTPMetrics
    let onBound: @Sendable (Int) async -> Void
    let onTransfer: @Sendable (TFTPTransferEvent) -> Void

    /// - Parameter onTransfer: told of every finished or refused transfer
    ///   (the inventory); it must not block.
    public init(configuration: Configuration, logger: Logger, registry: PrometheusCollectorRegistry,
                onBound: @escaping @Sendable (Int) async -> Void = { _ in },
                onTransfer: @escaping @Sendable (TFTPTransferEvent) -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = TFTPMetrics(registry: registry)
        self.onBound = onBound
        self.onTransfer = onTransfer
    }

    public func run() async throws {
        let root = ConfinedFile.realPath(configuration.root)
        if root == nil {
            logger.warning("tftp root does not exist; every request will be refused", metadata: ["tftp_root": "\(configuration.root)"])
        }
        let transferBindAddress = try? SocketAddress.makeAddressResolvingHost(configuration.host, port: 0)
        let shared = TFTPShared(
            root: root, limits: configuration.limits, metrics: metrics, logger: logger,
            transferBindAddress: transferBindAddress, singlePort: configuration.singlePort, onTransfer: onTransfer,
            admission: TransferAdmission(maxTransfers: configuration.limits.maxTransfers, maxPerClient: configuration.limits.maxTransfersPerClient))
        // Its own event loop: while a storm of kernel and initrd downloads
        // keeps the shared loops busy, read requests still get answered.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await serve(on: group, shared: shared)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private func serve(on group: MultiThreadedEventLoopGroup, shared: TFTPShared) async throws {
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // A rack's read requests arrive together: drain many per wake-up.
            .channelOption(.maxMessagesPerRead, value: 64)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TFTPRequestHandler(shared: shared))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        // Room for a thousand read requests at once; past the system's
        // rmem_max only root may ask (SO_RCVBUFFORCE), so try that first.
        let receiveBuffer: SocketOptionValue = 4 << 20
        do {
            try await channel.setOption(ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_RCVBUFFORCE)), value: receiveBuffer).get()
        } catch {
            try? await channel.setOption(.socketOption(.so_rcvbuf), value: receiveBuffer).get()
        }
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("tftp listening", metadata: [
            "tftp": "\(configuration.host):\(port)", "tftp_root": "\(configuration.root)",
            "max_blksize": "\(configuration.limits.maxBlockSize)", "single_port": "\(configuration.singlePort)",
        ])
        await onBound(port)
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

extension TFTPServer {
    /// Whether a read request for `name` would find a file under `root`:
    /// what proxyDHCP checks before offering a first stage.
    public static func serves(_ name: String, root: String) -> Bool {
        guard !name.hasPrefix("/"), let resolved = ConfinedFile.realPath(root) else { return false }
        return (try? TransferPlan.locate(name, root: resolved)) != nil
    }
}
