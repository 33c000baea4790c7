import Foundation
import Hummingbird
import HTTPTypes
import KilnAPI
import KilnBMC
import KilnCore
import KilnHTTP
import KilnInventory
import KilnRender
import Logging
import NIOCore

/// The web dashboard under `/ui/` on the API's listener: pages rendered on
/// the server from Mustache templates, Kiln's own CSS and script, live
/// tile moves over Server-Sent Events. Reading needs any API token (or
/// client certificate); assigning needs a write one. See docs/dashboard.md.
public struct Dashboard: Sendable {
    public struct Configuration: Sendable {
        /// Cookies get `Secure` (the listener speaks HTTPS).
        public var secureCookies: Bool
        public var sessionLifetime: TimeInterval
        /// Machines per overview page by default, and at most.
        public var pageSize: Int
        public var maxPageSize: Int
        /// Live streams open at once; more are refused with 503.
        public var maxLiveStreams: Int

        public init(secureCookies: Bool = false, sessionLifetime: TimeInterval = 8 * 3600, pageSize: Int = 200, maxPageSize: Int = 1000,
                    maxLiveStreams: Int = 64) {
            self.secureCookies = secureCookies
            self.sessionLifetime = sessionLifetime
            self.pageSize = pageSize
            self.maxPageSize = maxPageSize
            self.maxLiveStreams = maxLiveStreams
        }
    }

    let configuration: Configuration
    let editor: CatalogEditor
    let inventory: InventoryStore?
    let catalog: SnapshotStore<CompiledCatalog>
    let lastLoad: LastLoad
    let tokens: APITokenTable
    let sessions: DashboardSessions
    let live: LiveUpdates
    let logger: Logger
    /// nil when BMC control is off: the machine page shows no BMC section.
    let bmc: BMCController?

    public init(configuration: Configuration, editor: CatalogEditor, inventory: InventoryStore?, catalog: SnapshotStore<CompiledCatalog>,
                lastLoad: LastLoad, tokens: APITokenTable, bmc: BMCController? = nil, logger: Logger) {
        self.bmc = bmc
        self.configuration = configuration
        self.editor = editor
        self.inventory = inventory
        self.catalog = catalog
        self.lastLoad = lastLoad
        self.tokens = tokens
        sessions = DashboardSessions(lifetime: configuration.sessionLifetime)
        live = LiveUpdates(inventory: inventory, limit: configuration.maxLiveStreams)
        self.logger = logger
    }

    static let sessionCookie = "kiln_session"
    static let loginCookie = "kiln_login"

