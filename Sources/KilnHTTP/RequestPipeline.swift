import Synchronization
import HTTPTypes
import Hummingbird
import KilnCore
import KilnRender
import NIOCore

/// A request whose labels matched a group and profile, with the catalog
/// snapshot it was matched against: what every machine endpoint is given.
struct MatchedRequest: Sendable {
    let request: Request
    let labels: Labels
    let match: Match
    /// The compiled catalog taken once for this request: a reload swapping
    /// in a new one never shows the request half a change.
    let renderer: Renderer
    let client: SocketAddress?
    /// Query parameters the route set aside as options, not labels
    /// (`format` for config drives); the first value of each.
    let options: [String: String]

    /// What this machine gets for `document`.
    func answer(_ document: MachineDocument) throws(AnswerFailure) -> MachineAnswer {
        try renderer.answer(document, match, labels)
    }
}

/// One entry of the route table: a path, the name it is counted and logged
/// under, and its handler.
struct Route: Sendable {
    enum Handler: Sendable {
        /// Endpoints that take no labels (operations, assets, boot.ipxe).
        case plain(@Sendable (Request) async -> Reply)
        /// Machine endpoints: labels parsed and matched before the handler
        /// runs. `options` are query keys that are not labels.
        case matched(options: [String], @Sendable (MatchedRequest) async -> Reply)
        /// Endpoints that answer from memory without waiting (the boot
        /// scripts and configs): answered on the connection's event loop,
        /// ahead of Hummingbird (`ImmediateAnswers`).
        case immediate(@Sendable (Request) -> Reply)
        case matchedImmediate(options: [String], @Sendable (MatchedRequest) -> Reply)
    }

    var path: String
    var endpoint: String
    /// Listed in the 404 answer's list of endpoints.
    var listed = true
    var handler: Handler

    static func plain(_ path: String, _ endpoint: String, listed: Bool = true, _ handle: @escaping @Sendable (Request) async -> Reply) -> Route {
        Route(path: path, endpoint: endpoint, listed: listed, handler: .plain(handle))
    }

    static func matched(_ path: String, _ endpoint: String, options: [String] = [], _ handle: @escaping @Sendable (MatchedRequest) async -> Reply) -> Route {
        Route(path: path, endpoint: endpoint, handler: .matched(options: options, handle))
    }

    static func immediate(_ path: String, _ endpoint: String, listed: Bool = true, _ handle: @escaping @Sendable (Request) -> Reply) -> Route {
        Route(path: path, endpoint: endpoint, listed: listed, handler: .immediate(handle))
    }

    static func matchedImmediate(_ path: String, _ endpoint: String, options: [String] = [],
                                 _ handle: @escaping @Sendable (MatchedRequest) -> Reply) -> Route {
        Route(path: path, endpoint: endpoint, handler: .matchedImmediate(options: options, handle))
    }

    var answersImmediately: Bool {
        switch handler {
        case .immediate, .matchedImmediate: true
        case .plain, .matched: false
        }
    }

    /// How the path is shown to a client that asked for one that does not exist.
    var displayPath: String {
        path.hasSuffix("/**") ? String(path.dropLast(2)) : path
    }
}

/// Every request goes the same way: the route's handler, or for machine
/// endpoints labels → one catalog snapshot → match → handler; then one
/// `RequestRecord`, emitted in one place; then the response.
struct RequestPipeline: Sendable {
    let store: SnapshotStore<CompiledCatalog>
    let log: RequestLog
    var limits = HTTPLimits()

    func register(_ routes: [Route], on router: Router<KilnRequestContext>) {
        let known = routes.filter(\.listed).map(\.displayPath).joined(separator: " ")
        let fallback = Route.plain("/**", "unknown", listed: false) { request in
            // Say what exists instead of an empty 404.
            .failure(.notFound, "no endpoint \(request.uri.path); Kiln serves \(known)")
        }
        for route in routes + [fallback] {
            for method in [HTTPRequest.Method.get, .head] {
                router.on(RouterPath(stringLiteral: route.path), method: method) { request, context in
                    await handle(request, route: route, client: context.remoteAddress, connection: context.channel)
                }
            }
            // Kiln only serves: other methods get 405 and what is allowed,
            // rather than an empty 404 for a path that exists.
            for method in [HTTPRequest.Method.post, .put, .delete, .patch, .options] {
                router.on(RouterPath(stringLiteral: route.path), method: method) { request, context in
                    var record = Self.record(request, route: route, client: context.remoteAddress)
                    var reply = Reply.failure(.methodNotAllowed, "method \(request.method.rawValue) is not allowed: Kiln's endpoints answer GET and HEAD")
                    reply.headers[.allow] = "GET, HEAD"
                    return finish(reply, &record, started: .now)
                }
            }
        }
    }

