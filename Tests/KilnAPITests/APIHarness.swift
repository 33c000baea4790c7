import Foundation
import KilnAPI
import KilnBMC
import KilnCore
import KilnHTTP
import KilnInventory
import Logging
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Kiln's boot listener and its API listener on loopback ports the kernel
/// chose, over a fresh data directory, with a write and a read token.
final class APIHarness: Sendable {
    let root: String
    let dataPath: String
    let bootPort: Int
    let apiPort: Int
    let writeToken: String
    let readToken: String
    let inventory: InventoryStore?
    let server: KilnServer
    let bmc: BMCController?
    private let task: Task<Void, any Error>

    static let profile = #"{"id": "worker", "boot": {"kernel": "/assets/vmlinuz", "initrd": ["/assets/initrd"], "args": ["console=ttyS0"]}}"#
    static let otherProfile = #"{"id": "storage", "boot": {"kernel": "/assets/storage-vmlinuz", "args": []}}"#

    static func start(inventory: Bool = true, bmc bmcOn: Bool = false, kilnURL: String? = nil) async throws -> APIHarness {
        let root = NSTemporaryDirectory() + "kiln-api-" + UUID().uuidString
        let dataPath = root + "/data"
        for folder in ["groups", "profiles", "ignition", "generic", "cloud", "assets"] {
            try FileManager.default.createDirectory(atPath: dataPath + "/" + folder, withIntermediateDirectories: true)
        }
        try profile.write(toFile: dataPath + "/profiles/worker.json", atomically: true, encoding: .utf8)
        try otherProfile.write(toFile: dataPath + "/profiles/storage.json", atomically: true, encoding: .utf8)
        try #"{"id": "default", "profile": "worker"}"#.write(toFile: dataPath + "/groups/default.json", atomically: true, encoding: .utf8)
        let tokensPath = root + "/tokens"
        let writeToken = try APITokenFile.add(name: "admin", scope: .write, path: tokensPath)
        let readToken = try APITokenFile.add(name: "viewer", scope: .read, path: tokensPath)
        let store = inventory ? try InventoryStore(folder: root + "/state") : nil

        let logger = Logger(label: "kiln-api-test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = KilnServer(configuration: .init(host: "127.0.0.1", port: 0, dataPath: dataPath, assetsPath: dataPath + "/assets",
                                                     pollInterval: .milliseconds(200)),
                                logger: logger)
        let source = try #require(server.reloader.source as? any WritableCatalogSource)
        let editor = CatalogEditor(source: source, reloader: server.reloader, logger: logger)
        var bmc: BMCController?
        if bmcOn {
            var settings = BMCController.Settings()
            settings.kilnURL = kilnURL
            settings.timing.readRetries = 0
            // No recorder here: the events go straight into the store.
            bmc = BMCController(registry: try BMCRegistry(folder: root + "/state"), settings: settings, logger: logger,
                                recordEvent: { event in
                                    try? store?.apply([InventoryEntry(event: event, mac: event.mac ?? "", reached: .discovered, startsBoot: false)])
                                })
        }
        let (ports, continuation) = AsyncStream.makeStream(of: (String, Int).self)
        let api = try APIServer(configuration: .init(host: "127.0.0.1", port: 0, tokensPath: tokensPath), editor: editor,
                                inventory: store, bmc: bmc, logger: logger, onListening: { continuation.yield(("api", $0)) })
        let task = Task {
            try await server.run(alongside: [api]) { continuation.yield(("boot", $0)) }
        }
        var bound: [String: Int] = [:]
        for await (name, port) in ports {
            bound[name] = port
            if bound.count == 2 { break }
        }
        for _ in 0..<100 where server.store.current == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let bootPort = bound["boot"], let apiPort = bound["api"], server.store.current != nil else {
            task.cancel()
            throw HarnessError.didNotStart
        }
        return APIHarness(root: root, dataPath: dataPath, bootPort: bootPort, apiPort: apiPort, writeToken: writeToken, readToken: readToken,
                          inventory: store, server: server, bmc: bmc, task: task)
    }

    private init(root: String, dataPath: String, bootPort: Int, apiPort: Int, writeToken: String, readToken: String, inventory: InventoryStore?,
                 server: KilnServer, bmc: BMCController?, task: Task<Void, any Error>) {
        self.bmc = bmc
        self.root = root
        self.dataPath = dataPath
        self.bootPort = bootPort
        self.apiPort = apiPort
        self.writeToken = writeToken
        self.readToken = readToken
        self.inventory = inventory
        self.server = server
        self.task = task
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: root)
    }

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }
    }

    /// One API request; `token` nil sends no credential.
    func api(_ method: String, _ path: String, token: String? = "", body: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        try await request(port: apiPort, method, path, token: token == "" ? writeToken : token, body: body.map { Data($0.utf8) }, headers: headers)
    }

    func api(_ method: String, _ path: String, bytes: Data, headers: [String: String] = [:]) async throws -> Reply {
        try await request(port: apiPort, method, path, token: writeToken, body: bytes, headers: headers)
    }

    func boot(_ path: String) async throws -> Reply {
        try await request(port: bootPort, "GET", path, token: nil, body: nil, headers: [:])
    }

    private func request(port: Int, _ method: String, _ path: String, token: String?, body: Data?, headers: [String: String]) async throws -> Reply {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")), timeoutInterval: 30)
        request.httpMethod = method
        if let token { request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    func file(_ relative: String) -> String? {
        FileManager.default.contents(atPath: dataPath + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }
}

enum HarnessError: Error {
    case didNotStart
}

func withAPI(inventory: Bool = true, bmc: Bool = false, kilnURL: String? = nil, _ body: (APIHarness) async throws -> Void) async throws {
    let harness = try await APIHarness.start(inventory: inventory, bmc: bmc, kilnURL: kilnURL)
    do {
        try await body(harness)
    } catch {
        await harness.stop()
        throw error
    }
    await harness.stop()
}
