import Foundation
import Hummingbird
import HummingbirdAuth
import HTTPTypes
import KilnBMC
import KilnCore
import KilnInventory
import NIOCore

/// The management API under `/api/v1`, as `openapi.json` describes it:
/// machines from the inventory; groups, profiles and templates written
/// through the catalog editor.
public struct APIRoutes: Sendable {
    /// Largest body accepted for a group or profile, and for a template.
    public static let maxJSONBody = 1 << 20
    public static let maxTemplateBody = 8 << 20
    /// Machines per page when the caller gives no limit, and at most.
    static let defaultPage = 100
    static let maxPage = 1000

    let editor: CatalogEditor
    /// nil when the inventory is off: machine endpoints answer 503.
    let inventory: InventoryStore?
    let tokens: APITokenTable
    let acceptsClientCertificates: Bool
    /// nil when BMC control is off: BMC endpoints answer 503.
    let bmc: BMCController?

    public init(editor: CatalogEditor, inventory: InventoryStore?, tokens: APITokenTable, acceptsClientCertificates: Bool = false,
                bmc: BMCController? = nil) {
        self.editor = editor
        self.inventory = inventory
        self.tokens = tokens
        self.acceptsClientCertificates = acceptsClientCertificates
        self.bmc = bmc
    }

    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIMethodPolicy())
        router.add(middleware: APIAuthenticator(tokens: tokens, acceptsClientCertificates: acceptsClientCertificates))
        router.add(middleware: APIAccessPolicy())
        let api = router.group("api/v1")
        api.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        api.get("machines") { request, _ in try await machines(request) }
        api.get("machines/:mac") { _, context in try await machine(context) }
        api.get("machines/:mac/events") { request, context in try await events(request, context) }
        api.post("machines/:mac/assign") { request, context in try await assign(request, context) }
        BMCRoutes(controller: bmc).add(to: api)
        for kind in [CatalogRecord.Kind.group, .profile] {
            let plural = kind.folder
            api.get(RouterPath(plural)) { _, _ in try await list(kind) }
            api.get(RouterPath("\(plural)/:name")) { _, context in try await get(kind, context) }
            api.put(RouterPath("\(plural)/:name")) { request, context in try await put(kind, request, context) }
            api.delete(RouterPath("\(plural)/:name")) { request, context in try await delete(kind, request, context) }
        }
        api.get("templates/:kind") { _, context in try await list(templateKind(context)) }
        api.get("templates/:kind/:name") { _, context in try await get(templateKind(context), context) }
        api.put("templates/:kind/:name") { request, context in try await put(templateKind(context), request, context) }
        api.delete("templates/:kind/:name") { request, context in try await delete(templateKind(context), request, context) }
        return router
    }

    // MARK: Catalog

    private func templateKind(_ context: APIRequestContext) throws -> CatalogRecord.Kind {
        let name = context.parameters.get("kind") ?? ""
        guard let kind = TemplateKind(rawValue: name) else {
            throw APIError(.notFound, "no template kind \"\(name.prefix(40))\": use ignition, generic or cloud")
        }
        return .template(kind)
    }

    /// A path parameter as the client meant it: percent-decoded once, so
    /// `%3A` is a colon; an encoded separator or dot decodes to something
    /// the name rules refuse.
    static func parameter(_ name: String, _ context: APIRequestContext) throws -> String {
        let raw = context.parameters.get(name) ?? ""
        guard let decoded = raw.removingPercentEncoding else {
            throw APIError(.badRequest, "\(name) \"\(raw.prefix(40))\" has a malformed percent-encoding")
        }
        return decoded
    }

    private func record(_ kind: CatalogRecord.Kind, _ context: APIRequestContext) throws -> CatalogRecord {
        let name = try Self.parameter("name", context)
        do {
            return try CatalogRecord(kind: kind, name: name)
        } catch {
            throw APIError(.badRequest, error.description)
        }
    }

    private func list(_ kind: CatalogRecord.Kind) async throws -> Response {
        let names = try await translate { () throws(CatalogEditor.Refusal) in try await editor.names(of: kind) }
        var items: [[String: Any]] = []
        for name in names {
            guard let record = try? CatalogRecord(kind: kind, name: name),
                  let bytes = try await translate({ () throws(CatalogEditor.Refusal) in try await editor.read(record) }) else { continue }
            items.append(["name": name, "etag": CatalogEditor.etag(bytes), "size": bytes.count])
        }
        return try Self.json(["kind": kind.name, "items": items])
    }

    private func get(_ kind: CatalogRecord.Kind, _ context: APIRequestContext) async throws -> Response {
        let record = try record(kind, context)
        guard let bytes = try await translate({ () throws(CatalogEditor.Refusal) in try await editor.read(record) }) else {
            throw APIError(.notFound, "no \(kind.name) \(record.name)")
        }
        let contentType = kind.isJSON ? "application/json" : "application/octet-stream"
        return Response(status: .ok, headers: [.contentType: contentType, .eTag: CatalogEditor.etag(bytes)],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func put(_ kind: CatalogRecord.Kind, _ request: Request, _ context: APIRequestContext) async throws -> Response {
        let record = try record(kind, context)
        let bytes = try await Self.body(request, limit: kind.isJSON ? Self.maxJSONBody : Self.maxTemplateBody)
        if kind.isJSON { try checkDocument(bytes, record: record) }
        let written = try await write(record, bytes: bytes, request, context)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let etag = written.etag { headers[.eTag] = etag }
        let object: [String: Any] = ["kind": kind.name, "name": record.name, "etag": written.etag ?? "", "created": written.created]
        return try Self.json(object, status: written.created ? .created : .ok, headers: headers)
    }

    private func delete(_ kind: CatalogRecord.Kind, _ request: Request, _ context: APIRequestContext) async throws -> Response {
        let record = try record(kind, context)
        _ = try await write(record, bytes: nil, request, context)
        return Response(status: .noContent)
    }

    /// A group's or profile's body must be a JSON object whose id, when it
    /// has one, is the name in the URL: the file name is the id.
    private func checkDocument(_ bytes: [UInt8], record: CatalogRecord) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            // The loader's message has the line and column: let the editor refuse it.
            return
        }
        if let id = object["id"], (id as? String) != record.name {
            throw APIError(.badRequest, "the body's id \(String(describing: id).prefix(80)) differs from the name in the URL, \(record.name)")
        }
    }

    private func write(_ record: CatalogRecord, bytes: [UInt8]?, _ request: Request, _ context: APIRequestContext) async throws -> CatalogEditor.Written {
        let credential = context.identity?.name ?? "unknown"
        let ifMatch = request.headers[.ifMatch].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let ifMatch, ifMatch.isEmpty || ifMatch.contains("") {
            throw APIError(.badRequest, "If-Match is empty: send the ETag from a GET, or * for any existing file")
        }
        let ifNoneMatch = request.headers[.ifNoneMatch]?.trimmingCharacters(in: .whitespaces)
        if let ifNoneMatch, ifNoneMatch != "*" {
            throw APIError(.badRequest, "If-None-Match supports only * (create, never replace)")
        }
        let precondition = CatalogEditor.Precondition(ifMatch: ifMatch, mustNotExist: ifNoneMatch == "*")
        return try await translate { () throws(CatalogEditor.Refusal) in
            try await editor.write(record, bytes: bytes, precondition: precondition, by: credential)
        }
    }

    /// The router with the API and whatever else shares its listener.
    func makeRouter(beside extraRoutes: (Router<APIRequestContext>) -> Void) -> Router<APIRequestContext> {
        let router = makeRouter()
        extraRoutes(router)
        return router
    }

    // MARK: Machines

    private func store() throws -> InventoryStore {
        guard let inventory else { throw APIError(.serviceUnavailable, "the inventory is off (kiln serve --inventory on)") }
        return inventory
    }

    private func machines(_ request: Request) async throws -> Response {
        let store = try store()
        let query = request.uri.queryParameters
        var filter = InventoryStore.Filter()
        if let stage = query["stage"].map(String.init) {
            guard let known = BootStage(name: stage) else {
                throw APIError(.badRequest, "stage \"\(stage.prefix(40))\" is not one of \(BootStage.allCases.map(\.description).joined(separator: ", "))")
            }
            filter.stage = known
        }
        filter.group = query["group"].map(String.init)
        filter.profile = query["profile"].map(String.init)
        if let since = query["since"].map(String.init) {
            guard let date = Self.parseTime(since) else {
                throw APIError(.badRequest, "since \"\(since.prefix(40))\" is not an RFC 3339 time such as 2026-12-01T08:00:00Z")
            }
            filter.seenSince = date
        }
        let limit = try integer(query["limit"], name: "limit", default: Self.defaultPage, range: 1...Self.maxPage)
        let offset = try integer(query["offset"], name: "offset", default: 0, range: 0...Int(Int32.max))
        filter.limit = limit + 1  // one more tells whether there is a next page
        filter.offset = offset
        let chosen = filter
        let found = try await inventoryRead { try store.machines(chosen) }
        var object: [String: Any] = ["machines": found.prefix(limit).map(Self.machineObject)]
        object["next_offset"] = found.count > limit ? offset + limit : NSNull()
        return try Self.json(object)
    }

    static func macParameter(_ context: APIRequestContext) throws -> MACAddress {
        let text = try Self.parameter("mac", context)
        guard let mac = MACAddress(text) else { throw APIError(.badRequest, "\"\(text.prefix(40))\" is not a MAC address such as 52:54:00:12:34:56") }
        return mac
    }

    private func machine(_ context: APIRequestContext) async throws -> Response {
        let mac = try Self.macParameter(context)
        let store = try store()
        guard let machine = try await inventoryRead({ try store.machine(mac.description) }) else {
            throw APIError(.notFound, "Kiln has not seen \(mac)")
        }
        var object = Self.machineObject(machine)
        object["bmc"] = bmc?.registry.record(mac.description).map(\.publicView) ?? NSNull()
        return try Self.json(object)
    }

    private func events(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let mac = try Self.macParameter(context)
        let store = try store()
        let limit = try integer(request.uri.queryParameters["limit"], name: "limit", default: 1000, range: 1...10_000)
        guard try await inventoryRead({ try store.machine(mac.description) }) != nil else {
            throw APIError(.notFound, "Kiln has not seen \(mac)")
        }
        let events = try await inventoryRead { try store.events(for: mac.description, limit: limit) }
        let items: [[String: Any]] = events.map { event, stage, repeats in
            var item: [String: Any] = [
                "time": Self.formatTime(event.time), "kind": event.kind.rawValue, "endpoint": event.endpoint, "target": event.target,
                "status": event.status, "stage": stage.description, "repeats": repeats,
            ]
            item["client"] = event.client ?? NSNull()
            item["bytes"] = event.bytes ?? NSNull()
            item["duration"] = event.duration ?? NSNull()
            item["reason"] = event.reason ?? NSNull()
            return item
        }
        return try Self.json(["mac": mac.description, "events": items])
    }

    /// Gives a machine a profile: writes the group `machine-<mac>` that
    /// selects it, through the same editor as every other write.
    private func assign(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let mac = try Self.macParameter(context)
        let bytes = try await Self.body(request, limit: Self.maxJSONBody)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw APIError(.badRequest, "the body must be a JSON object such as {\"profile\": \"worker\", \"metadata\": {}}")
        }
        guard let profile = object["profile"] as? String, !profile.isEmpty else {
            throw APIError(.badRequest, "profile is missing: {\"profile\": \"worker\"}")
        }
        let metadata = object["metadata"] ?? [String: Any]()
        guard metadata is [String: Any] else { throw APIError(.badRequest, "metadata must be a JSON object") }
        let unknown = Set(object.keys).subtracting(["profile", "metadata"])
        guard unknown.isEmpty else { throw APIError(.badRequest, "unknown field(s): \(unknown.sorted().joined(separator: ", "))") }
        let (record, document) = try CatalogEditor.assignment(of: mac, profile: profile, metadata: metadata as? [String: Any] ?? [:])
        let written = try await write(record, bytes: document, request, context)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let etag = written.etag { headers[.eTag] = etag }
        return try Self.json(["kind": "group", "name": record.name, "etag": written.etag ?? "", "created": written.created],
                        status: written.created ? .created : .ok, headers: headers)
    }

    // MARK: Helpers

    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "the body is larger than \(limit) bytes")
        }
    }

    private func integer(_ text: Substring?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError(.badRequest, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private func inventoryRead<Value: Sendable>(_ read: @escaping @Sendable () throws -> Value) async throws -> Value {
        do {
            return try await NIOThreadPoolRunner.run(read)
        } catch {
            throw APIError(.serviceUnavailable, "the inventory cannot be read: \(error)")
        }
    }

    private func translate<Value>(_ operation: () async throws(CatalogEditor.Refusal) -> Value) async throws -> Value {
        do {
            return try await operation()
        } catch {
            switch error.kind {
            case .notFound: throw APIError(.notFound, error.message)
            case .preconditionFailed: throw APIError(.preconditionFailed, error.message)
            case .invalid: throw APIError(.unprocessableContent, error.message, reasons: error.reasons)
            case .unavailable: throw APIError(.serviceUnavailable, error.message)
            }
        }
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [.contentType: "application/json"]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data + [UInt8(ascii: "\n")])))
    }

    static func machineObject(_ machine: Machine) -> [String: Any] {
        var object: [String: Any] = [
            "mac": machine.mac, "stage": machine.stage.description, "labels": machine.labels,
            "first_seen": formatTime(machine.firstSeen), "last_seen": formatTime(machine.lastSeen),
        ]
        object["group"] = machine.group ?? NSNull()
        object["profile"] = machine.profile ?? NSNull()
        object["address"] = machine.address ?? NSNull()
        object["last_error"] = machine.lastError ?? NSNull()
        return object
    }

    /// Times as the API writes them (RFC 3339, UTC, whole seconds).
    public static func formatTime(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// Times as the API reads them: RFC 3339, with or without a fraction.
    public static func parseTime(_ text: String) -> Date? {
        if let plain = try? Date(text, strategy: .iso8601) { return plain }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension CatalogRecord.Kind {
    var isJSON: Bool {
        switch self {
        case .group, .profile: return true
        case .template: return false
        }
    }
}
