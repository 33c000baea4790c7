import ArgumentParser
import KilnAPI
import KilnBMC
import KilnCore
import KilnDashboard
import KilnHTTP
import KilnInventory
import KilnISO
import KilnRPC
import Logging

/// `serve`'s management API flags.
struct APIServeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Management API listen address, host:port; off unless given (env KILN_API_ADDRESS; make run uses 127.0.0.1:8081).", valueName: "host:port"))
    var apiAddress: String?

    @Option(name: .long, help: ArgumentHelp("Tokens file (kiln token add writes it; re-read on SIGHUP) (env KILN_API_TOKENS).", valueName: "file"))
    var apiTokens: String?

    @Option(name: .long, help: ArgumentHelp("PEM certificate chain: the API speaks HTTPS (env KILN_API_CERT).", valueName: "file"))
    var apiCert: String?

    @Option(name: .long, help: ArgumentHelp("PEM private key for --api-cert (env KILN_API_KEY).", valueName: "file"))
    var apiKey: String?

    @Option(name: .long, help: ArgumentHelp("The web dashboard at /ui/ on the API's listener: on or off (default on; env KILN_DASHBOARD).", valueName: "on|off"))
    var dashboard: String?

    @Option(name: .long, help: ArgumentHelp("PEM CA bundle: client certificates it signed may read and write (mTLS; needs --api-cert) (env KILN_API_CLIENT_CA).", valueName: "file"))
    var apiClientCa: String?

    /// The API's listener, or nil when no address is given. Every file is
    /// read now, so a mistake stops `serve` before anything listens.
    var isOn: Bool { !Environment.value(apiAddress, "KILN_API_ADDRESS", default: "").isEmpty }

    func server(for server: KilnServer, editor: @autoclosure () throws -> CatalogEditor, inventory: InventoryStore?, bmc: BMCController?,
                logger: Logger) throws -> APIServer? {
        let addressText = Environment.value(apiAddress, "KILN_API_ADDRESS", default: "")
        guard !addressText.isEmpty else { return nil }
        guard let listen = ListenAddress(addressText) else {
            throw ValidationError("API address \"\(addressText)\" is not host:port (for example 127.0.0.1:8081)")
        }
        let editor = try editor()
        func optional(_ flag: String?, _ variable: String) -> String? {
            let value = Environment.value(flag, variable, default: "")
            return value.isEmpty ? nil : value
        }
        let configuration = APIServer.Configuration(
            host: listen.host, port: listen.port, tokensPath: optional(apiTokens, "KILN_API_TOKENS"),
            certificatePath: optional(apiCert, "KILN_API_CERT"), keyPath: optional(apiKey, "KILN_API_KEY"),
            clientCAPath: optional(apiClientCa, "KILN_API_CLIENT_CA"))
        let dashboardMode = Environment.value(dashboard, "KILN_DASHBOARD", default: "on").lowercased()
        guard ["on", "off"].contains(dashboardMode) else { throw ValidationError("--dashboard \"\(dashboardMode)\" is not on or off") }
        let apiServer: APIServer
        do {
            apiServer = try APIServer(configuration: configuration, editor: editor, inventory: inventory, bmc: bmc, logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        guard dashboardMode == "on" else { return apiServer }
        let dashboard = Dashboard(configuration: .init(secureCookies: apiServer.isHTTPS), editor: editor, inventory: inventory,
                                  catalog: server.store, lastLoad: server.reloader.lastLoad, tokens: apiServer.tokenTable, bmc: bmc, logger: logger)
        logger.info("dashboard on", metadata: ["path": "/ui/"])
        return apiServer.serving { router in dashboard.addRoutes(to: router) }
    }
}

/// `serve`'s BMC flags. BMC control lives on the management API: without
/// `--api-address` there is no way to add a BMC, so none is started.
struct BMCServeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("on or off: Redfish BMC control through the API, the CLI and the dashboard, records in <state-path>/bmcs.json (env KILN_BMC; default on when the API is on). See docs/bmc.md.", valueName: "on|off"))
    var bmc: String?

    @Option(name: .long, help: ArgumentHelp("Minutes an install-iso image stays mounted when the machine never reaches config (env KILN_BMC_EJECT_AFTER; default 30).", valueName: "minutes"))
    var bmcEjectAfter: Double?

    @Option(name: .long, help: ArgumentHelp("Kiln's URL as BMCs reach it, where install-iso's images are fetched from, when BMCs sit on a management network that reaches Kiln at another address than machines do (env KILN_BMC_IMAGE_BASE; default --public-url).", valueName: "url"))
    var bmcImageBase: String?

    @Option(name: .long, help: ArgumentHelp("Seconds power off waits for a graceful shutdown before it forces the power off (env KILN_BMC_SHUTDOWN_GRACE; default 60).", valueName: "seconds"))
    var bmcShutdownGrace: Double?

    @Option(name: .long, help: ArgumentHelp("BMC actions in flight at once across all BMCs; each BMC takes one at a time (env KILN_BMC_MAX_ACTIONS; default 16).", valueName: "n"))
    var bmcMaxActions: Int?

    /// The controller, or nil when BMC control is off. A damaged records
    /// file stops `serve`: starting without it would lose the credentials.
    func controller(stateFolder: String, kilnURL: String?, recorder: InventoryRecorder?, inventory: InventoryStore?,
                    logger: Logger) throws -> BMCController? {
        let mode = Environment.value(bmc, "KILN_BMC", default: "on").lowercased()
        guard ["on", "off"].contains(mode) else { throw ValidationError("--bmc \"\(mode)\" is not on or off") }
        guard mode == "on" else { return nil }
        var settings = BMCController.Settings()
        let minutes = try bmcEjectAfter ?? Double(Environment.value(nil, "KILN_BMC_EJECT_AFTER", default: "30")).orThrow("KILN_BMC_EJECT_AFTER must be a number of minutes")
        guard minutes > 0, minutes <= 7 * 24 * 60 else { throw ValidationError("--bmc-eject-after must be more than 0 and at most 10080 minutes") }
        settings.ejectAfter = .seconds(minutes * 60)
        let grace = try bmcShutdownGrace ?? Double(Environment.value(nil, "KILN_BMC_SHUTDOWN_GRACE", default: "60")).orThrow("KILN_BMC_SHUTDOWN_GRACE must be a number of seconds")
        guard grace >= 0, grace <= 3600 else { throw ValidationError("--bmc-shutdown-grace must be from 0 to 3600 seconds") }
        settings.shutdownGrace = .seconds(grace)
        let maxActions = try bmcMaxActions ?? Int(Environment.value(nil, "KILN_BMC_MAX_ACTIONS", default: "16")).orThrow("KILN_BMC_MAX_ACTIONS must be a whole number")
        guard (1...1024).contains(maxActions) else { throw ValidationError("--bmc-max-actions must be from 1 to 1024") }
        settings.maxActions = maxActions
        let imageBase = Environment.value(bmcImageBase, "KILN_BMC_IMAGE_BASE", default: "")
        if imageBase.isEmpty {
            settings.kilnURL = kilnURL
        } else {
            do {
                settings.kilnURL = try NetbootISO.serverURL(imageBase)
            } catch {
                throw ValidationError("--bmc-image-base: \(error.description)")
            }
        }
        let registry: BMCRegistry
        do {
            registry = try BMCRegistry(folder: stateFolder) { logger.warning("bmc: \($0)") }
        } catch {
            throw ValidationError("\(error)")
        }
        logger.info("bmc control on", metadata: ["bmcs": "\(registry.all.count)", "records": "\(registry.path)",
                                                 "images_from": "\(settings.kilnURL ?? "- (install-iso needs --public-url)")"])
        return BMCController(registry: registry, settings: settings, logger: logger,
                             recordEvent: { event in recorder?.record(event) },
                             reachedConfig: { mac, since in
                                 guard let inventory else { return false }
                                 let events = (try? await NIOThreadPoolRunner.run { try inventory.events(for: mac, limit: 500) }) ?? []
                                 return events.contains { event, stage, _ in event.kind != .bmc && stage == .config && event.time >= since }
                             })
    }
}

