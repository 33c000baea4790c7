import ArgumentParser
import Foundation
import KilnAPI
import KilnBMC
import KilnCore
import KilnDHCP
import KilnHTTP
import KilnInventory
import KilnRender
import KilnISO
import KilnEtcd
import KilnLogging
import KilnStore
import KilnTFTP
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve boot scripts, configs and assets over HTTP.",
        discussion: """
            Reloads the data directory on SIGHUP and within about a second of any change to its files. \
            A broken file is logged with its line and column and the last good version keeps serving.
            With --dhcp proxy, Kiln also answers network-booting firmware (BIOS, UEFI, UEFI HTTP Boot, iPXE) beside \
            the site's DHCP server, which keeps handing out addresses; see docs/dhcp.md.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(name: .long, help: ArgumentHelp("Assets directory served under /assets/ (env KILN_ASSETS_PATH; default <data-path>/assets).", valueName: "dir"))
    var assetsPath: String?

    @Option(name: .long, help: ArgumentHelp("HTTP listen address, host:port (env KILN_ADDRESS; default 127.0.0.1:8080; use 0.0.0.0:8080 for a rack).", valueName: "host:port"))
    var address: String?

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (env KILN_LOG_LEVEL; default info). Each request is logged at info.", valueName: "level"))
    var logLevel: Logger.Level?

    @Option(name: .long, help: ArgumentHelp("TFTP listen address, host:port; empty turns TFTP off (env KILN_TFTP_ADDRESS; default 127.0.0.1:6969 for development, 0.0.0.0:69 in a rack).", valueName: "host:port"))
    var tftpAddress: String?

    @Option(name: .long, help: ArgumentHelp("Directory TFTP serves (env KILN_TFTP_ROOT; default the assets directory). Bare names such as undionly.kpxe also resolve in its ipxe/ folder.", valueName: "dir"))
    var tftpRoot: String?

    @Option(name: .long, help: ArgumentHelp("Largest TFTP block size granted, 8-65464 (env KILN_TFTP_MAX_BLKSIZE; default 1468, which avoids IP fragmentation on Ethernet).", valueName: "bytes"))
    var tftpMaxBlksize: Int?

    @Option(name: .long, help: ArgumentHelp("Kiln's URL as machines reach it, written into /netboot.iso images (env KILN_PUBLIC_URL; default http:// and the request's Host).", valueName: "url"))
    var publicURL: String?

    @OptionGroup(title: "Limits per client") var limits: ListenerLimitOptions

    @OptionGroup(title: "proxyDHCP") var dhcp: DHCPFlags

    @OptionGroup(title: "Inventory") var state: StateOptions

    @Option(name: .long, help: ArgumentHelp("on or off: record every machine that asks and its boot events in --state-path (env KILN_INVENTORY; default on).", valueName: "on|off"))
    var inventory: String?

    @Option(name: .long, help: ArgumentHelp("Boot events kept per machine; older ones are pruned (env KILN_INVENTORY_EVENTS; default 1000).", valueName: "n"))
    var inventoryEvents: Int?

    @Option(name: .long, help: ArgumentHelp("Days boot events are kept (env KILN_INVENTORY_DAYS; default 30).", valueName: "days"))
    var inventoryDays: Double?

    @OptionGroup(title: "Management API") var api: APIServeOptions

    @OptionGroup(title: "BMC control") var bmcOptions: BMCServeOptions

    @OptionGroup(title: "matchbox's gRPC API") var rpc: RPCServeOptions

    @Option(name: .long, help: ArgumentHelp("Keep the catalog and the inventory in etcd, shared by every Kiln given the same store: etcd://HOST:PORT[,HOST:PORT…]/PREFIX, or etcds:// for TLS (env KILN_STORE; default: the data directory and SQLite). See docs/scale-out.md.", valueName: "url"))
    var store: String?

    @OptionGroup(title: "etcd store") var storeConnection: StoreConnectionOptions

    @Flag(name: .long, help: "Serve every TFTP transfer from the listening port instead of one ephemeral port each (for NAT and containers; env KILN_TFTP_SINGLE_PORT=1).")
    var tftpSinglePort = false

    func run() async throws {
        let dataPath = data.resolvedDataPath
        let assetsPath = Environment.value(assetsPath, "KILN_ASSETS_PATH", default: dataPath + "/assets")
        let addressText = Environment.value(address, "KILN_ADDRESS", default: "127.0.0.1:8080")
        guard let listen = ListenAddress(addressText) else {
            throw ValidationError("address \"\(addressText)\" is not host:port (for example 127.0.0.1:8080)")
        }
        let levelText = Environment.value(logLevel?.rawValue, "KILN_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("log level \"\(levelText)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        let sink = LogSink()
        LoggingSystem.bootstrap { label in BufferedLogHandler(label: label, sink: sink, logLevel: level) }
        let flusher = Task { await sink.runFlusher() }
        defer {
            flusher.cancel()
            sink.flush()
        }
        var logger = Logger(label: "kiln")
        logger.logLevel = level
        if !FileManager.default.fileExists(atPath: assetsPath) {
            logger.warning("assets directory does not exist; /assets/ answers 404", metadata: ["assets_path": "\(assetsPath)"])
        }
        var publicURL = Environment.value(self.publicURL, "KILN_PUBLIC_URL", default: "")
        if !publicURL.isEmpty {
            do {
                publicURL = try NetbootISO.serverURL(publicURL)
            } catch {
                throw ValidationError(error.description)
            }
        }
        // Every flag is checked before anything is created on disk.
        var tftp = try tftpConfiguration(assetsPath: assetsPath)
        let tftpCaps = try limits.tftp()
        tftp?.limits.maxTransfers = tftpCaps.transfers
        tftp?.limits.maxTransfersPerClient = tftpCaps.perClient
        let httpLimits = try limits.http(openFileLimit: OpenFileLimit.raise(logger: logger))
        let metrics = KilnMetrics()
        let store = SnapshotStore<CompiledCatalog>()
        let storeText = Environment.value(self.store, "KILN_STORE", default: "")
        let etcd = storeText.isEmpty ? nil : try storeConnection.client(for: storeText, logger: logger)
        let (recorder, inventoryStore, mirror) = try inventoryRecorder(store: store, metrics: metrics, etcd: etcd, logger: logger)
        var configuration = KilnServer.Configuration(host: listen.host, port: listen.port, dataPath: dataPath, assetsPath: assetsPath,
                                                     publicURL: publicURL.isEmpty ? nil : publicURL)
        configuration.limits = httpLimits
        logger.info("http limits", metadata: [
            "header_timeout": "\(httpLimits.headerTimeout)", "idle_timeout": "\(httpLimits.idleTimeout)",
            "max_connections": "\(httpLimits.maxConnections)",
        ])
        if let recorder {
            configuration.subscriber = { record in
                if let event = InventoryEvents.from(record) { recorder.record(event) }
            }
        }
        let source: (any CatalogSource)? = etcd.map { EtcdCatalogSource(client: $0, logger: logger, cacheFolder: state.resolved(data)) }
        let server = KilnServer(configuration: configuration, logger: logger, source: source, store: store, metrics: metrics)
        var services: [any Service] = []
        if let etcd {
            logger.info("store", metadata: ["etcd": "\(etcd.address)", "replica": "\(mirror?.replica ?? "-")"])
            services.append(EtcdStoreMonitor(client: etcd, health: metrics.health, logger: logger, registry: metrics.registry,
                                             buffered: { mirror?.queued ?? 0 }))
            if let mirror { services.append(mirror) }
        }
        if let recorder { services.append(recorder) }
        var bmc: BMCController?
        if api.isOn {
            // Without --public-url, a BMC can fetch images only when Kiln listens on a named address.
            let kilnURL = publicURL.isEmpty ? (["0.0.0.0", "::", ""].contains(listen.host) ? nil : "http://\(listen.hostForURL):\(listen.port)") : publicURL
            bmc = try bmcOptions.controller(stateFolder: state.resolved(data), kilnURL: kilnURL, recorder: recorder, inventory: inventoryStore,
                                            logger: logger)
        }
        var sharedEditor: CatalogEditor?
        let editor = { () throws -> CatalogEditor in
            if let sharedEditor { return sharedEditor }
            let made = try catalogEditor(for: server, logger: logger)
            sharedEditor = made
            return made
        }
        if let apiServer = try api.server(for: server, editor: try editor(), inventory: inventoryStore, bmc: bmc, logger: logger) {
            services.append(apiServer)
        }
        if let bmc { services.append(bmc) }
        if let rpcServer = try rpc.server(for: server, editor: try editor(), logger: logger) {
            services.append(rpcServer)
        }
        if let tftp {
            services.append(TFTPServer(configuration: tftp, logger: logger, registry: server.metrics.registry,
                                       onTransfer: { transfer in recorder?.record(InventoryEvents.from(transfer)) }))
        } else {
            logger.info("tftp disabled")
        }
        if try dhcp.isOn {
            // Bound before anything serves: a taken port stops Kiln here.
            let proxy = try await dhcpServer(listen: listen, publicURL: publicURL.isEmpty ? nil : publicURL, tftp: tftp,
                                             assetsPath: assetsPath, server: server, logger: logger, recorder: recorder)
            services.append(proxy)
        }
        do {
            try await server.run(alongside: services)
        } catch {
            await etcd?.shutdown()
            throw error
        }
        await etcd?.shutdown()
    }

    /// The inventory, or nil when it is off or cannot be opened: boots never
    /// depend on it.
    private func inventoryRecorder(store: SnapshotStore<CompiledCatalog>, metrics: KilnMetrics, etcd: EtcdClient?,
                                   logger: Logger) throws -> (InventoryRecorder?, InventoryStore?, EtcdInventoryMirror?) {
        let mode = Environment.value(inventory, "KILN_INVENTORY", default: "on").lowercased()
        guard ["on", "off"].contains(mode) else { throw ValidationError("--inventory \"\(mode)\" is not on or off") }
        guard mode == "on" else {
            logger.info("inventory off")
            return (nil, nil, nil)
        }
        let events = try inventoryEvents ?? Int(Environment.value(nil, "KILN_INVENTORY_EVENTS", default: "1000")).orThrow("KILN_INVENTORY_EVENTS must be a whole number")
        let days = try inventoryDays ?? Double(Environment.value(nil, "KILN_INVENTORY_DAYS", default: "30")).orThrow("KILN_INVENTORY_DAYS must be a number")
        guard events >= 1, days > 0 else { throw ValidationError("the inventory keeps at least 1 event per machine for more than 0 days") }
        let folder = state.resolved(data)
        do {
            let inventoryStore = try InventoryStore(folder: folder, retention: Retention(eventsPerMachine: events, maximumAge: days * 86400))
            logger.info("inventory", metadata: ["state_path": "\(folder)", "events_per_machine": "\(events)", "days": "\(days)"])
            // With a shared store, each replica's file is its view; etcd carries the events between them.
            let mirror = try etcd.map { try EtcdInventoryMirror(client: $0, store: inventoryStore, stateFolder: folder, logger: logger, registry: metrics.registry) }
            var onWritten: (@Sendable ([InventoryEntry]) -> Void)?
            if let mirror { onWritten = { entries in mirror.send(entries) } }
            let recorder = InventoryRecorder(store: inventoryStore, catalog: { store.current?.catalog }, logger: logger, registry: metrics.registry,
                                             onWritten: onWritten)
            return (recorder, inventoryStore, mirror)
        } catch {
            logger.error("inventory: cannot open \(folder): \(error); serving without it")
            return (nil, nil, nil)
        }
    }

    private func dhcpServer(listen: ListenAddress, publicURL: String?, tftp: TFTPServer.Configuration?, assetsPath: String,
                            server: KilnServer, logger: Logger, recorder: InventoryRecorder?) async throws -> DHCPServer {
        let (interface, address) = try dhcp.rackInterface()
        let (dhcpPort, pxePort) = try dhcp.listenPorts()
        let httpHost = ["0.0.0.0", "::", ""].contains(listen.host) ? address.description : listen.host
        let httpBase = publicURL ?? "http://\(httpHost):\(listen.port)"
        if let tftp {
            if tftp.port != 69 {
                logger.warning("dhcp: firmware fetches its first stage from TFTP port 69, but Kiln's TFTP listens on \(tftp.host):\(tftp.port); use --tftp-address 0.0.0.0:69")
            }
        } else {
            logger.warning("dhcp: TFTP is off, so PXE firmware cannot fetch its first stage; only iPXE and UEFI HTTP Boot clients can boot")
        }
        let configuration = DHCPServer.Configuration(
            interface: interface, dhcpPort: dhcpPort, pxePort: pxePort,
            responder: .init(serverAddress: address, httpBase: httpBase, bootfiles: try dhcp.answers.parsedBootfiles(),
                             efiPolicy: try dhcp.answers.parsedPolicy(), firstStageExists: firstStageFinder(root: tftp?.root ?? assetsPath)))
        let store = server.store
        do {
            return try await DHCPServer.bind(configuration, catalog: { store.current?.catalog }, logger: logger,
                                             registry: server.metrics.registry,
                                             onDecision: { decision in InventoryEvents.from(decision).map { recorder?.record($0) } })
        } catch {
            printError("kiln serve: \(error)")
            throw ExitCode(1)
        }
    }

    private func tftpConfiguration(assetsPath: String) throws -> TFTPServer.Configuration? {
        let addressText = Environment.value(tftpAddress, "KILN_TFTP_ADDRESS", default: "127.0.0.1:6969", emptyMeansDefault: false)
        guard !addressText.isEmpty else { return nil }
        guard let listen = ListenAddress(addressText) else {
            throw ValidationError("TFTP address \"\(addressText)\" is not host:port (for example 0.0.0.0:69), or empty to turn TFTP off")
        }
        let blockSizeText = Environment.value(tftpMaxBlksize.map(String.init), "KILN_TFTP_MAX_BLKSIZE", default: "1468")
        guard let maxBlockSize = Int(blockSizeText), TFTPLimits.blockSizeRange.contains(maxBlockSize) else {
            throw ValidationError("TFTP block size \(blockSizeText) is outside 8-65464")
        }
        let singlePort = tftpSinglePort || ["1", "true", "yes"].contains(Environment.value(nil, "KILN_TFTP_SINGLE_PORT", default: "0").lowercased())
        return TFTPServer.Configuration(
            host: listen.host, port: listen.port, root: Environment.value(tftpRoot, "KILN_TFTP_ROOT", default: assetsPath),
            limits: TFTPLimits(maxBlockSize: maxBlockSize), singlePort: singlePort)
    }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw ValidationError(message) }
        return self
    }
}
