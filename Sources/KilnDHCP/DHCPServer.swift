import KilnCore
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The proxyDHCP listeners, UDP 67 and 4011 on one interface. The sockets
/// are bound by `bind`, before anything else starts, so a port that is
/// taken stops `kiln serve` at once instead of leaving it half up.
public final class DHCPServer: Service, Sendable {
    public struct Configuration: Sendable {
        /// The interface the rack is on; answers go out of it.
        public var interface: String
        /// Address to bind; tests use a loopback address and ports.
        public var host: String
        public var dhcpPort: Int
        public var pxePort: Int
        /// Where broadcast answers go: 255.255.255.255:68 on a rack.
        public var clientPort: Int
        public var responder: ProxyDHCPResponder.Configuration

        public init(interface: String, host: String = "0.0.0.0", dhcpPort: Int = 67, pxePort: Int = 4011, clientPort: Int = 68,
                    responder: ProxyDHCPResponder.Configuration) {
            self.interface = interface
            self.host = host
            self.dhcpPort = dhcpPort
            self.pxePort = pxePort
            self.clientPort = clientPort
            self.responder = responder
        }
    }

    public struct BindError: Error, CustomStringConvertible {
        public var description: String
    }

    typealias Datagrams = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    let configuration: Configuration
    let responder: ProxyDHCPResponder
    let catalog: @Sendable () -> Catalog?
    let logger: Logger
    let metrics: DHCPMetrics
    let onDecision: @Sendable (ProxyDHCPResponder.Decision) -> Void
    private let channels: [(ProxyDHCPResponder.Port, Datagrams)]

    private init(configuration: Configuration, catalog: @escaping @Sendable () -> Catalog?, logger: Logger, metrics: DHCPMetrics,
                 onDecision: @escaping @Sendable (ProxyDHCPResponder.Decision) -> Void, channels: [(ProxyDHCPResponder.Port, Datagrams)]) {
        self.onDecision = onDecision
        self.configuration = configuration
        self.responder = ProxyDHCPResponder(configuration.responder)
        self.catalog = catalog
        self.logger = logger
        self.metrics = metrics
        self.channels = channels
    }

    /// Binds both ports or throws naming the one that failed and what to do.
    /// - Parameter onDecision: told of every decision (the inventory); it
    ///   must not block.
    public static func bind(_ configuration: Configuration, catalog: @escaping @Sendable () -> Catalog?, logger: Logger,
                            registry: PrometheusCollectorRegistry,
                            onDecision: @escaping @Sendable (ProxyDHCPResponder.Decision) -> Void = { _ in }) async throws -> DHCPServer {
        var channels: [(ProxyDHCPResponder.Port, Datagrams)] = []
        do {
            for (port, number) in [(ProxyDHCPResponder.Port.dhcp, configuration.dhcpPort), (.pxe, configuration.pxePort)] {
                channels.append((port, try await bindOne(configuration, port: number)))
            }
        } catch {
            for (_, channel) in channels { try? await channel.channel.close() }
            throw error
        }
        logger.info("dhcp proxy listening", metadata: [
            "dhcp_interface": "\(configuration.interface)", "server": "\(configuration.responder.serverAddress)",
            "ports": "\(configuration.dhcpPort),\(configuration.pxePort)", "efi_policy": "\(configuration.responder.efiPolicy.rawValue)",
        ])
        return DHCPServer(configuration: configuration, catalog: catalog, logger: logger, metrics: DHCPMetrics(registry: registry),
                          onDecision: onDecision, channels: channels)
    }

    private static func bindOne(_ configuration: Configuration, port: Int) async throws -> Datagrams {
        let interface = configuration.interface
        do {
            // No SO_REUSEADDR: sharing port 67 with another DHCP server on
            // this host would split the packets between the two.
            return try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_broadcast), value: 1)
                .channelInitializer { channel in
                    bindToDevice(channel, interface)
                }
                .bind(host: configuration.host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Datagrams(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw BindError(description: "dhcp: UDP port \(port) is already in use on this host (another DHCP or proxyDHCP server, such as dnsmasq, isc-dhcp-server or kea?); stop it, or run kiln serve --dhcp proxy on another host of the rack network. Nothing was started.")
        } catch let error as IOError where error.errnoCode == EACCES {
            throw BindError(description: "dhcp: binding UDP port \(port) needs root (or CAP_NET_BIND_SERVICE and CAP_NET_RAW). Nothing was started.")
        } catch {
            throw BindError(description: "dhcp: cannot listen on UDP port \(port) on \(interface): \(error). Nothing was started.")
        }
    }

