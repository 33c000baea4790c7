import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KilnAPI
import KilnCore
import KilnRender
import Logging

/// What the five services share: the catalog editor for writes (the REST
/// API's own path: validated against a copy, atomic, serving before the
/// answer), the compiled catalog for reads and Select.
struct MatchboxBackend: Sendable {
    let editor: CatalogEditor
    let catalog: SnapshotStore<CompiledCatalog>
    let logger: Logger

    func current() throws(RPCError) -> Catalog {
        guard let compiled = catalog.current else { throw RPCError(code: .unavailable, message: "the catalog has not loaded yet") }
        return compiled.catalog
    }

    /// The client certificate's subject, as writes are logged and credited.
    static func caller(_ context: ServerContext) -> String {
        if let tls = context.transportSpecific as? HTTP2ServerTransport.Posix.Context, let certificate = tls.peerCertificate {
            return "cert:" + String(describing: certificate.subject)
        }
        return "cert:unknown (\(context.remotePeer))"
    }

    func record(_ kind: CatalogRecord.Kind, _ name: String) throws(RPCError) -> CatalogRecord {
        do {
            return try CatalogRecord(kind: kind, name: name)
        } catch {
            throw RPCError(code: .invalidArgument, message: "\(kind.name) name \"\(name.prefix(80))\": \(error.description)")
        }
    }

    func write(_ record: CatalogRecord, bytes: [UInt8]?, _ context: ServerContext) async throws(RPCError) {
        let caller = Self.caller(context)
        logger.info("rpc: \(context.descriptor.method) \(record.path)", metadata: ["credential": "\(caller)"])
        do {
            _ = try await editor.write(record, bytes: bytes, precondition: .init(), by: caller)
        } catch {
            throw Self.status(error, record: record, deleting: bytes == nil)
        }
    }

    func read(_ record: CatalogRecord) async throws(RPCError) -> [UInt8] {
        let bytes: [UInt8]?
        do {
            bytes = try await editor.read(record)
        } catch {
            throw Self.status(error, record: record, deleting: false)
        }
        guard let bytes else { throw RPCError(code: .notFound, message: "no \(record.kind.name) \(record.name)") }
        return bytes
    }

    /// A refusal as a gRPC status. A write the catalog refuses is the
    /// request's own fault (INVALID_ARGUMENT) when the reasons are in the
    /// record written, and the catalog's state (FAILED_PRECONDITION) when
    /// they are elsewhere: a profile a group still names, say. The message
    /// carries the `path:line:column` reasons, one per line.
    static func status(_ refusal: CatalogEditor.Refusal, record: CatalogRecord, deleting: Bool) -> RPCError {
        switch refusal.kind {
        case .notFound:
            return RPCError(code: .notFound, message: refusal.message)
        case .preconditionFailed:
            return RPCError(code: .failedPrecondition, message: refusal.description)
        case .invalid:
            let own = !deleting && (refusal.reasons.isEmpty || refusal.reasons.contains { $0.hasPrefix(record.path) || $0.contains("/" + record.path) })
            return RPCError(code: own ? .invalidArgument : .failedPrecondition, message: refusal.description)
        case .unavailable:
            return RPCError(code: .unavailable, message: refusal.message)
        }
    }
}

struct GroupsService: Rpcpb_Groups.SimpleServiceProtocol {
    let backend: MatchboxBackend

    func groupPut(request: Serverpb_GroupPutRequest, context: ServerContext) async throws -> Serverpb_GroupPutResponse {
        guard request.hasGroup else { throw RPCError(code: .invalidArgument, message: "the request has no group") }
        let document: [UInt8]
        do {
            document = try MatchboxRecords.document(for: request.group)
        } catch {
            throw RPCError(code: .invalidArgument, message: error.description)
        }
        try await backend.write(try backend.record(.group, request.group.id), bytes: document, context)
        return Serverpb_GroupPutResponse()
    }

    func groupGet(request: Serverpb_GroupGetRequest, context: ServerContext) async throws -> Serverpb_GroupGetResponse {
        _ = try backend.record(.group, request.id)
        guard let group = try backend.current().groups.first(where: { $0.id == request.id }) else {
            throw RPCError(code: .notFound, message: "no group \(request.id)")
        }
        var response = Serverpb_GroupGetResponse()
        response.group = MatchboxRecords.message(for: group)
        return response
    }

    func groupDelete(request: Serverpb_GroupDeleteRequest, context: ServerContext) async throws -> Serverpb_GroupDeleteResponse {
        try await backend.write(try backend.record(.group, request.id), bytes: nil, context)
        return Serverpb_GroupDeleteResponse()
    }

    func groupList(request: Serverpb_GroupListRequest, context: ServerContext) async throws -> Serverpb_GroupListResponse {
        var response = Serverpb_GroupListResponse()
        response.groups = try backend.current().groups.sorted { $0.id < $1.id }.map(MatchboxRecords.message(for:))
        return response
    }
}

struct ProfilesService: Rpcpb_Profiles.SimpleServiceProtocol {
    let backend: MatchboxBackend

    func profilePut(request: Serverpb_ProfilePutRequest, context: ServerContext) async throws -> Serverpb_ProfilePutResponse {
        guard request.hasProfile else { throw RPCError(code: .invalidArgument, message: "the request has no profile") }
        let document: [UInt8]
        do {
            document = try MatchboxRecords.document(for: request.profile)
        } catch {
            throw RPCError(code: .invalidArgument, message: error.description)
        }
        try await backend.write(try backend.record(.profile, request.profile.id), bytes: document, context)
        return Serverpb_ProfilePutResponse()
    }

