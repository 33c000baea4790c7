import Hummingbird
import KilnCore
import KilnISO
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
    let iso: ISOEndpoints

    /// - Parameter publicURL: Kiln's URL as machines reach it, for
    ///   `/netboot.iso`; nil takes each request's Host.
    public init(store: SnapshotStore<CompiledCatalog>, assetsPath: String, metrics: KilnMetrics, logger: Logger,
                publicURL: String? = nil, netbootSources: NetbootSources? = nil) {
        self.store = store
        self.assets = AssetResponder(root: assetsPath)
        self.metrics = metrics
        self.logger = logger
        self.iso = ISOEndpoints(publicURL: publicURL, netbootSources: netbootSources ?? NetbootSources.standard(assetsPath: assetsPath))
    }

    public func makeRouter() -> Router<KilnRequestContext> {
        let router = Router(context: KilnRequestContext.self)
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
        route(router, "/configdrive.iso", endpoint: "configdrive") { request in
            await configDriveISO(request)
        }
        route(router, "/installer.iso", endpoint: "installer") { request in
            await installerISO(request)
        }
        route(router, "/ignition.img", endpoint: "ignition.img") { request in
            ignitionInitrd(request)
        }
        route(router, "/netboot.iso", endpoint: "netboot") { request in
            await iso.netboot(request)
        }
        route(router, "/assets/**", endpoint: "assets") { request in
            await assets.reply(to: request)
        }
        // Anything else: say what exists instead of an empty 404.
        route(router, "/**", endpoint: "unknown") { request in
            .failure(.notFound, "no endpoint \(request.uri.path); Kiln serves /boot.ipxe /ipxe /grub /metadata /ignition /generic /cloud /configdrive.iso /netboot.iso /installer.iso /ignition.img /assets/ /metrics /healthz")
        }
        return router
    }

    private func route(
        _ router: Router<KilnRequestContext>, _ path: RouterPath, endpoint: String,
        methods: [HTTPRequest.Method] = [.get, .head],
        _ handler: @escaping @Sendable (Request) async -> Reply
    ) {
        for method in methods {
            router.on(path, method: method) { request, context in
                let reply = await handler(request)
                record(request, endpoint: endpoint, reply: reply, client: context.remoteAddress)
                return reply.response()
            }
        }
        // Kiln only serves: other methods get 405 and what is allowed,
        // rather than an empty 404 for a path that exists.
        for method in [HTTPRequest.Method.post, .put, .delete, .patch, .options] where !methods.contains(method) {
            router.on(path, method: method) { request, context in
                var reply = Reply.failure(.methodNotAllowed, "method \(request.method.rawValue) is not allowed: Kiln's endpoints answer GET and HEAD")
                reply.headers[.allow] = "GET, HEAD"
                record(request, endpoint: endpoint, reply: reply, client: context.remoteAddress)
                return reply.response()
            }
        }
    }

    private func record(_ request: Request, endpoint: String, reply: Reply, client: SocketAddress?) {
        metrics.request(endpoint: endpoint, status: Int(reply.status.code))
        if let group = reply.group { metrics.matched(group: group) }
        let level: Logger.Level = reply.status.code >= 500 ? .error : (reply.reason != nil || !reply.warnings.isEmpty ? .warning : .info)
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
        field("butane_warnings", reply.warnings.isEmpty ? nil : reply.warnings.joined(separator: "; "))
        field("client", client?.ipAddress)
        logger.log(level: level, "\(line)")
    }

    /// Parses labels, matches, and hands the result on, or answers the
    /// failure: 503 before the first load, 400 for a bad MAC, 404 naming the
    /// labels or the missing profile.
    /// - Parameter query: the labels' query, when not the request's own.
    private func matched(_ request: Request, query: String? = nil, _ answer: (Labels, Renderer, Match) -> Reply) -> Reply {
        guard let compiled = store.current else {
            return .failure(.serviceUnavailable, "data directory not loaded yet")
        }
        let labels: Labels
        do {
            labels = try Labels(query: query ?? request.uri.query ?? "")
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

    private enum Preparation<Value> {
        case ready(Value, warnings: [String] = [])
        case refused(Reply)
    }

    /// Matches the machine and prepares what an answer built afterwards
    /// (an image) needs, or the reply saying why it cannot be. The reply
    /// carries the labels, group and profile either way.
    private func prepare<Value>(_ request: Request, query: String? = nil,
                                _ make: (Labels, Renderer, Match) throws(RenderError) -> Preparation<Value>) -> (Reply, Value?) {
        var value: Value?
        let reply = matched(request, query: query) { labels, renderer, match in
            do throws(RenderError) {
                switch try make(labels, renderer, match) {
                case .ready(let made, let warnings):
                    value = made
                    var ready = Reply.text("")
                    ready.warnings = warnings
                    return ready
                case .refused(let refusal):
                    return refusal
                }
            } catch {
                return .failure(.internalServerError, error.description)
            }
        }
        return (reply, value)
    }

    private func configDriveISO(_ request: Request) async -> Reply {
        let (formatName, query) = ISOEndpoints.splitFormat(request.uri.query ?? "")
        guard let format = ConfigDriveFormat(rawValue: formatName ?? ConfigDriveFormat.openStack.rawValue) else {
            return .failure(.badRequest, "format \"\(formatName ?? "")\" is not \(ConfigDriveFormat.names)")
        }
        let (reply, contents) = prepare(request, query: query) { labels, renderer, match throws(RenderError) -> Preparation<ConfigDriveContents> in
            switch try renderer.configDrive(match, labels) {
            case .contents(let found, let warnings): return .ready(found, warnings: warnings)
            case .unavailable(let reason): return .refused(.failure(.notFound, reason))
            }
        }
        guard let contents else { return reply }
        let machine = reply.labels?.values["mac"].map { $0.replacingOccurrences(of: ":", with: "-") } ?? reply.group ?? "machine"
        let answer: Reply
        switch await ISOEndpoints.offload({ try ConfigDrive.build(format, contents) }) {
        case .success(let image): answer = ISOEndpoints.reply(image, filename: "\(machine)-\(format.rawValue).iso")
        case .failure(let error): answer = .failure(.internalServerError, "config drive: \(error)")
        }
        return answer.carryingMatch(of: reply)
    }

    /// The machine's rendered Ignition, or the reply explaining why not.
    private func machineIgnition(_ request: Request, _ also: (Match) -> Reply?) -> (Reply, [UInt8]?) {
        prepare(request) { labels, renderer, match throws(RenderError) -> Preparation<[UInt8]> in
            if let refusal = also(match) { return .refused(refusal) }
            switch try renderer.config(.ignition, match, labels) {
            case .rendered(let config): return .ready(config.bytes, warnings: config.warnings)
            case .missing(let failure): return .refused(.failure(.notFound, failure.description))
            }
        }
    }

    /// An initrd holding the machine's `config.ign`, for kernels booted
    /// with it as an extra initrd (the PXE counterpart of the ISO embed).
    private func ignitionInitrd(_ request: Request) -> Reply {
        let (reply, ignition) = machineIgnition(request) { _ in nil }
        guard let ignition else { return reply }
        let answer: Reply
        do {
            answer = .bytes(try Initrd.build([ISOFile("config.ign", ignition)]), contentType: "application/octet-stream")
        } catch {
            answer = .failure(.internalServerError, "initrd: \(error)")
        }
        return answer.carryingMatch(of: reply)
    }

    private func installerISO(_ request: Request) async -> Reply {
        var spec: InstallerSpec?
        let (reply, ignition) = machineIgnition(request) { match in
            spec = match.profile.installer
            return spec == nil ? .failure(.notFound, "profile \"\(match.profile.id)\" has no installer_iso") : nil
        }
        guard let ignition, let spec else { return reply }
        return await iso.installer(request, ignition: ignition, spec: spec, assetsRoot: assets.root).carryingMatch(of: reply)
    }

    private func configFile(_ request: Request, kind: TemplateKind) -> Reply {
        matched(request) { labels, renderer, match in
            do throws(RenderError) {
                switch try renderer.config(kind, match, labels) {
                case .rendered(let config):
                    var reply = Reply.bytes(config.bytes, contentType: config.contentType)
                    reply.warnings = config.warnings
                    return reply
                case .missing(let failure):
                    return .failure(.notFound, failure.description)
                }
            } catch {
                return .failure(.internalServerError, error.description)
            }
        }
    }
}
