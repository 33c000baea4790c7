import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// etcd's v3 API through its JSON gateway (`/v3/…` on every client URL),
/// over async-http-client. The gateway needs no generated code and takes
/// seconds to build, where grpc-swift-2 with protobuf stubs would add
/// minutes to every clean build for the same five calls; its watch is a
/// chunked response of JSON messages, which async-http-client streams.
///
/// Requests go to one endpoint at a time; a connection failure or a
/// timeout moves to the next and retries, so a member that dies costs one
/// retry, not an outage. Every unary call has a deadline.
public final class EtcdClient: Sendable {
    public struct Credentials: Sendable {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public struct TLSFiles: Sendable {
        /// The CA that signed the members' certificates; nil trusts the system's.
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?

        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    public let address: EtcdAddress
    public let requestTimeout: TimeAmount
    let credentials: Credentials?
    private let http: HTTPClient
    private let watchHTTP: HTTPClient
    private let state = Mutex((endpoint: 0, token: String?.none))
    private let logger: Logger

    /// The largest answer read (a range of a large catalog); etcd's own
    /// default request limit is 1.5 MiB a value, so this is ample.
    static let maxResponseBytes = 256 << 20

    public init(address: EtcdAddress, tls: TLSFiles = TLSFiles(), credentials: Credentials? = nil,
                requestTimeout: TimeAmount = .seconds(3), logger: Logger = Logger(label: "kiln.etcd")) throws {
        self.address = address
        self.requestTimeout = requestTimeout
        self.credentials = credentials
        self.logger = logger
        var tlsConfiguration: TLSConfiguration?
        if address.tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            if let ca = tls.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            }
            if let certificate = tls.certificateFile, let key = tls.keyFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            tlsConfiguration = configuration
        }
        var unary = HTTPClient.Configuration(tlsConfiguration: tlsConfiguration,
                                             timeout: .init(connect: .seconds(1), read: requestTimeout))
        unary.connectionPool = .init(idleTimeout: .seconds(30))
        unary.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: unary)
        // A watch is quiet for as long as nothing changes: no read timeout.
        var streaming = HTTPClient.Configuration(tlsConfiguration: tlsConfiguration, timeout: .init(connect: .seconds(1)))
        streaming.httpVersion = .http1Only
        watchHTTP = HTTPClient(eventLoopGroupProvider: .singleton, configuration: streaming)
    }

    public func shutdown() async {
        try? await http.shutdown()
        try? await watchHTTP.shutdown()
    }

    // MARK: Key-value

    /// Keys in `[key, rangeEnd)` (or just `key`), at `revision` (0: now).
    public func range(_ key: [UInt8], rangeEnd: [UInt8]? = nil, revision: Int64 = 0, limit: Int = 0,
                      keysOnly: Bool = false, countOnly: Bool = false, minModRevision: Int64 = 0) async throws -> EtcdRange {
        var body: [String: Any] = ["key": Self.base64(key)]
        if let rangeEnd { body["range_end"] = Self.base64(rangeEnd) }
        if revision > 0 { body["revision"] = String(revision) }
        if limit > 0 { body["limit"] = String(limit) }
        if keysOnly { body["keys_only"] = true }
        if countOnly { body["count_only"] = true }
        if minModRevision > 0 { body["min_mod_revision"] = String(minModRevision) }
        let answer = try await call("/v3/kv/range", body)
        return EtcdRange(revision: Self.revision(answer), kvs: try Self.kvs(answer["kvs"]),
                         more: answer["more"] as? Bool ?? false, count: Self.int(answer["count"]))
    }

    /// Every key with `prefix`, read in pages at one revision so the
    /// result is one consistent moment however large it is.
    public func rangeAll(prefix: [UInt8], pageSize: Int = 1000, keysOnly: Bool = false, minModRevision: Int64 = 0) async throws -> EtcdRange {
        let end = prefix.prefixRangeEnd
        var first = try await range(prefix, rangeEnd: end, limit: pageSize, keysOnly: keysOnly, minModRevision: minModRevision)
        var pages = 1
        while first.more, let last = first.kvs.last {
            pages += 1
            guard pages <= 100_000 else { throw EtcdError(.malformed, "range of \(String(decoding: prefix, as: UTF8.self)) did not end") }
            let next = try await range(last.key + [0], rangeEnd: end, revision: first.revision, limit: pageSize, keysOnly: keysOnly,
                                       minModRevision: minModRevision)
            first.kvs += next.kvs
            first.more = next.more
        }
        first.count = Int64(first.kvs.count)
        return first
    }

    @discardableResult
    public func put(_ key: [UInt8], _ value: [UInt8], lease: Int64 = 0) async throws -> Int64 {
        var body: [String: Any] = ["key": Self.base64(key), "value": Self.base64(value)]
        if lease != 0 { body["lease"] = String(lease) }
        return Self.revision(try await call("/v3/kv/put", body))
    }

    @discardableResult
    public func delete(_ key: [UInt8], rangeEnd: [UInt8]? = nil) async throws -> Int64 {
        var body: [String: Any] = ["key": Self.base64(key)]
        if let rangeEnd { body["range_end"] = Self.base64(rangeEnd) }
        return Self.revision(try await call("/v3/kv/deleterange", body))
    }

    /// All of `success` if every comparison holds, else all of `failure`,
    /// atomically. etcd allows 128 operations per transaction by default.
    public func transaction(_ compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = []) async throws -> EtcdTransactionResult {
        let body: [String: Any] = [
            "compare": compare.map(Self.json), "success": success.map(Self.json), "failure": failure.map(Self.json),
        ]
        let answer = try await call("/v3/kv/txn", body)
        return EtcdTransactionResult(succeeded: answer["succeeded"] as? Bool ?? false, revision: Self.revision(answer))
    }

    /// Discards the history before `revision` (keys deleted before it are gone for good).
    public func compact(_ revision: Int64) async throws {
        _ = try await call("/v3/kv/compaction", ["revision": String(revision)])
    }

    // MARK: Cluster

    /// Every endpoint's own status; an endpoint that does not answer is
    /// reported with its error.
    public func statuses() async -> [EtcdStatus] {
        var result: [EtcdStatus] = []
        for (index, endpoint) in address.endpoints.enumerated() {
            do {
                let answer = try await call("/v3/maintenance/status", [:], endpointIndex: index)
                let header = answer["header"] as? [String: Any] ?? [:]
                result.append(EtcdStatus(endpoint: endpoint.description, version: answer["version"] as? String ?? "?",
                                         dbSize: Self.int(answer["dbSize"]), memberID: Self.text(header["member_id"]),
                                         leader: Self.text(answer["leader"]), raftTerm: Self.int(answer["raftTerm"]),
                                         revision: Self.int(header["revision"]), errors: answer["errors"] as? [String] ?? []))
            } catch {
                result.append(EtcdStatus(endpoint: endpoint.description, version: "", dbSize: 0, memberID: "", leader: "",
                                         raftTerm: 0, revision: 0, errors: ["\(error)"]))
            }
        }
        return result
    }

    public func members() async throws -> [EtcdMember] {
        let answer = try await call("/v3/cluster/member/list", [:])
        return (answer["members"] as? [[String: Any]] ?? []).map { member in
            EtcdMember(id: Self.text(member["ID"]), name: member["name"] as? String ?? "",
                       peerURLs: member["peerURLs"] as? [String] ?? [], clientURLs: member["clientURLs"] as? [String] ?? [])
        }
    }

    // MARK: Watch

    /// The changes to every key with `prefix` from `startRevision` on, until
    /// the caller stops iterating or the stream breaks (a thrown error: the
    /// member went away, or `compacted` when the revision is gone).
    public func watch(prefix: [UInt8], from startRevision: Int64) -> AsyncThrowingStream<EtcdWatchBatch, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: EtcdWatchBatch.self, bufferingPolicy: .unbounded)
        let task = Task { [self] in
            do {
                try await runWatch(prefix: prefix, from: startRevision, continuation: continuation)
                continuation.finish(throwing: EtcdError(.unavailable, "etcd ended the watch"))
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runWatch(prefix: [UInt8], from startRevision: Int64, continuation: AsyncThrowingStream<EtcdWatchBatch, any Error>.Continuation) async throws {
        let body: [String: Any] = ["create_request": [
            "key": Self.base64(prefix), "range_end": Self.base64(prefix.prefixRangeEnd), "start_revision": String(startRevision),
        ]]
        let index = state.withLock { $0.endpoint }
        let request = try await makeRequest("/v3/watch", body, endpointIndex: index)
        let response: HTTPClientResponse
        do {
            response = try await watchHTTP.execute(request, timeout: requestTimeout)
        } catch {
            advance(from: index)
            throw EtcdError(.unavailable, "etcd \(address.endpoints[index]) watch: \(error)")
        }
        guard response.status == .ok else {
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            throw Self.failure(status: response.status, text: text, endpoint: address.endpoints[index])
        }
        var pending: [UInt8] = []
        for try await chunk in response.body {
            pending += chunk.readableBytesView
            guard pending.count < Self.maxResponseBytes else { throw EtcdError(.malformed, "watch message larger than \(Self.maxResponseBytes) bytes") }
            // The gateway writes one JSON object per message, each ending in a newline.
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x0d }) else { continue }
                if let batch = try Self.watchMessage(line) { continuation.yield(batch) }
            }
        }
    }

    public static func watchMessage(_ line: [UInt8]) throws -> EtcdWatchBatch? {
        guard let message = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw EtcdError(.malformed, "watch message is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        if let error = message["error"] as? [String: Any] {
            throw EtcdError(.unavailable, "watch ended: \(error["message"] as? String ?? "\(error)")")
        }
        guard let result = message["result"] as? [String: Any] else { return nil }
        let compacted = int(result["compact_revision"])
        if compacted > 0 { throw EtcdError(.compacted(compacted), "watch start revision was compacted (now \(compacted))") }
        if result["canceled"] as? Bool == true {
            throw EtcdError(.unavailable, "etcd canceled the watch: \(result["cancel_reason"] as? String ?? "no reason given")")
        }
        let header = result["header"] as? [String: Any] ?? [:]
        var events: [EtcdWatchBatch.Event] = []
        for event in result["events"] as? [[String: Any]] ?? [] {
            // PUT is the enum's zero value, which the gateway leaves out.
            let kind: EtcdWatchBatch.Kind = (event["type"] as? String) == "DELETE" ? .delete : .put
            guard let kv = try Self.kvs([event["kv"] as Any]).first else { continue }
            events.append(.init(kind: kind, kv: kv))
        }
        if result["created"] as? Bool == true && events.isEmpty { return nil }
        return EtcdWatchBatch(revision: int(header["revision"]), events: events)
    }

    // MARK: Transport

    private func makeRequest(_ path: String, _ body: [String: Any], endpointIndex: Int, authenticated: Bool = true) async throws -> HTTPClientRequest {
        let endpoint = address.endpoints[endpointIndex]
        var request = HTTPClientRequest(url: (address.tls ? "https://" : "http://") + endpoint.description + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if authenticated, let token = try await token(endpointIndex: endpointIndex) {
            request.headers.add(name: "Authorization", value: token)
        }
        let data = try JSONSerialization.data(withJSONObject: body)
        request.body = .bytes(ByteBuffer(bytes: data))
        return request
    }

    private func token(endpointIndex: Int) async throws -> String? {
        guard let credentials else { return nil }
        if let token = state.withLock({ $0.token }) { return token }
        let answer = try await send("/v3/auth/authenticate", ["name": credentials.username, "password": credentials.password],
                                    endpointIndex: endpointIndex, authenticated: false)
        guard let token = answer["token"] as? String, !token.isEmpty else {
            throw EtcdError(.refused, "etcd gave no token for user \(credentials.username)")
        }
        state.withLock { $0.token = token }
        return token
    }

    private func advance(from index: Int) {
        state.withLock { state in
            if state.endpoint == index { state.endpoint = (index + 1) % address.endpoints.count }
        }
    }

    /// One call, tried on each endpoint in turn while they fail to answer
    /// or have no leader; other refusals are final.
    func call(_ path: String, _ body: [String: Any], endpointIndex: Int? = nil) async throws -> [String: Any] {
        let attempts = endpointIndex == nil ? max(2, address.endpoints.count * 2) : 1
        var lastError: (any Error)?
        for attempt in 0..<attempts {
            let index = endpointIndex ?? state.withLock { $0.endpoint }
            do {
                return try await send(path, body, endpointIndex: index, authenticated: true)
            } catch let error as EtcdError where error.kind == .unavailable {
                lastError = error
                advance(from: index)
                // An election takes about a second: the second round waits for it.
                if attempt + 1 >= address.endpoints.count { try await Task.sleep(for: .milliseconds(250)) }
            } catch let error as EtcdError where error.kind == .refused && error.message.contains("invalid auth token") {
                state.withLock { $0.token = nil }
                lastError = error
            }
        }
        throw lastError ?? EtcdError(.unavailable, "etcd did not answer")
    }

    private func send(_ path: String, _ body: [String: Any], endpointIndex: Int, authenticated: Bool) async throws -> [String: Any] {
        let endpoint = address.endpoints[endpointIndex]
        let request = try await makeRequest(path, body, endpointIndex: endpointIndex, authenticated: authenticated)
        let text: String
        let status: HTTPResponseStatus
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            status = response.status
            text = String(buffer: try await response.body.collect(upTo: Self.maxResponseBytes))
        } catch {
            throw EtcdError(.unavailable, "etcd \(endpoint): \(error)")
        }
        guard status == .ok else { throw Self.failure(status: status, text: text, endpoint: endpoint) }
        guard let answer = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw EtcdError(.malformed, "etcd \(endpoint) \(path): answer is not a JSON object: \(text.prefix(200))")
        }
        return answer
    }

    static func failure(status: HTTPResponseStatus, text: String, endpoint: EtcdAddress.Endpoint) -> EtcdError {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        let message = (object?["message"] as? String) ?? (object?["error"] as? String) ?? String(text.prefix(200))
        let code = object?["code"] as? Int ?? 0
        if message.contains("compacted") { return EtcdError(.compacted(0), "etcd \(endpoint): \(message)") }
        // gRPC codes 14 (unavailable) and 4 (deadline), or a member with no leader, are worth another member.
        if code == 14 || code == 4 || message.contains("no leader") || message.contains("leader changed")
            || message.contains("timed out") || message.contains("deadline exceeded") || status == .serviceUnavailable || status == .badGateway {
            return EtcdError(.unavailable, "etcd \(endpoint): \(message)")
        }
        return EtcdError(.refused, "etcd \(endpoint): \(message)")
    }

    // MARK: JSON

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func bytes(_ value: Any?) -> [UInt8] {
        guard let text = value as? String, let data = Data(base64Encoded: text) else { return [] }
        return [UInt8](data)
    }

    /// int64 fields come back as JSON strings, and are left out when zero.
    static func int(_ value: Any?) -> Int64 {
        if let text = value as? String { return Int64(text) ?? 0 }
        if let number = value as? NSNumber { return number.int64Value }
        return 0
    }

    /// uint64 identifiers (member ids), kept as text.
    static func text(_ value: Any?) -> String {
        if let text = value as? String { return text }
        if let number = value as? NSNumber { return number.stringValue }
        return ""
    }

    static func revision(_ answer: [String: Any]) -> Int64 {
        int((answer["header"] as? [String: Any])?["revision"])
    }

    static func kvs(_ value: Any?) throws -> [EtcdKeyValue] {
        guard let list = value as? [Any] else { return [] }
        return try list.map { item in
            guard let kv = item as? [String: Any] else { throw EtcdError(.malformed, "a key-value is not an object") }
            return EtcdKeyValue(key: bytes(kv["key"]), value: bytes(kv["value"]), createRevision: int(kv["create_revision"]),
                                modRevision: int(kv["mod_revision"]), version: int(kv["version"]), lease: int(kv["lease"]))
        }
    }

    static func json(_ compare: EtcdCompare) -> [String: Any] {
        var object: [String: Any] = ["key": base64(compare.key), "result": compare.result.rawValue]
        if let rangeEnd = compare.rangeEnd { object["range_end"] = base64(rangeEnd) }
        switch compare.target {
        case .modRevision(let revision):
            object["target"] = "MOD"
            object["mod_revision"] = String(revision)
        case .createRevision(let revision):
            object["target"] = "CREATE"
            object["create_revision"] = String(revision)
        case .version(let version):
            object["target"] = "VERSION"
            object["version"] = String(version)
        case .value(let value):
            object["target"] = "VALUE"
            object["value"] = base64(value)
        }
        return object
    }

    static func json(_ operation: EtcdOperation) -> [String: Any] {
        switch operation {
        case .put(let key, let value, let lease):
            var put: [String: Any] = ["key": base64(key), "value": base64(value)]
            if lease != 0 { put["lease"] = String(lease) }
            return ["request_put": put]
        case .delete(let key, let rangeEnd):
            var delete: [String: Any] = ["key": base64(key)]
            if let rangeEnd { delete["range_end"] = base64(rangeEnd) }
            return ["request_delete_range": delete]
        case .range(let key, let rangeEnd):
            var range: [String: Any] = ["key": base64(key)]
            if let rangeEnd { range["range_end"] = base64(rangeEnd) }
            return ["request_range": range]
        }
    }
}

extension EtcdClient {
    /// Runs an async etcd call from synchronous code on a thread that may
    /// block (a catalog snapshot on the thread pool), never on an event loop.
    public static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }
}
