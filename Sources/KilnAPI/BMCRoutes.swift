import Foundation
import Hummingbird
import HTTPTypes
import KilnBMC
import KilnCore
import KilnRedfish

/// `/api/v1/machines/{mac}/bmc…`: a machine's BMC record (the account is
/// write-only) and the actions taken through it.
struct BMCRoutes: Sendable {
    let controller: BMCController?

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("machines/:mac/bmc") { _, context in try show(context) }
        api.put("machines/:mac/bmc") { request, context in try await put(request, context) }
        api.delete("machines/:mac/bmc") { _, context in try remove(context) }
        api.get("machines/:mac/bmc/power") { _, context in try await act(context) { try await $0.power($1, .status) } }
        api.post("machines/:mac/bmc/power") { request, context in
            let body = try await object(request, allowed: ["action"])
            let name = body["action"] as? String ?? ""
            guard let action = BMCController.PowerAction(rawValue: name), action != .status else {
                throw APIError(.badRequest, "action must be on, off or cycle: {\"action\": \"cycle\"}")
            }
            return try await act(context) { try await $0.power($1, action) }
        }
        api.post("machines/:mac/bmc/boot") { request, context in
            let body = try await object(request, allowed: ["device"])
            guard let device = (body["device"] as? String).flatMap(BootDevice.init(rawValue:)) else {
                throw APIError(.badRequest, "device must be pxe, cd or disk: {\"device\": \"pxe\"}")
            }
            return try await act(context) { try await $0.bootOnce($1, device) }
        }
        api.post("machines/:mac/bmc/media") { request, context in
            let body = try await object(request, allowed: ["image"])
            guard let image = body["image"] as? String else {
                throw APIError(.badRequest, "image is missing: {\"image\": \"http://kiln.example:8080/netboot.iso\"}")
            }
            return try await act(context) { try await $0.insertMedia($1, image: image) }
        }
        api.delete("machines/:mac/bmc/media") { _, context in try await act(context) { try await $0.ejectMedia($1) } }
        api.post("machines/:mac/bmc/netboot") { request, context in
            _ = try await object(request, allowed: [], optional: true)
            return try await act(context) { try await $0.netboot($1) }
        }
        api.post("machines/:mac/bmc/install-iso") { request, context in
            let body = try await object(request, allowed: ["netboot_cd"], optional: true)
            guard body["netboot_cd"] == nil || body["netboot_cd"] is Bool else { throw APIError(.badRequest, "netboot_cd must be true or false") }
            let netbootCD = body["netboot_cd"] as? Bool ?? false
            return try await act(context) { try await $0.installISO($1, netbootCD: netbootCD) }
        }
        api.post("machines/:mac/bmc/facts") { request, context in
            _ = try await object(request, allowed: [], optional: true)
            return try await act(context) { try await $0.refreshFacts($1) }
        }
    }

    private func bmc() throws -> BMCController {
        guard let controller else { throw APIError(.serviceUnavailable, "BMC control is off on this server") }
        return controller
    }

    private func show(_ context: APIRequestContext) throws -> Response {
        let record = try translate { try bmc().record(try APIRoutes.macParameter(context)) }
        return try APIRoutes.json(record.publicView)
    }

    private func put(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let controller = try bmc()
        let mac = try APIRoutes.macParameter(context)
        let body = try await object(request, allowed: ["url", "system_path", "username", "password", "ca_pem", "insecure"])
        func text(_ name: String, required: Bool) throws -> String? {
            guard let value = body[name], !(value is NSNull) else {
                if required { throw APIError(.badRequest, "\(name) is missing") }
                return nil
            }
            guard let string = value as? String else { throw APIError(.badRequest, "\(name) must be a string") }
            return string
        }
        guard body["insecure"] == nil || body["insecure"] is Bool else { throw APIError(.badRequest, "insecure must be true or false") }
        let registration = BMCController.Registration(
            url: try text("url", required: true) ?? "", systemPath: try text("system_path", required: false),
            username: try text("username", required: true) ?? "", password: try text("password", required: true) ?? "",
            caPEM: try text("ca_pem", required: false), insecure: body["insecure"] as? Bool ?? false)
        let created = try translate { try controller.add(mac, registration) }
        let record = try translate { try controller.record(mac) }
        return try APIRoutes.json(record.publicView, status: created ? .created : .ok)
    }

    private func remove(_ context: APIRequestContext) throws -> Response {
        let mac = try APIRoutes.macParameter(context)
        let controller = try bmc()
        try translate { try controller.remove(mac) }
        return Response(status: .noContent)
    }

    private func act(_ context: APIRequestContext,
                     _ action: @Sendable (BMCController, MACAddress) async throws -> BMCController.Outcome) async throws -> Response {
        let controller = try bmc()
        let mac = try APIRoutes.macParameter(context)
        do {
            return try APIRoutes.json(try await action(controller, mac).object)
        } catch let refusal as BMCController.Refusal {
            throw Self.apiError(refusal)
        }
    }

    /// The body as a JSON object with only the `allowed` fields; an empty
    /// body is `{}` where `optional`.
    private func object(_ request: Request, allowed: Set<String>, optional: Bool = false) async throws -> [String: Any] {
        let bytes = try await APIRoutes.body(request, limit: 512 * 1024)
        if bytes.isEmpty && optional { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw APIError(.badRequest, "the body must be a JSON object")
        }
        let unknown = Set(object.keys).subtracting(allowed)
        guard unknown.isEmpty else { throw APIError(.badRequest, "unknown field(s): \(unknown.sorted().joined(separator: ", ").prefix(200))") }
        return object
    }

    private func translate<Value>(_ operation: () throws -> Value) throws -> Value {
        do {
            return try operation()
        } catch let refusal as BMCController.Refusal {
            throw Self.apiError(refusal)
        }
    }

    static func apiError(_ refusal: BMCController.Refusal) -> APIError {
        switch refusal.kind {
        case .notFound: APIError(.notFound, refusal.message)
        case .invalid: APIError(.badRequest, refusal.message)
        case .busy: APIError(.conflict, refusal.message)
        case .overloaded, .unavailable: APIError(.serviceUnavailable, refusal.message)
        case .bmcFailed: APIError(.badGateway, refusal.message)
        }
    }
}
