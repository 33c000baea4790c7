import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KilnAPI
import KilnCore
import KilnDashboard
import KilnHTTP
import KilnInventory
import Logging
import NIOCore
import Testing

/// The API listener with the dashboard on it, in process, over a fresh
/// data directory and inventory, with a write and a read token.
struct DashboardHarness {
    let root: String
    let dataPath: String
    let writeToken: String
    let readToken: String
    let inventory: InventoryStore
    let tokens: APITokenTable
    let server: KilnServer
    let application: Application<RouterResponder<APIRequestContext>>

    static let profile = #"{"id": "worker", "boot": {"kernel": "/assets/vmlinuz", "initrd": ["/assets/initrd"], "args": ["console=ttyS0"]}, "ignition_id": "worker.yaml"}"#
    static let ignition = """
        variant: fcos
        version: 1.5.0
        storage:
          files:
            - path: /etc/hostname
              contents:
                inline: worker
        """

    static func make(_ configuration: Dashboard.Configuration = .init()) async throws -> DashboardHarness {
        let root = NSTemporaryDirectory() + "kiln-ui-" + UUID().uuidString
        let dataPath = root + "/data"
        for folder in ["groups", "profiles", "ignition", "generic", "cloud", "assets"] {
            try FileManager.default.createDirectory(atPath: dataPath + "/" + folder, withIntermediateDirectories: true)
        }
        try profile.write(toFile: dataPath + "/profiles/worker.json", atomically: true, encoding: .utf8)
        try ignition.write(toFile: dataPath + "/ignition/worker.yaml", atomically: true, encoding: .utf8)
        try #"{"id": "rack1", "profile": "worker", "selector": {"rack": "1", "zone": "a"}}"#.write(toFile: dataPath + "/groups/rack1.json", atomically: true, encoding: .utf8)
        let tokensPath = root + "/tokens"
        let writeToken = try APITokenFile.add(name: "admin", scope: .write, path: tokensPath)
        let readToken = try APITokenFile.add(name: "viewer", scope: .read, path: tokensPath)
        let inventory = try InventoryStore(folder: root + "/state")
        let logger = Logger(label: "kiln-ui-test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = KilnServer(configuration: .init(host: "127.0.0.1", port: 0, dataPath: dataPath, assetsPath: dataPath + "/assets"), logger: logger)
        #expect(await server.reloader.reload(reason: "test"))
        let source = try #require(server.reloader.source as? any WritableCatalogSource)
        let editor = CatalogEditor(source: source, reloader: server.reloader, logger: logger)
        let api = try APIServer(configuration: .init(host: "127.0.0.1", port: 0, tokensPath: tokensPath), editor: editor, inventory: inventory, logger: logger)
        let dashboard = Dashboard(configuration: configuration, editor: editor, inventory: inventory, catalog: server.store,
                                  lastLoad: server.reloader.lastLoad, tokens: api.tokenTable, logger: logger)
        let router = api.serving { dashboard.addRoutes(to: $0) }.router()
        return DashboardHarness(root: root, dataPath: dataPath, writeToken: writeToken, readToken: readToken, inventory: inventory, tokens: api.tokenTable,
                                server: server, application: Application(router: router))
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Records one event for a machine, as the recorder would.
    func record(_ mac: String, endpoint: String = "/ipxe", status: Int = 200, reached: BootStage, labels: [String: String] = [:],
                group: String? = nil, profile: String? = nil, reason: String? = nil, time: Date = Date(), startsBoot: Bool = false) throws {
        let event = BootEvent(time: time, kind: .http, mac: mac, client: "127.0.0.1", endpoint: endpoint, target: endpoint, status: status,
                              reason: reason, labels: labels, group: group, profile: profile)
        try inventory.apply([InventoryEntry(event: event, mac: mac, reached: reached, startsBoot: startsBoot)])
    }
}

struct Page {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
    var cookies: [String] { headers[values: .setCookie] }
}

extension TestClientProtocol {
    func page(_ uri: String, token: String? = nil, cookie: String? = nil) async throws -> Page {
        try await page(.get, uri, token: token, cookie: cookie)
    }

    func page(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, cookie: String? = nil, form: [String: String]? = nil) async throws
        -> Page
    {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer " + token }
        if let cookie { headers[.cookie] = cookie }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            body = ByteBuffer(string: form.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&"))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            Page(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }
}

func withDashboard(_ configuration: Dashboard.Configuration = .init(),
                   _ body: @escaping @Sendable (DashboardHarness, any TestClientProtocol) async throws -> Void) async throws {
    let harness = try await DashboardHarness.make(configuration)
    defer { harness.cleanUp() }
    try await harness.application.test(.live) { client in
        try await body(harness, client)
    }
}

/// The value of `name="csrf"` in a page's first form.
func csrfField(_ html: String) -> String? {
    guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
    return String(html[range.upperBound...].prefix { $0 != "\"" })
}

/// `name=value` of a Set-Cookie header.
func cookiePair(_ setCookie: [String], _ name: String) -> String? {
    setCookie.first { $0.hasPrefix(name + "=") }.map { String($0.prefix { $0 != ";" }) }
}
