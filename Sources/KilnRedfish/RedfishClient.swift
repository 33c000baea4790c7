import AsyncHTTPClient
import Foundation
import KilnCore
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Redfish over HTTP(S) to one BMC: basic authentication, or a session when
/// the BMC refuses basic; a deadline on every request; reads retried a
/// bounded number of times; redirects refused; task monitors followed.
/// `close()` ends the session (BMCs allow only a few) and the connection pool.
public final class RedfishClient: Sendable {
    public struct Timing: Sendable {
        /// One request, from sending to the last byte of the answer.
        public var request: Duration = .seconds(15)
        /// Extra attempts for a read that failed in transport or with a 5xx.
        public var readRetries = 2
        /// Between polls of a state the BMC takes time to reach.
        public var pollInterval: Duration = .seconds(1)
        /// The longest a task monitor is followed.
        public var taskWait: Duration = .seconds(120)

        public init() {}
    }

    public let endpoint: RedfishEndpoint
    let origin: String
    let timing: Timing
    private let http: HTTPClient
    private let session = Mutex<Session?>(nil)
    private static let maxAnswerBytes = 4 << 20

    struct Session: Sendable {
        var token: String
        var location: String?
    }

    public init(endpoint: RedfishEndpoint, timing: Timing = Timing()) throws(RedfishError) {
        self.endpoint = endpoint
        self.timing = timing
        origin = try endpoint.origin()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch endpoint.trust {
        case .system: break
        case .caFile(let path): tls.trustRoots = .file(path)
        case .caPEM(let pem):
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
            } catch {
                throw .badEndpoint("the BMC's CA certificate is not PEM: \(error)")
            }
        case .insecure: tls.certificateVerification = .none
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(3), read: .seconds(Int64(timing.request.components.seconds))))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Ends the session, if one was made, and shuts the client down.
    public func close() async {
        if let current = session.withLock({ $0 }), let location = current.location {
            _ = try? await send(.DELETE, location, body: nil, retry: false)
        }
        try? await http.shutdown()
    }

    // MARK: requests

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var bytes: [UInt8]
        var url: String

        func json() throws(RedfishError) -> [String: JSONValue] {
            let document: JSONReader.Document
            do {
                document = try JSONReader.parse(bytes, positionDepth: 0)
            } catch {
                throw .malformedJSON(url: url, reason: error.description)
            }
            guard let object = document.value.objectValue else { throw .malformedJSON(url: url, reason: "expected an object") }
            return object
        }
    }

    /// GET a resource as a JSON object.
    func get(_ path: String) async throws(RedfishError) -> [String: JSONValue] {
        let answer = try await send(.GET, path, body: nil, retry: true)
        try check(answer)
        return try answer.json()
    }

    /// POST or PATCH `body`; follows a task monitor when the BMC answers 202.
    @discardableResult
    func write(_ method: HTTPMethod, _ path: String, _ body: [String: Any]) async throws(RedfishError) -> Answer {
        let data: [UInt8]
        do {
            data = Array(try JSONSerialization.data(withJSONObject: body))
        } catch {
            throw .badEndpoint("could not encode a request: \(error)")
        }
        var answer = try await send(method, path, body: data, retry: false)
        try check(answer)
        if answer.status == 202, let monitor = answer.headers.first(name: "Location") {
            answer = try await followTask(monitor)
        }
        return answer
    }

    private func followTask(_ monitor: String) async throws(RedfishError) -> Answer {
        let deadline = ContinuousClock.now + timing.taskWait
        while ContinuousClock.now < deadline {
            let answer = try await send(.GET, monitor, body: nil, retry: true)
            if answer.status != 202 {
                try check(answer)
                return answer
            }
            try? await Task.sleep(for: timing.pollInterval)
        }
        throw .waitExpired("the BMC's task \(monitor) did not finish within \(timing.taskWait)")
    }

    private func check(_ answer: Answer) throws(RedfishError) {
        switch answer.status {
        case 200..<300: return
        case 300..<400: throw .redirected(url: answer.url, location: answer.headers.first(name: "Location") ?? "(no Location)")
        case 401: throw .unauthorized(url: answer.url)
        default: throw .status(url: answer.url, code: answer.status, message: Self.message(in: answer.bytes))
        }
    }

    /// The message of a Redfish error body, if the answer is one.
    static func message(in bytes: [UInt8]) -> String {
        guard let object = try? JSONReader.parse(bytes, positionDepth: 0).value.objectValue,
              let error = object["error"]?.objectValue else {
            return String(decoding: bytes.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if case .array(let infos)? = error["@Message.ExtendedInfo"], let first = infos.first?.objectValue?["Message"]?.stringValue {
            return first
        }
        return error["message"]?.stringValue ?? ""
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?, retry: Bool) async throws(RedfishError) -> Answer {
        let url = path.hasPrefix("/") ? origin + path : path
        guard url.hasPrefix(origin + "/") else {
            // A link to another host is a redirect by other means.
            throw .redirected(url: path, location: url)
        }
        var attempt = 0
        while true {
            do {
                var answer = try await once(method, url, body: body)
                if answer.status == 401, session.withLock({ $0 == nil }), path != Self.sessionsPath {
                    try await openSession()
                    answer = try await once(method, url, body: body)
                }
                if retry, answer.status >= 500, attempt < timing.readRetries {
                    attempt += 1
                    try? await Task.sleep(for: .milliseconds(500 * attempt))
                    continue
                }
                return answer
            } catch let error where retry && attempt < timing.readRetries && error.isTransport {
                attempt += 1
                try? await Task.sleep(for: .milliseconds(500 * attempt))
            }
        }
    }

    /// One request; `authenticated: false` sends no credentials in headers (a session's creation).
    private func once(_ method: HTTPMethod, _ url: String, body: [UInt8]?, authenticated: Bool = true) async throws(RedfishError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "OData-Version", value: "4.0")
        if authenticated, let token = session.withLock({ $0?.token }) {
            request.headers.add(name: "X-Auth-Token", value: token)
        } else if authenticated {
            let credentials = Data("\(endpoint.username):\(endpoint.password)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let seconds = Int(timing.request.components.seconds)
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(seconds)))
            let collected = try await response.body.collect(upTo: Self.maxAnswerBytes)
            return Answer(status: Int(response.status.code), headers: response.headers, bytes: Array(buffer: collected), url: url)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw .timedOut(url: url, seconds: seconds)
        } catch let error as NIOTooManyBytesError {
            throw .malformedJSON(url: url, reason: "the answer is larger than \(Self.maxAnswerBytes) bytes (\(error))")
        } catch {
            throw .unreachable(url: url, reason: "\(error)")
        }
    }

    static let sessionsPath = "/redfish/v1/SessionService/Sessions"

    /// A session for BMCs that refuse basic authentication.
    private func openSession() async throws(RedfishError) {
        let body: [String: Any] = ["UserName": endpoint.username, "Password": endpoint.password]
        guard let data = try? JSONSerialization.data(withJSONObject: body) else { return }
        let answer = try await once(.POST, origin + Self.sessionsPath, body: Array(data), authenticated: false)
        guard (200..<300).contains(answer.status), let token = answer.headers.first(name: "X-Auth-Token") else {
            throw .unauthorized(url: answer.url)
        }
        let location = answer.headers.first(name: "Location").map { $0.hasPrefix("http") ? String($0.dropFirst(origin.count)) : $0 }
        session.withLock { $0 = Session(token: token, location: location) }
    }
}

extension RedfishError {
    var isTransport: Bool {
        switch self {
        case .unreachable, .timedOut: true
        default: false
        }
    }
}
