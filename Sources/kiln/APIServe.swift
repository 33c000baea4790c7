import ArgumentParser
import KilnAPI
import KilnCore
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
        let editor = CatalogEditor(source: source, reloader: server.reloader, logger: logger)
        do {
            return try APIServer(configuration: configuration, editor: editor, inventory: inventory, logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
