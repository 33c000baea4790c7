import Foundation
import Hummingbird
import HummingbirdAuth
import HTTPTypes
import NIOCore
import NIOSSL

/// A request on the API listener: who is calling (set by the
/// authenticator) and the connection, whose TLS client certificate may be
/// the credential.
public struct APIRequestContext: AuthRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: APICredential?
    public let channel: any Channel
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        remoteAddress = source.channel.remoteAddress
    }
}

/// Every refusal the API gives, as one JSON shape:
/// `{"error": "one line", "reasons": ["path:line:column: error: …"]}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var reasons: [String]
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, reasons: [String] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.reasons = reasons
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var object: [String: Any] = ["error": message]
        if !reasons.isEmpty { object["reasons"] = reasons }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data + [UInt8(ascii: "\n")])))
    }
}

/// Finds the caller: a bearer token from the tokens file, or else a TLS
/// client certificate that the client CA signed (checked by the TLS layer
/// before any byte of the request is read).
struct APIAuthenticator: AuthenticatorMiddleware {
    typealias Context = APIRequestContext
    typealias Identity = APICredential

    let tokens: APITokenTable
    let acceptsClientCertificates: Bool

    func authenticate(request: Request, context: APIRequestContext) async throws -> APICredential? {
        if let bearer = request.headers.bearer {
            guard let credential = tokens.credential(for: bearer.token) else {
                throw APIError(.unauthorized, "the bearer token is not in the tokens file (revoked, or mistyped)",
                               headers: [.wwwAuthenticate: "Bearer realm=\"kiln\""])
            }
            return credential
        }
        guard acceptsClientCertificates, let certificate = try? await context.channel.nioSSL_peerCertificate().get() else { return nil }
        // matchbox's model: a certificate the client CA signed may read and write.
        return APICredential(name: "cert:" + Self.commonName(of: certificate), scope: .write)
    }

    /// The subject's common name, for logs. NIOSSL exposes it only through
    /// its description (`<NIOSSLCertificate;serial_number=…;common_name=…>`).
    static func commonName(of certificate: NIOSSLCertificate) -> String {
        let text = certificate.description
        guard let range = text.range(of: ";common_name=") else { return "unnamed" }
        let rest = text[range.upperBound...]
        return String(rest.prefix { $0 != ";" && $0 != ">" })
    }
}

/// Who may do what under `/api/`: the OpenAPI document is open; reading
/// needs any credential, writing a write credential. Other paths (the
/// dashboard) have their own policy.
struct APIAccessPolicy: RouterMiddleware {
    typealias Context = APIRequestContext
    static let openPaths: Set<String> = ["/api/v1/openapi.json"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.openPaths.contains(path) || !(path == "/api" || path.hasPrefix("/api/")) { return try await next(request, context) }
        guard let credential = context.identity else {
            throw APIError(.unauthorized, "the API needs a bearer token (Authorization: Bearer …) or a client certificate",
                           headers: [.wwwAuthenticate: "Bearer realm=\"kiln\""])
        }
        if ![.get, .head].contains(request.method) && !credential.mayWrite {
            throw APIError(.forbidden, "token \(credential.name) may only read")
        }
        return try await next(request, context)
    }
}

/// 405 with `Allow` for a method the API does not answer on one of its
/// paths, rather than the router's 404: the path exists.
struct APIMethodPolicy: RouterMiddleware {
    typealias Context = APIRequestContext
    /// Path patterns (`*` is one segment) and the methods each answers.
    static let table: [([String], [HTTPRequest.Method])] = [
        (["api", "v1", "openapi.json"], [.get, .head]),
        (["api", "v1", "machines"], [.get, .head]),
        (["api", "v1", "machines", "*"], [.get, .head]),
        (["api", "v1", "machines", "*", "events"], [.get, .head]),
        (["api", "v1", "machines", "*", "assign"], [.post]),
        (["api", "v1", "machines", "*", "bmc"], [.get, .head, .put, .delete]),
        (["api", "v1", "machines", "*", "bmc", "power"], [.get, .head, .post]),
        (["api", "v1", "machines", "*", "bmc", "media"], [.post, .delete]),
        (["api", "v1", "machines", "*", "bmc", "boot"], [.post]),
        (["api", "v1", "machines", "*", "bmc", "netboot"], [.post]),
        (["api", "v1", "machines", "*", "bmc", "install-iso"], [.post]),
        (["api", "v1", "machines", "*", "bmc", "facts"], [.post]),
        (["api", "v1", "groups"], [.get, .head]),
        (["api", "v1", "profiles"], [.get, .head]),
        (["api", "v1", "groups", "*"], [.get, .head, .put, .delete]),
        (["api", "v1", "profiles", "*"], [.get, .head, .put, .delete]),
        (["api", "v1", "templates", "*"], [.get, .head]),
        (["api", "v1", "templates", "*", "*"], [.get, .head, .put, .delete]),
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (pattern, methods) in Self.table where pattern.count == segments.count {
            guard zip(pattern, segments).allSatisfy({ $0 == "*" || $0 == $1 }) else { continue }
            guard methods.contains(request.method) else {
                throw APIError(.methodNotAllowed, "\(request.method) is not answered here; use \(methods.map(\.rawValue).joined(separator: ", "))",
                               headers: [.allow: methods.map(\.rawValue).joined(separator: ", ")])
            }
            break
        }
        return try await next(request, context)
    }
}
