import ArgumentParser
import KilnAPI
import KilnCore
import KilnDashboard
import KilnHTTP
import KilnInventory
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
    func server(for server: KilnServer, inventory: InventoryStore?, logger: Logger) throws -> APIServer? {
        let addressText = Environment.value(apiAddress, "KILN_API_ADDRESS", default: "")
        guard !addressText.isEmpty else { return nil }
        guard let listen = ListenAddress(addressText) else {
            throw ValidationError("API address \"\(addressText)\" is not host:port (for example 127.0.0.1:8081)")
        }
        guard let source = server.reloader.source as? any WritableCatalogSource else {
            throw ValidationError("the catalog source \(server.reloader.source.origin) cannot be written through the API")
        }
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
        let editor = CatalogEditor(source: source, reloader: server.reloader, logger: logger)
        let apiServer: APIServer
        do {
            apiServer = try APIServer(configuration: configuration, editor: editor, inventory: inventory, logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        guard dashboardMode == "on" else { return apiServer }
        let dashboard = Dashboard(configuration: .init(secureCookies: apiServer.isHTTPS), editor: editor, inventory: inventory,
                                  catalog: server.store, lastLoad: server.reloader.lastLoad, tokens: apiServer.tokenTable, logger: logger)
        logger.info("dashboard on", metadata: ["path": "/ui/"])
        return apiServer.serving { router in dashboard.addRoutes(to: router) }
    }
}