    public func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/") { _, _ in Self.redirect("/ui/") }
        let ui = router.group("ui").add(middleware: DashboardGuard(dashboard: self))
        ui.get("/") { request, context in try await overview(request, context) }
        ui.get("machines/:mac") { request, context in try await machinePage(request, context) }
        ui.post("machines/:mac/assign") { request, context in try await assign(request, context) }
        ui.post("machines/:mac/bmc") { request, context in try await bmcAction(request, context) }
        ui.get("catalog") { request, context in try await catalogPage(request, context) }
        ui.get("events") { request, context in try await live.stream(request, context) }
        ui.get("login") { request, context in loginPage(request, context, problem: nil) }
        ui.post("login") { request, context in try await login(request, context) }
        ui.post("logout") { request, context in try await logout(request, context) }
        ui.get("static/:file") { _, context in try DashboardAssets.response(for: context.parameters.get("file") ?? "") }
    }

    // MARK: Pages

    func page(_ template: String, title: String, data: [String: Any], context: APIRequestContext, request: Request,
              status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let body = DashboardTemplates.library.render(data, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "body": body]
        layout["onMachines"] = template == "overview" || template == "machine"
        layout["onCatalog"] = template == "catalog"
        if let identity = context.identity {
            var user: [String: Any] = ["name": identity.name, "scope": identity.scope.rawValue]
            if let session = session(request) { user["csrf"] = session.session.csrf }
            layout["user"] = user
        }
        let html = DashboardTemplates.library.render(layout, withTemplate: "layout") ?? ""
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func problemPage(_ error: DashboardError, _ request: Request, _ context: APIRequestContext) -> Response {
        page("problem", title: error.heading, data: ["heading": error.heading, "message": error.message], context: context, request: request,
             status: error.status)
    }

    private func store() throws -> InventoryStore {
        guard let inventory else { throw DashboardError(.serviceUnavailable, "The inventory is off", "Start kiln serve with --inventory on to see machines.") }
        return inventory
    }

    private func inventoryRead<Value: Sendable>(_ read: @escaping @Sendable () throws -> Value) async throws -> Value {
        do {
            return try await NIOThreadPoolRunner.run(read)
        } catch {
            throw DashboardError(.serviceUnavailable, "The inventory cannot be read", "\(error)")
        }
    }

    func overview(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let store = try store()
        let query = request.uri.queryParameters
        func text(_ name: String) -> String? {
            guard let value = query[Substring(name)].map(String.init), !value.isEmpty else { return nil }
            return String(value.prefix(200))
        }
        var filter = InventoryStore.Filter()
        let stageName = text("stage")
        if let stageName {
            if stageName == "failed" {
                filter.failed = true
            } else if let stage = BootStage(name: stageName) {
                filter.stage = stage
            } else {
                throw DashboardError(.badRequest, "No such stage", "\"\(HTMLText.short(stageName, 40))\" is not one of \(MachineViews.displayStages.joined(separator: ", ")).")
            }
        }
        filter.group = text("group")
        filter.profile = text("profile")
        filter.text = text("q")
        let size = min(max(Int(query["size"] ?? "") ?? configuration.pageSize, 1), configuration.maxPageSize)
        let pageNumber = min(max(Int(query["page"] ?? "") ?? 1, 1), 1_000_000)
        filter.limit = size
        filter.offset = (pageNumber - 1) * size
        let chosen = filter
        let (machines, matching, counts) = try await inventoryRead {
            (try store.machines(chosen), try store.count(chosen), try store.stageCounts())
        }
        let now = Date()
        let tiles = machines.map { MachineViews.tile($0, now: now) }
        let columns: [[String: Any]] = MachineViews.displayStages.map { stage in
            let inColumn = tiles.filter { $0["display"] == stage }
            return ["stage": stage, "count": inColumn.count, "machines": inColumn]
        }
        var countItems: [[String: Any]] = BootStage.allCases.map { ["stage": $0.description, "count": HTMLText.count(counts.stages[$0] ?? 0)] }
        countItems.append(["stage": "failed", "count": HTMLText.count(counts.failed)])
        let total = counts.stages.values.reduce(0, +)
        var data: [String: Any] = [
            "total": HTMLText.count(total), "counts": countItems, "columns": columns,
            "stageOptions": MachineViews.displayStages.map { ["value": $0, "selected": $0 == stageName] },
            "group": filter.group ?? "", "profile": filter.profile ?? "", "q": filter.text ?? "",
        ]
        let first = filter.offset + 1
        let last = filter.offset + machines.count
        data["summary"] = machines.isEmpty
            ? "No machines on this page (\(HTMLText.count(matching)) match)."
            : "Machines \(HTMLText.count(first))–\(HTMLText.count(last)) of \(HTMLText.count(matching)), by MAC."
        if total == 0 { data["empty"] = "Kiln has not seen a machine yet: they appear here when they first ask (DHCP, TFTP or HTTP)." }
        var kept: [(String, String)] = []
        for name in ["stage", "group", "profile", "q"] { if let value = text(name) { kept.append((name, value)) } }
        if size != configuration.pageSize { kept.append(("size", String(size))) }
        func link(page: Int) -> String {
            var items = kept
            if page > 1 { items.append(("page", String(page))) }
            return "/ui/" + (items.isEmpty ? "" : "?" + items.map { "\($0)=\(Self.formEncode($1))" }.joined(separator: "&"))
        }
        if pageNumber > 1 { data["previous"] = link(page: pageNumber - 1) }
        if last < matching { data["next"] = link(page: pageNumber + 1) }
        data["here"] = link(page: pageNumber)
        data["liveURL"] = "/ui/events?macs=page"
        return page("overview", title: "Machines", data: data, context: context, request: request)
    }

    func machinePage(_ request: Request, _ context: APIRequestContext, problem: CatalogEditor.Refusal? = nil, form: [String: String] = [:],
                     bmcResult: (text: String, failed: Bool)? = nil) async throws -> Response
    {
        let mac = try macParameter(context)
        let store = try store()
        let (found, events) = try await inventoryRead { (try store.machine(mac.description), try store.events(for: mac.description, limit: 1000)) }
        guard let machine = found else {
            throw DashboardError(.notFound, "Machine not seen", "Kiln has not seen \(mac): it appears once it asks for anything.")
        }
        let hideContents = request.uri.queryParameters["contents"] == "hide"
        let timeline = BootTimeline(events: events)
        var data: [String: Any] = MachineViews.tile(machine)
        data["hostname"] = HTMLText.short(machine.labels["hostname"] ?? "", 2000)
        data["firstSeen"] = HTMLText.time(machine.firstSeen)
        data["address"] = machine.address ?? ""
        data["lastError"] = HTMLText.short(machine.lastError ?? "", 2000)
        data["timeline"] = timeline.svg
        let reached = timeline.firstReached.map { "\($0.0) +\(HTMLText.seconds($0.1))" }.joined(separator: ", ")
        data["timelineNote"] = timeline.points.isEmpty ? "No events are kept for this machine."
            : "Times since the boot's first event (power-on, as Kiln saw it). First reached: \(reached.isEmpty ? "nothing yet" : reached)."
                + (timeline.earlierEvents > 0 ? " \(timeline.earlierEvents) event(s) of earlier boots are listed below, not drawn." : "")
        data["events"] = MachineViews.events(timeline.points, earlier: Array(events.prefix(timeline.earlierEvents)))
        data["labels"] = machine.labels.keys.sorted().map { ["key": HTMLText.short($0, 200), "value": HTMLText.short(machine.labels[$0] ?? "", 4096)] }
        if let flash = request.uri.queryParameters["assigned"] { data["flash"] = "Assigned: group \(HTMLText.short(String(flash), 80)) now selects this machine." }
        let compiled = catalog.current
        let labels = MachineViews.labels(machine)
        if let compiled, let labels {
            let explanation = MatchExplanation(catalog: compiled.catalog, labels: labels)
            data["verdicts"] = explanation.entries.map { entry -> [String: String] in
                ["group": entry.group.id, "selectors": entry.group.selectorDescription, "verdict": entry.verdict.description,
                 "class": entry.verdict == .chosen ? "chosen" : ""]
            }
            switch compiled.catalog.match(labels) {
            case .success(let match):
                var chosen: [String: Any] = ["group": match.group.id, "selectors": match.group.selectorDescription, "groupPath": match.group.sourcePath,
                                             "profile": match.profile.id, "profilePath": match.profile.sourcePath]
                if match.profile.sourcePath.isEmpty { chosen["profilePath"] = nil }
                data["chosen"] = chosen
                let renderer = Renderer(compiled)
                data["ipxe"] = Self.document(renderer, .ipxe, match, labels)
                data["ignition"] = Self.document(renderer, .config(.ignition), match, labels, hideContents: hideContents)
            case .failure(let failure):
                // A failure can quote every label, and labels can be long.
                let reason = HTMLText.short(failure.description, 1000)
                data["unmatched"] = reason
                data["ipxe"] = "(nothing: \(reason))"
                data["ignition"] = "(nothing: \(reason))"
                if case .noGroup = failure {
                    data["assign"] = assignForm(mac: mac, catalog: compiled.catalog, context: context, request: request, problem: problem, form: form)
                }
            }
        } else {
            data["unmatched"] = compiled == nil ? "The catalog has not loaded: see the Catalog page." : "This machine's stored labels are not valid labels."
        }
        data["contentsHidden"] = hideContents
        if let record = bmc?.registry.record(mac.description) {
            var section = MachineViews.bmc(record)
            section["mayWrite"] = context.identity?.mayWrite ?? false
            if let session = session(request) { section["csrf"] = session.session.csrf }
            if let bmcResult { section["result"] = ["text": HTMLText.short(bmcResult.text, 2000), "failed": bmcResult.failed] }
            data["bmc"] = section
        }
        let status: HTTPResponse.Status = problem != nil ? .unprocessableContent : bmcResult?.failed == true ? .badGateway : .ok
        return page("machine", title: mac.description, data: data, context: context, request: request, status: status)
    }

    private func assignForm(mac: MACAddress, catalog: Catalog, context: APIRequestContext, request: Request, problem: CatalogEditor.Refusal?,
                            form: [String: String]) -> [String: Any] {
        let (record, _) = (try? CatalogEditor.assignment(of: mac, profile: "-", metadata: [:])) ?? (nil, [])
        var data: [String: Any] = [
            "groupName": record?.name ?? "",
            "profiles": catalog.profiles.keys.sorted().map { ["id": $0, "selected": $0 == form["profile"]] },
            "metadata": form["metadata"] ?? "",
            "mayWrite": context.identity?.mayWrite ?? false,
        ]
        if let session = session(request) { data["csrf"] = session.session.csrf }
        if let problem { data["problem"] = ["message": problem.message, "reasons": problem.reasons] }
        return data
    }

    static func document(_ renderer: Renderer, _ document: MachineDocument, _ match: Match, _ labels: Labels, hideContents: Bool = false) -> String {
        do {
            let answer = try renderer.answer(document, match, labels)
            guard let bytes = answer.bytes else { return "" }
            if case .config = document { return MachineViews.prettyJSON(bytes, hideContents: hideContents) }
            return String(decoding: bytes, as: UTF8.self)
        } catch {
            return "(nothing: \(HTMLText.short(error.description, 1000)))"
        }
    }

    func assign(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let mac = try macParameter(context)
        let form = try await checkedForm(request, context)
        guard let credential = context.identity, credential.mayWrite else {
            throw DashboardError(.forbidden, "Read-only token", "The token this session logged in with may only read; log in with a write token to assign.")
        }
        let profile = form["profile"] ?? ""
        let metadataText = (form["metadata"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var metadata: [String: Any] = [:]
        if !metadataText.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(metadataText.utf8)) as? [String: Any] else {
                let refusal = CatalogEditor.Refusal.invalidInput("Metadata must be a JSON object, such as {\"role\": \"worker\"}.")
                return try await machinePage(request, context, problem: refusal, form: form)
            }
            metadata = object
        }
        guard !profile.isEmpty else {
            return try await machinePage(request, context, problem: .invalidInput("Choose a profile."), form: form)
        }
        let (record, document) = try CatalogEditor.assignment(of: mac, profile: profile, metadata: metadata)
        do {
            _ = try await editor.write(record, bytes: document, precondition: .init(), by: credential.name + " (dashboard)")
        } catch {
            if error.kind == .unavailable { throw DashboardError(.serviceUnavailable, "Not written", error.message) }
            return try await machinePage(request, context, problem: error, form: form)
        }
        return Self.redirect("/ui/machines/\(mac)?assigned=\(record.name)")
    }

    /// One BMC action from the machine page's buttons, answered with the
    /// page and the BMC's answer on it.
    func bmcAction(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let mac = try macParameter(context)
        let form = try await checkedForm(request, context)
        guard let credential = context.identity, credential.mayWrite else {
            throw DashboardError(.forbidden, "Read-only token", "The token this session logged in with may only read; log in with a write token to act on a BMC.")
        }
        guard let bmc else { throw DashboardError(.serviceUnavailable, "BMC control is off", "This server runs with --bmc off.") }
        let action = form["action"] ?? ""
        let outcome: BMCController.Outcome
        do {
            switch action {
            case "power-on": outcome = try await bmc.power(mac, .on)
            case "power-off": outcome = try await bmc.power(mac, .off)
            case "power-cycle": outcome = try await bmc.power(mac, .cycle)
            case "power-status": outcome = try await bmc.power(mac, .status)
            case "netboot": outcome = try await bmc.netboot(mac)
            case "install-iso": outcome = try await bmc.installISO(mac, netbootCD: false)
            case "netboot-cd": outcome = try await bmc.installISO(mac, netbootCD: true)
            case "eject": outcome = try await bmc.ejectMedia(mac)
            case "facts": outcome = try await bmc.refreshFacts(mac)
            default:
                throw DashboardError(.badRequest, "Unknown action", "\(HTMLText.short(action, 40)) is not a BMC action.")
            }
        } catch let refusal as BMCController.Refusal {
            logger.info("dashboard: bmc action refused", metadata: ["mac": "\(mac)", "by": "\(credential.name)"])
            return try await machinePage(request, context, bmcResult: (refusal.message, true))
        }
        let text = "\(outcome.action): \(outcome.summary)" + outcome.notes.map { "; " + $0 }.joined()
        return try await machinePage(request, context, bmcResult: (text, false))
    }

    func catalogPage(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        var data: [String: Any] = [:]
        if let report = lastLoad.report {
            data["loadClass"] = report.loaded ? "ok" : "failed"
            data["loadSummary"] = (report.loaded ? "Loaded" : "NOT loaded; the previous catalog keeps serving")
                + " at \(HTMLText.time(report.time)) (\(report.reason)): \(report.errors.count) error(s), \(report.warnings.count) warning(s)."
            data["errors"] = report.errors.prefix(500).map { HTMLText.short($0, 2000) }
            data["warnings"] = report.warnings.prefix(500).map { HTMLText.short($0, 2000) }
            data["hasErrors"] = !report.errors.isEmpty
            data["hasWarnings"] = !report.warnings.isEmpty
        } else {
            data["loadClass"] = "failed"
            data["loadSummary"] = "The catalog has not been loaded yet."
        }
        guard let compiled = catalog.current else {
            return page("catalog", title: "Catalog", data: data, context: context, request: request)
        }
        let catalog = compiled.catalog
        // Which group each recorded machine's labels select now (not what it was given last time).
        let scanLimit = 20_000
        var selected: [String: [String]] = [:]
        var scanned = 0
        if let inventory {
            let machines = try await inventoryRead { try inventory.machines(.init(limit: scanLimit)) }
            scanned = machines.count
            for machine in machines {
                guard let labels = MachineViews.labels(machine), let group = catalog.selectGroup(labels) else { continue }
                selected[group.id, default: []].append(machine.mac)
            }
        }
        data["matchNote"] = inventory == nil ? "The inventory is off: no machines to match."
            : "Each of the \(HTMLText.count(scanned)) recorded machines\(scanned == scanLimit ? " (the first \(HTMLText.count(scanLimit)) by MAC)" : "") matched with its stored labels against the catalog as it is now."
        data["groups"] = catalog.groups.map { group -> [String: Any] in
            let macs = selected[group.id] ?? []
            return ["id": group.id, "name": group.name, "selectors": group.selectorDescription, "profile": group.profile,
                    "count": macs.count, "macs": Array(macs.prefix(12)), "more": macs.count > 12 ? "and \(macs.count - 12) more" : ""]
        }
        data["profiles"] = catalog.profiles.keys.sorted().map { id -> [String: Any] in
            let profile = catalog.profiles[id]
            let groups = catalog.groups.filter { $0.profile == id }
            return ["id": id, "path": profile?.sourcePath ?? "", "kernel": profile?.boot?.kernel ?? "",
                    "groups": groups.map(\.id).joined(separator: ", "), "count": groups.reduce(0) { $0 + (selected[$1.id]?.count ?? 0) }]
        }
        return page("catalog", title: "Catalog", data: data, context: context, request: request)
    }

    // MARK: Login

    func loginPage(_ request: Request, _ context: APIRequestContext, problem: String?, status: HTTPResponse.Status = .ok) -> Response {
        let csrf = DashboardSessions.randomToken()
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        var data: [String: Any] = ["csrf": csrf, "next": next]
        if let problem { data["problem"] = problem }
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: cookie(Self.loginCookie, csrf, path: "/ui/login", maxAge: 3600)))
        return page("login", title: "Log in", data: data, context: context, request: request, status: status, headers: headers)
    }

    func login(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let form = try await Self.form(request)
        guard let expected = Self.cookies(request)[Self.loginCookie], let sent = form["csrf"], DashboardSessions.same(expected, sent) else {
            return loginPage(request, context, problem: "The login form was stale (or cookies are off): try again.", status: .forbidden)
        }
        guard let token = form["token"]?.trimmingCharacters(in: .whitespacesAndNewlines), let credential = tokens.credential(for: token) else {
            logger.notice("dashboard: failed login", metadata: ["client": "\(context.remoteAddress?.description ?? "?")"])
            return loginPage(request, context, problem: "That token is not in the tokens file (revoked, or mistyped).", status: .unauthorized)
        }
        let (id, _) = sessions.open(for: credential.name)
        logger.notice("dashboard: login", metadata: ["credential": "\(credential.name)", "client": "\(context.remoteAddress?.description ?? "?")"])
        var response = Self.redirect(Self.safeNext(form["next"]))
        response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, id, path: "/ui", maxAge: Int(configuration.sessionLifetime))))
        response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.loginCookie, "", path: "/ui/login", maxAge: 0)))
        return response
    }

    func logout(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        _ = try await checkedForm(request, context)
        if let id = Self.cookies(request)[Self.sessionCookie] { sessions.close(id) }
        var response = Self.redirect("/ui/login")
        response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, "", path: "/ui", maxAge: 0)))
        return response
    }

    // MARK: Helpers

    /// The session a request's cookie names, when it is still good.
    func session(_ request: Request) -> (id: String, session: DashboardSessions.Session)? {
        guard let id = Self.cookies(request)[Self.sessionCookie], let session = sessions.session(id),
              tokens.credential(named: session.tokenName) != nil else { return nil }
        return (id, session)
    }

    /// The form's fields, after checking that a browser meant to send it:
    /// a session's form carries its CSRF token. A bearer token is never
    /// sent by a browser on its own, so scripts using one need none.
    func checkedForm(_ request: Request, _ context: APIRequestContext) async throws -> [String: String] {
        let form = try await Self.form(request)
        guard request.headers[.authorization] == nil else { return form }
        if let (_, session) = session(request) {
            guard let sent = form["csrf"], DashboardSessions.same(sent, session.csrf) else {
                throw DashboardError(.forbidden, "Form refused", "The form's CSRF token is missing or stale: reload the page and send it again.")
            }
        } else {
            // A client certificate is sent by the browser on its own, like a
            // cookie, but has no session to hold a token: the form must come
            // from this listener's own pages (browsers always send Origin on a POST).
            let host = request.head.authority ?? ""
            guard let origin = request.headers[.origin], !host.isEmpty, origin == "https://" + host || origin == "http://" + host else {
                throw DashboardError(.forbidden, "Form refused", "A form sent with a client certificate must come from the dashboard's own pages.")
            }
        }
        return form
    }

    func cookie(_ name: String, _ value: String, path: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (configuration.secureCookies ? "; Secure" : "")
    }

    static func cookies(_ request: Request) -> [String: String] {
        var found: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let name = pair[0].trimmingCharacters(in: .whitespaces)
                if found[name] == nil { found[name] = pair[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return found
    }

    static let maxFormBody = 256 << 10

    static func form(_ request: Request) async throws -> [String: String] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxFormBody)
        } catch is NIOTooManyBytesError {
            throw DashboardError(.contentTooLarge, "Form too large", "A form may hold at most \(maxFormBody / 1024) KiB.")
        }
        var fields: [String: String] = [:]
        for part in String(buffer: buffer).split(separator: "&") {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(pair[0]), let value = pair.count > 1 ? decode(pair[1]) : "" else {
                throw DashboardError(.badRequest, "Malformed form", "The form's encoding is malformed.")
            }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// Where a login may send the browser: a dashboard path only, never
    /// another site (`//host`, `/\host`, schemes).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/ui/"), !next.contains("\\"), !next.contains("//"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else { return "/ui/" }
        return next
    }

    private func macParameter(_ context: APIRequestContext) throws -> MACAddress {
        let text = (context.parameters.get("mac") ?? "").removingPercentEncoding ?? ""
        guard let mac = MACAddress(text) else {
            throw DashboardError(.badRequest, "Not a MAC address", "\"\(HTMLText.short(text, 40))\" is not a MAC address such as 52:54:00:12:34:56.")
        }
        return mac
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

extension CatalogEditor.Refusal {
    /// A form mistake found before the editor is asked.
    static func invalidInput(_ message: String) -> CatalogEditor.Refusal {
        CatalogEditor.Refusal(kind: .invalid, message: message)
    }
}

/// A refusal shown as a page: a heading and one line.
struct DashboardError: Error {
    var status: HTTPResponse.Status
    var heading: String
    var message: String

    init(_ status: HTTPResponse.Status, _ heading: String, _ message: String) {
        self.status = status
        self.heading = heading
        self.message = message
    }
}