    /// SO_BINDTODEVICE: receive only the rack's broadcasts, and send
    /// 255.255.255.255 out of the rack's interface whatever the routes say.
    private static func bindToDevice(_ channel: any Channel, _ interface: String) -> EventLoopFuture<Void> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(BindError(description: "dhcp: cannot bind to interface \(interface)"))
        }
        var name = [CChar](repeating: 0, count: Int(IFNAMSIZ))
        for (index, byte) in interface.utf8.prefix(Int(IFNAMSIZ) - 1).enumerated() { name[index] = CChar(bitPattern: byte) }
        let packed = (name[0], name[1], name[2], name[3], name[4], name[5], name[6], name[7],
                      name[8], name[9], name[10], name[11], name[12], name[13], name[14], name[15])
        return provider.unsafeSetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_BINDTODEVICE), value: packed)
    }

    /// The bound ports (tests bind port 0).
    public var ports: [Int] {
        channels.map { $0.1.channel.localAddress?.port ?? 0 }
    }

    public func run() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for (port, channel) in channels {
                    group.addTask { try await self.serve(channel, port: port) }
                }
            }
        } onCancelOrGracefulShutdown: {
            for (_, channel) in self.channels { channel.channel.close(promise: nil) }
        }
    }

    private func serve(_ channel: Datagrams, port: ProxyDHCPResponder.Port) async throws {
        try await channel.executeThenClose { inbound, outbound in
            for try await envelope in inbound {
                let bytes = Array(envelope.data.readableBytesView)
                let decision = responder.respond(to: bytes, on: port, catalog: catalog())
                record(decision, port: port, from: envelope.remoteAddress)
                onDecision(decision)
                guard case .answer(let answer, _) = decision else { continue }
                let destination: SocketAddress
                do {
                    switch answer.destination {
                    case .broadcast: destination = try SocketAddress(ipAddress: "255.255.255.255", port: configuration.clientPort)
                    case .relay(let relay): destination = try SocketAddress(ipAddress: relay.description, port: 67)
                    case .sender: destination = envelope.remoteAddress
                    }
                    try await outbound.write(AddressedEnvelope(remoteAddress: destination, data: ByteBuffer(bytes: answer.packet.encode())))
                } catch {
                    logger.warning("dhcp: could not send the answer: \(error)")
                }
            }
        }
    }

    private func record(_ decision: ProxyDHCPResponder.Decision, port: ProxyDHCPResponder.Port, from sender: SocketAddress) {
        switch decision {
        case .answer(let answer, let request):
            metrics.packet(type: request.messageType.description, result: answer.type.description.lowercased())
            logger.info("dhcp: \(answer.type) to \(Self.describe(request)) port=\(port.rawValue): \(answer.offered)")
        case .silence(let silence, let request):
            metrics.packet(type: request?.messageType.description ?? "other", result: silence.result)
            guard let request else {
                logger.debug("dhcp: ignored a packet from \(sender): \(silence)")
                return
            }
            if silence == .noGroup {
                logger.info("dhcp: no group for mac=\(request.mac) arch=\(request.architecture.code): not answering")
            } else if case .missingFirstStage = silence {
                logger.warning("dhcp: \(Self.describe(request)) port=\(port.rawValue): not answering: \(silence)")
            } else if silence.isAboutABootClient {
                logger.info("dhcp: \(Self.describe(request)) port=\(port.rawValue): not answering: \(silence)")
            } else {
                logger.debug("dhcp: \(Self.describe(request)) port=\(port.rawValue): not answering: \(silence)")
            }
        }
    }

    static func describe(_ request: BootRequest) -> String {
        "mac=\(request.mac) arch=\(request.architecture.code) vendor_class=\(request.vendorClass) user_class=\(request.userClass ?? "-") \(request.messageType)"
    }
}

/// `kiln_dhcp_packets_total{type,result}` in the server's registry.
struct DHCPMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    func packet(type: String, result: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "kiln", subsystem: "dhcp", metricName: "packets", unitName: "total",
                                             helpText: "DHCP packets received, by message type and what Kiln did: offer, ack, or why it stayed silent"),
            labels: [("type", type), ("result", result)]
        ).increment()
    }
}