    func profileGet(request: Serverpb_ProfileGetRequest, context: ServerContext) async throws -> Serverpb_ProfileGetResponse {
        _ = try backend.record(.profile, request.id)
        guard let profile = try backend.current().profiles[request.id] else {
            throw RPCError(code: .notFound, message: "no profile \(request.id)")
        }
        var response = Serverpb_ProfileGetResponse()
        response.profile = MatchboxRecords.message(for: profile)
        return response
    }

    func profileDelete(request: Serverpb_ProfileDeleteRequest, context: ServerContext) async throws -> Serverpb_ProfileDeleteResponse {
        try await backend.write(try backend.record(.profile, request.id), bytes: nil, context)
        return Serverpb_ProfileDeleteResponse()
    }

    func profileList(request: Serverpb_ProfileListRequest, context: ServerContext) async throws -> Serverpb_ProfileListResponse {
        var response = Serverpb_ProfileListResponse()
        response.profiles = try backend.current().profiles.values.sorted { $0.id < $1.id }.map(MatchboxRecords.message(for:))
        return response
    }
}

/// Templates are bytes as the client sent them (`<name>.yaml.tmpl` with
/// Butane or a Container Linux Config, `<name>.ign` raw): written to
/// `ignition/` or `generic/` and served through `/ignition` and `/generic`
/// as if they had been files there.
struct TemplateStore: Sendable {
    let backend: MatchboxBackend
    let kind: TemplateKind

    func put(_ name: String, _ config: Data, _ context: ServerContext) async throws {
        guard config.count <= 8 << 20 else { throw RPCError(code: .invalidArgument, message: "\(kind.rawValue) \(name) is larger than 8 MiB") }
        try await backend.write(try backend.record(.template(kind), name), bytes: [UInt8](config), context)
    }

    func get(_ name: String) async throws -> Data {
        Data(try await backend.read(try backend.record(.template(kind), name)))
    }

    func delete(_ name: String, _ context: ServerContext) async throws {
        try await backend.write(try backend.record(.template(kind), name), bytes: nil, context)
    }
}

struct IgnitionService: Rpcpb_Ignition.SimpleServiceProtocol {
    let templates: TemplateStore

    func ignitionPut(request: Serverpb_IgnitionPutRequest, context: ServerContext) async throws -> Serverpb_IgnitionPutResponse {
        try await templates.put(request.name, request.config, context)
        return Serverpb_IgnitionPutResponse()
    }

    func ignitionGet(request: Serverpb_IgnitionGetRequest, context: ServerContext) async throws -> Serverpb_IgnitionGetResponse {
        var response = Serverpb_IgnitionGetResponse()
        response.config = try await templates.get(request.name)
        return response
    }

    func ignitionDelete(request: Serverpb_IgnitionDeleteRequest, context: ServerContext) async throws -> Serverpb_IgnitionDeleteResponse {
        try await templates.delete(request.name, context)
        return Serverpb_IgnitionDeleteResponse()
    }
}

struct GenericService: Rpcpb_Generic.SimpleServiceProtocol {
    let templates: TemplateStore

    func genericPut(request: Serverpb_GenericPutRequest, context: ServerContext) async throws -> Serverpb_GenericPutResponse {
        try await templates.put(request.name, request.config, context)
        return Serverpb_GenericPutResponse()
    }

    func genericGet(request: Serverpb_GenericGetRequest, context: ServerContext) async throws -> Serverpb_GenericGetResponse {
        var response = Serverpb_GenericGetResponse()
        response.config = try await templates.get(request.name)
        return response
    }

    func genericDelete(request: Serverpb_GenericDeleteRequest, context: ServerContext) async throws -> Serverpb_GenericDeleteResponse {
        try await templates.delete(request.name, context)
        return Serverpb_GenericDeleteResponse()
    }
}

/// The group (or profile) `/ipxe` would use for these labels. matchbox's
/// own messages for "nothing matches", with NOT_FOUND, as its clients see them.
struct SelectService: Rpcpb_Select.SimpleServiceProtocol {
    let backend: MatchboxBackend

    func selectGroup(request: Serverpb_SelectGroupRequest, context: ServerContext) async throws -> Serverpb_SelectGroupResponse {
        var response = Serverpb_SelectGroupResponse()
        response.group = MatchboxRecords.message(for: try select(request.labels))
        return response
    }

    func selectProfile(request: Serverpb_SelectProfileRequest, context: ServerContext) async throws -> Serverpb_SelectProfileResponse {
        let catalog = try backend.current()
        let group = try select(request.labels, in: catalog)
        guard let profile = catalog.profiles[group.profile] else {
            throw RPCError(code: .notFound, message: "matchbox: No matching Profile")
        }
        var response = Serverpb_SelectProfileResponse()
        response.profile = MatchboxRecords.message(for: profile)
        return response
    }

    private func select(_ values: [String: String], in given: Catalog? = nil) throws -> Group {
        let catalog = try given ?? backend.current()
        let labels: Labels
        do {
            labels = try Labels(values)
        } catch {
            throw RPCError(code: .invalidArgument, message: "labels: \(error)")
        }
        switch catalog.match(labels) {
        case .success(let match):
            return match.group
        case .failure(.missingProfile(let group, _)):
            return group
        case .failure:
            throw RPCError(code: .notFound, message: "matchbox: No matching Group")
        }
    }
}