/// The write path the REST API, the dashboard and the gRPC API share: one
/// editor, so their writes take turns.
func catalogEditor(for server: KilnServer, logger: Logger) throws -> CatalogEditor {
    guard let source = server.reloader.source as? any WritableCatalogSource else {
        throw ValidationError("the catalog source \(server.reloader.source.origin) cannot be written through the API")
    }
    return CatalogEditor(source: source, reloader: server.reloader, logger: logger)
}

/// `serve`'s flags for matchbox's gRPC API (matchbox's -rpc-address,
/// -cert-file, -key-file and -ca-file).
struct RPCServeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("matchbox's gRPC API (for terraform-provider-matchbox), host:port; off unless given; needs --rpc-cert, --rpc-key and --rpc-ca (env KILN_RPC_ADDRESS). See docs/grpc.md.", valueName: "host:port"))
    var rpcAddress: String?

    @Option(name: .long, help: ArgumentHelp("PEM certificate chain the gRPC listener presents (env KILN_RPC_CERT).", valueName: "file"))
    var rpcCert: String?

    @Option(name: .long, help: ArgumentHelp("PEM private key for --rpc-cert (env KILN_RPC_KEY).", valueName: "file"))
    var rpcKey: String?

    @Option(name: .long, help: ArgumentHelp("PEM CA bundle: every gRPC client must present a certificate it signed (env KILN_RPC_CA).", valueName: "file"))
    var rpcCa: String?

    /// The listener, or nil without --rpc-address. Without all three TLS
    /// files it refuses: matchbox's API is never open.
    func server(for server: KilnServer, editor: @autoclosure () throws -> CatalogEditor, logger: Logger) throws -> MatchboxRPCServer? {
        let addressText = Environment.value(rpcAddress, "KILN_RPC_ADDRESS", default: "")
        guard !addressText.isEmpty else { return nil }
        guard let listen = ListenAddress(addressText) else {
            throw ValidationError("RPC address \"\(addressText)\" is not host:port (for example 0.0.0.0:8081)")
        }
        let certificate = Environment.value(rpcCert, "KILN_RPC_CERT", default: "")
        let key = Environment.value(rpcKey, "KILN_RPC_KEY", default: "")
        let ca = Environment.value(rpcCa, "KILN_RPC_CA", default: "")
        let missing = [("--rpc-cert", certificate), ("--rpc-key", key), ("--rpc-ca", ca)].filter { $0.1.isEmpty }.map(\.0)
        guard missing.isEmpty else {
            throw ValidationError("--rpc-address needs \(missing.joined(separator: ", ")): matchbox's gRPC API takes only clients with a certificate the CA signed, over TLS")
        }
        do {
            return try MatchboxRPCServer(configuration: .init(host: listen.host, port: listen.port, certificatePath: certificate, keyPath: key,
                                                              clientCAPath: ca),
                                         editor: try editor(), catalog: server.store, logger: logger)
        } catch let failure as MatchboxRPCServer.Failure {
            throw ValidationError(failure.description)
        }
    }
}
