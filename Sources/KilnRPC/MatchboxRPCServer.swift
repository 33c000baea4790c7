import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KilnAPI
import KilnCore
import KilnRender
import Logging
import NIOSSL
import ServiceLifecycle

/// matchbox's gRPC API (`rpcpb.Groups`, `Profiles`, `Ignition`, `Generic`,
/// `Select`) on its own listener, for terraform-provider-matchbox and
/// matchbox's own clients. Always TLS 1.2 or newer with a client
/// certificate the CA signed, as matchbox requires.
public struct MatchboxRPCServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var certificatePath: String
        public var keyPath: String
        /// PEM bundle of the CA that signs client certificates.
        public var clientCAPath: String

        public init(host: String, port: Int, certificatePath: String, keyPath: String, clientCAPath: String) {
            self.host = host
            self.port = port
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
    let backend: MatchboxBackend
    let onListening: @Sendable (Int) async -> Void

    /// Reads the three PEM files now, so a mistake stops `serve` before it listens.
    public init(configuration: Configuration, editor: CatalogEditor, catalog: SnapshotStore<CompiledCatalog>, logger: Logger,
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws {
        for (flag, path) in [("--rpc-cert", configuration.certificatePath), ("--rpc-ca", configuration.clientCAPath)] {
            do {
                guard try !NIOSSLCertificate.fromPEMFile(path).isEmpty else { throw Failure("no certificate in it") }
            } catch {
                throw Failure("\(flag) \(path): not a readable PEM certificate (\(error))")
            }
        }
        do {
            _ = try NIOSSLPrivateKey(file: configuration.keyPath, format: .pem)
        } catch {
            throw Failure("--rpc-key \(configuration.keyPath): not a readable PEM private key (\(error))")
        }
        self.configuration = configuration
        backend = MatchboxBackend(editor: editor, catalog: catalog, logger: logger)
        self.onListening = onListening
    }

    var services: [any RegistrableRPCService] {
        [GroupsService(backend: backend), ProfilesService(backend: backend),
         IgnitionService(templates: TemplateStore(backend: backend, kind: .ignition)),
         GenericService(templates: TemplateStore(backend: backend, kind: .generic)), SelectService(backend: backend)]
    }

    public func run() async throws {
        let configuration = self.configuration
        let security = HTTP2ServerTransport.Posix.TransportSecurity.mTLS(
            certificateChain: [.file(path: configuration.certificatePath, format: .pem)],
            privateKey: .file(path: configuration.keyPath, format: .pem)
        ) { tls in
            // Required, from this CA only; the transport's minimum is TLS 1.2.
            tls.clientCertificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates([.file(path: configuration.clientCAPath, format: .pem)])
        }
        let address: GRPCNIOTransportCore.SocketAddress = configuration.host.contains(":")
            ? .ipv6(host: configuration.host, port: configuration.port) : .ipv4(host: configuration.host, port: configuration.port)
        let transport = HTTP2ServerTransport.Posix(address: address, transportSecurity: security, config: .defaults)
        let server = GRPCServer(transport: transport, services: services)
        let logger = backend.logger
        let onListening = self.onListening
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await withGracefulShutdownHandler {
                    try await server.serve()
                } onGracefulShutdown: {
                    server.beginGracefulShutdown()
                }
            }
            group.addTask {
                let listening = try await transport.listeningAddress
                guard let bound = listening.ipv4?.port ?? listening.ipv6?.port else { return }
                logger.info("rpc listening", metadata: ["rpc": "\(configuration.host):\(bound)", "api": "matchbox gRPC (mTLS)"])
                await onListening(bound)
            }
        }
    }
}