    private func handle(_ request: Request, route: Route, client: SocketAddress?, connection: (any Channel)? = nil) async -> Response {
        let started = ContinuousClock.now
        var record = Self.record(request, route: route, client: client)
        if let refusal = oversized(request) {
            return finish(refusal, &record, started: started)
        }
        let reply: Reply
        switch route.handler {
        case .plain(let handler):
            reply = await handler(request)
        case .matched(let options, let handler):
            switch matched(request, options: options, client: client, &record) {
            case .success(let matched): reply = await handler(matched)
            case .failure(let refusal): reply = refusal.reply
            }
        case .immediate, .matchedImmediate:
            reply = immediateReply(request, route: route, client: client, &record)
        }
        return finish(reply, &record, started: started, connection: connection)
    }

    private func immediateReply(_ request: Request, route: Route, client: SocketAddress?, _ record: inout RequestRecord) -> Reply {
        switch route.handler {
        case .immediate(let handler):
            return handler(request)
        case .matchedImmediate(let options, let handler):
            switch matched(request, options: options, client: client, &record) {
            case .success(let matched): return handler(matched)
            case .failure(let refusal): return refusal.reply
            }
        case .plain, .matched:
            return .failure(.internalServerError, "\(route.path) does not answer immediately")
        }
    }

    /// The whole answer to a request for an immediate route, computed where
    /// it is called (the event loop), recorded like any other.
    func answerNow(_ head: HTTPRequest, route: Route, client: SocketAddress?) -> (head: HTTPResponse, body: ByteBuffer) {
        let started = ContinuousClock.now
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        var record = Self.record(request, route: route, client: client)
        let reply = oversized(request) ?? immediateReply(request, route: route, client: client, &record)
        var headers = complete(reply, &record, started: started)
        log.emit(record)
        let body = reply.buffer ?? ByteBuffer()
        headers[.contentLength] = String(body.readableBytes)
        return (HTTPResponse(status: reply.status, headerFields: headers), body)
    }

