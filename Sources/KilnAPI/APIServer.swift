import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import KilnBMC
import KilnCore
import KilnHTTP
import KilnInventory
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// The management API's own listener: plain HTTP on loopback, or HTTPS
/// with an optional client CA (mTLS). It re-reads the tokens file on SIGHUP.
public struct APIServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The tokens file; nil accepts client certificates only.
        public var tokensPath: String?
        /// PEM files for HTTPS; both or neither.
        public var certificatePath: String?
        public var keyPath: String?
        /// PEM bundle of the CA that signs client certificates (mTLS); needs HTTPS.
        public var clientCAPath: String?

        public init(host: String, port: Int, tokensPath: String? = nil, certificatePath: String? = nil, keyPath: String? = nil,
                    clientCAPath: String? = nil) {
            self.host = host
            self.port = port
            self.tokensPath = tokensPath
            self.certificatePath = certificatePath
            self.keyPath = keyPath
            self.clientCAPath = clientCAPath
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    let configuration: Configuration
    let routes: APIRoutes
    let tokens: APITokenTable
    let tls: TLSConfiguration?
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void
    let extraRoutes: @Sendable (Router<APIRequestContext>) -> Void

    /// Whether the listener speaks HTTPS (cookies are then `Secure`).
    public var isHTTPS: Bool { tls != nil }
    /// The tokens the API accepts, re-read on SIGHUP: the dashboard's logins check them.
    public var tokenTable: APITokenTable { tokens }

    /// Reads the tokens file and the TLS files now, so a mistake stops
    /// `serve` before it listens.
    public init(configuration: Configuration, editor: CatalogEditor, inventory: InventoryStore?, bmc: BMCController? = nil, logger: Logger,
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws {
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
        extraRoutes = { _ in }
        let tokens = APITokenTable()
        if let path = configuration.tokensPath {
            do {
                tokens.replace(with: try APITokenFile.load(path: path))
            } catch {
                throw Failure("\(error)")
            }
        }
        self.tokens = tokens
        tls = try Self.tlsConfiguration(configuration)
        guard configuration.tokensPath != nil || configuration.clientCAPath != nil else {
            throw Failure("the API needs --api-tokens FILE, or --api-client-ca with --api-cert and --api-key; it is never open")
        }
        routes = APIRoutes(editor: editor, inventory: inventory, tokens: tokens, acceptsClientCertificates: configuration.clientCAPath != nil,
                           bmc: bmc)
    }

    private init(_ server: APIServer, extraRoutes: @escaping @Sendable (Router<APIRequestContext>) -> Void) {
        configuration = server.configuration
        routes = server.routes
        tokens = server.tokens
        tls = server.tls
        logger = server.logger
        onListening = server.onListening
        self.extraRoutes = extraRoutes
    }

    /// The same server with more routes on its listener (the dashboard);
    /// they bring their own access policy.
    public func serving(_ extraRoutes: @escaping @Sendable (Router<APIRequestContext>) -> Void) -> APIServer {
        APIServer(self, extraRoutes: extraRoutes)
    }

    /// Every route this listener answers, for in-process tests.
    public func router() -> Router<APIRequestContext> {
        routes.makeRouter(beside: extraRoutes)
    }

    static func tlsConfiguration(_ configuration: Configuration) throws -> TLSConfiguration? {
        switch (configuration.certificatePath, configuration.keyPath) {
        case (nil, nil):
            if configuration.clientCAPath != nil { throw Failure("--api-client-ca needs HTTPS: give --api-cert and --api-key too") }
            return nil
        case (let certificate?, let key?):
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
                var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
                if let clientCA = configuration.clientCAPath {
                    tls.trustRoots = .file(clientCA)
                    // A certificate, when presented, must be the CA's; bearer tokens still work without one.
                    tls.certificateVerification = .optionalVerification
                    _ = try NIOSSLCertificate.fromPEMFile(clientCA)
                }
                return tls
            } catch {
                throw Failure("cannot read the API's TLS files: \(error)")
            }
        default:
            throw Failure("--api-cert and --api-key go together")
        }
    }

    public func run() async throws {
        let logger = self.logger
        let onListening = self.onListening
        let scheme = tls == nil ? "http" : "https"
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        let app = Application(
            router: router(),
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("api listening", metadata: ["api": "\(scheme)://\(channel.localAddress?.description ?? "?")"])
                await onListening(port)
            },
            logger: logger)
        let tokens = self.tokens
        let tokensPath = configuration.tokensPath
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                let signals = await UnixSignalsSequence(trapping: .sighup)
                for await _ in signals.cancelOnGracefulShutdown() {
                    guard let tokensPath else { continue }
                    do {
                        let file = try APITokenFile.load(path: tokensPath)
                        tokens.replace(with: file)
                        logger.notice("api: tokens re-read", metadata: ["tokens": "\(file.entries.count)"])
                    } catch {
                        logger.error("api: tokens file not re-read, the previous tokens stay: \(error)")
                    }
                }
            }
            try await app.run()
            group.cancelAll()
        }
    }
}
