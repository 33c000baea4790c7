import Hummingbird
import KilnCore
import KilnRender
import Logging
import NIOCore

/// The HTTP side of Kiln: matchbox's endpoints plus health, metrics and
/// assets. Handlers read one catalog snapshot per request.
public struct BootResponder: Sendable {
    let store: SnapshotStore<CompiledCatalog>
    let assets: AssetResponder
    let metrics: KilnMetrics
    let logger: Logger

    public init(store: SnapshotStore<CompiledCatalog>, assetsPath: String, metrics: KilnMetrics, logger: Logger) {
        self.store = store
        self.assets = AssetResponder(root: assetsPath)
        self.metrics = metrics
        self.logger = logger
    }

    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        route(router, "/", endpoint: "root") { _ in .text("kiln\n") }
        route(router, "/healthz", endpoint: "healthz") { _ in
            store.current == nil ? .failure(.serviceUnavailable, "data directory not loaded yet") : .text("ok\n")
        }
        route(router, "/metrics", endpoint: "metrics") { _ in
            .bytes(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        for path in ["/boot.ipxe", "/boot.ipxe.0"] {
            route(router, RouterPath(stringLiteral: path), endpoint: "boot.ipxe") { _ in .text(BootScripts.ipxeBootstrap) }
        }
        route(router, "/ipxe", endpoint: "ipxe") { request in
            bootScript(request) { BootScripts.ipxe($0) }
        }
        route(router, "/grub", endpoint: "grub") { request in
            bootScript(request) { BootScripts.grub($0) }
        }
        route(router, "/metadata", endpoint: "metadata") { request in
            matched(request) { labels, _, match in
                .text(MachineVariables.environmentFile(MachineVariables.collect(group: match.group, labels: labels)))
            }
        }
        route(router, "/ignition", endpoint: "ignition") { request in
            configFile(request, kind: .ignition)
        }
        route(router, "/generic", endpoint: "generic") { request in
            configFile(request, kind: .generic)
        }
        route(router, "/cloud", endpoint: "cloud") { request in
            configFile(request, kind: .cloud)
        }
        route(router, "/assets/**", endpoint: "assets", methods: [.get, .head]) { request in
            await assets.reply(to: request)
        }
        // Anything else: say what exists instead of an empty 404.
        route(router, "/**", endpoint: "unknown", methods: [.get, .head]) { request in
            .failure(.notFound, "no endpoint \(request.uri.path); Kiln serves /boot.ipxe /ipxe /grub /metadata /ignition /generic /cloud /assets/ /metrics /healthz")
        }
        return router
    }

    private func route(
        _ router: Router<BasicRequestContext>, _ path: RouterPath, endpoint: String,
        methods: [HTTPRequest.Method] = [.get],
        _ handler: @escaping @Sendable (Request) async -> Reply
    ) {
        for method in methods {
            router.on(path, method: method) { request, _ in
                let reply = await handler(request)
                record(request, endpoint: endpoint, reply: reply)
                return reply.response()
            }
        }
    }

    private func record(_ request: Request, endpoint: String, reply: Reply) {
        metrics.request(endpoint: endpoint, status: Int(reply.status.code))
        if let group = reply.group { metrics.matched(group: group) }
        let level: Logger.Level = reply.status.code >= 500 ? .error : (reply.reason != nil ? .warning : .info)
        guard logger.logLevel <= level else { return }
        // One line rendered here rather than as metadata: a dictionary of
        // interpolated values, sorted by the handler, cost 5% of /ipxe's rate.
        var line = request.method.rawValue
        line += " "
        line += request.uri.path
        line += " status="
        line += String(reply.status.code)
        func field(_ name: String, _ value: String?) {
            guard let value else { return }
            line += " "
            line += name
            line += "="
            line += value
        }
        field("labels", reply.labels?.description)
        field("query", reply.rawQuery)
        field("group", reply.group)
        field("profile", reply.profile)
        field("reason", reply.reason)
        logger.log(level: level, "\(line)")
    }

    /// Parses labels, matches, and hands the result on, or answers the
    /// failure: 503 before the first load, 400 for a bad MAC, 404 naming the
    /// labels or the missing profile.
    private func matched(_ request: Request, _ answer: (Labels, Renderer, Match) -> Reply) -> Reply {
        guard let compiled = store.current else {
            return .failure(.serviceUnavailable, "data directory not loaded yet")
        }
        let labels: Labels
        do {
            labels = try Labels(query: request.uri.query ?? "")
        } catch {
            var reply = Reply.failure(.badRequest, error.description)
            reply.rawQuery = request.uri.query
            return reply
        }
        var reply: Reply
        let renderer = Renderer(compiled)
        switch compiled.catalog.match(labels) {
        case .success(let match):
            reply = answer(labels, renderer, match)
            reply.group = match.group.id
            reply.profile = match.profile.id
        case .failure(let failure):
            reply = .failure(.notFound, failure.description)
            if case .missingProfile(let group, _) = failure { reply.group = group.id }
        }
        reply.labels = labels
        return reply
    }

    private func bootScript(_ request: Request, render: (BootConfig) -> String) -> Reply {
        matched(request) { labels, renderer, match in
            let boot: BootConfig?
            do throws(RenderError) {
                boot = try renderer.boot(match, labels)
            } catch {
                return .failure(.internalServerError, error.description)
            }
            guard let boot, !boot.kernel.isEmpty else {
                return .failure(.notFound, "profile \"\(match.profile.id)\" has no boot.kernel to boot")
            }
            return .text(render(boot))
        }
    }

    private func configFile(_ request: Request, kind: TemplateKind) -> Reply {
        matched(request) { labels, renderer, match in
            do throws(RenderError) {
                switch try renderer.config(kind, match, labels) {
                case .rendered(let config):
                    return .bytes(config.bytes, contentType: config.contentType)
                case .missing(let failure):
                    return .failure(.notFound, failure.description)
                }
            } catch {
                return .failure(.internalServerError, error.description)
            }
        }
    }
}