    /// Requests past the limits are answered before anything reads them:
    /// a URI too long (414), headers too large (431), too many labels (400).
    func oversized(_ request: Request) -> Reply? {
        let path = request.uri.path.utf8.count, query = request.uri.query?.utf8.count ?? 0
        if path + query > limits.maxURIBytes {
            return .failure(.uriTooLong, "the path and query are \(path + query) bytes; Kiln reads at most \(limits.maxURIBytes)")
        }
        var headerBytes = 0
        for field in request.headers { headerBytes += field.name.rawName.utf8.count + field.value.utf8.count }
        if headerBytes > limits.maxHeaderBytes {
            return .failure(HTTPResponse.Status(code: 431, reasonPhrase: "Request Header Fields Too Large"),
                            "the headers are \(headerBytes) bytes; Kiln reads at most \(limits.maxHeaderBytes)")
        }
        if let query = request.uri.query {
            let labels = query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).count
            if labels > limits.maxLabels {
                return .failure(.badRequest, "\(labels) query parameters; a machine is described by at most \(limits.maxLabels) labels")
            }
        }
        return nil
    }

    private static func record(_ request: Request, route: Route, client: SocketAddress?) -> RequestRecord {
        RequestRecord(endpoint: route.endpoint, method: request.method.rawValue, path: request.uri.path, client: client)
    }

    /// Fills in the record from the reply; the headers to send.
    private func complete(_ reply: Reply, _ record: inout RequestRecord, started: ContinuousClock.Instant) -> HTTPFields {
        record.status = Int(reply.status.code)
        record.bytes = reply.file.map { Int($0.length) } ?? reply.buffer?.readableBytes ?? reply.body.contentLength
        record.reason = reply.reason
        record.warnings = reply.warnings
        record.duration = started.duration(to: .now)
        var headers = reply.headers
        if let group = record.group { headers[.kilnGroup] = group }
        if let profile = record.profile { headers[.kilnProfile] = profile }
        return headers
    }

    private func finish(_ reply: Reply, _ record: inout RequestRecord, started: ContinuousClock.Instant,
                        connection: (any Channel)? = nil) -> Response {
        let headers = complete(reply, &record, started: started)
        guard let file = reply.file else {
            log.emit(record)
            return Response(status: reply.status, headers: headers, body: reply.body)
        }
        // A file is recorded when its last byte is written, with the bytes
        // sent and the whole transfer's duration, rather than when its head is.
        let log = self.log
        let pending = record
        let sent = SentBytes()
        let body = file.responseBody(over: connection, sent: sent)
        let measured = ResponseBody(contentLength: body.contentLength) { writer in
            var done = pending
            do {
                try await body.write(writer)
            } catch {
                if sent.count > 0 {
                    done.reason = "transfer ended after \(sent.count) of \(file.length) bytes: \(error)"
                    done.bytes = sent.count
                } else {
                    // sendfile does not say how far it got before the connection ended.
                    done.reason = "transfer of \(file.length) bytes ended before the last was sent: \(error)"
                    done.bytes = nil
                }
                done.duration = started.duration(to: .now)
                log.emit(done)
                throw error
            }
            done.bytes = sent.count
            done.duration = started.duration(to: .now)
            log.emit(done)
        }
        return Response(status: reply.status, headers: headers, body: measured)
    }

    struct Refusal: Error {
        var reply: Reply
    }

    /// Parses labels, takes the current catalog once and matches, or says
    /// why not: 503 before the first load, 400 for a bad label, 404 naming
    /// the labels or the missing profile. Fills in what the record needs
    /// either way.
    private func matched(_ request: Request, options optionKeys: [String], client: SocketAddress?,
                         _ record: inout RequestRecord) -> Result<MatchedRequest, Refusal> {
        guard let compiled = store.current else {
            return .failure(Refusal(reply: .failure(.serviceUnavailable, "data directory not loaded yet")))
        }
        var query = request.uri.query ?? ""
        var options: [String: String] = [:]
        if !optionKeys.isEmpty {
            (query, options) = Self.setAside(optionKeys, from: query)
        }
        let labels: Labels
        do {
            labels = try Labels(query: query)
        } catch {
            record.rawQuery = request.uri.query
            return .failure(Refusal(reply: .failure(.badRequest, error.description)))
        }
        record.labels = labels
        switch compiled.catalog.match(labels) {
        case .success(let match):
            record.group = match.group.id
            record.profile = match.profile.id
            return .success(MatchedRequest(request: request, labels: labels, match: match, renderer: Renderer(compiled),
                                           client: client, options: options))
        case .failure(let failure):
            if case .missingProfile(let group, _) = failure { record.group = group.id }
            return .failure(Refusal(reply: .failure(.notFound, failure.description)))
        }
    }

    /// Takes `key=value` pairs for the given keys out of the query (the first
    /// value of each wins); the rest are the labels.
    static func setAside(_ keys: [String], from query: String) -> (labels: String, options: [String: String]) {
        var options: [String: String] = [:]
        var rest: [Substring] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = part.firstIndex(of: "="), case let key = String(part[..<equals]), keys.contains(key) {
                if options[key] == nil { options[key] = String(part[part.index(after: equals)...]) }
            } else {
                rest.append(part)
            }
        }
        return (rest.joined(separator: "&"), options)
    }
}

extension HTTPField.Name {
    /// Which group and profile answered: lets an operator see the matcher's
    /// choice with `curl -i` without reading server logs.
    static let kilnGroup = HTTPField.Name("X-Kiln-Group")!
    static let kilnProfile = HTTPField.Name("X-Kiln-Profile")!
}

/// Bytes a file body has sent so far.
final class SentBytes: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func add(_ bytes: Int) { value.withLock { $0 += bytes } }
}
