import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KilnCore
import KilnHTTP
import KilnRender
import Logging
import Synchronization
import Testing

/// A catalog held in memory: the `CatalogSource` seam with no directory
/// behind it, as API writes and a store will be. `publish` replaces the
/// files and announces the change, as a pushing source does.
final class InMemorySource: CatalogSource {
    private let files: Mutex<[String: String]>
    private let continuations = Mutex<[AsyncStream<String>.Continuation]>([])

    init(_ files: [String: String]) {
        self.files = Mutex(files)
    }

    var origin: String { "memory" }

    func snapshot() -> CatalogSnapshot {
        let files = self.files.withLock { $0 }
        func entries(_ folder: String) -> [CatalogFile] {
            files.keys.filter { $0.hasPrefix(folder + "/") && $0.hasSuffix(".json") }.sorted()
                .map { CatalogFile(path: $0, bytes: Array(files[$0]!.utf8)) }
        }
        var templates: [String: CatalogFile] = [:]
        for (path, text) in files where !path.hasPrefix("groups/") && !path.hasPrefix("profiles/") {
            templates[path] = CatalogFile(path: path, bytes: Array(text.utf8))
        }
        return CatalogSnapshot(groups: entries("groups"), profiles: entries("profiles"), templates: templates)
    }

    func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        continuations.withLock { $0.append(continuation) }
        return stream
    }

    func publish(_ files: [String: String]) {
        self.files.withLock { $0 = files }
        for continuation in continuations.withLock({ $0 }) { continuation.yield("published") }
    }
}

/// Captures what the request log emits, one line per request.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "kiln-test") { _ in CapturingHandler(log: self) }
    }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.lines.withLock { $0.append("\(event.level) \(event.message)") }
        }
    }
}

/// Kiln's route table over an in-memory catalog, called in process through
/// HummingbirdTesting: the endpoints' logic without sockets or files.
struct InProcessRoutes: Sendable {
    let client: any TestClientProtocol
    let log: CapturedLog

    /// The answer in the shape the curl tests read.
    func get(_ path: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:]) async throws -> CurlResult {
        try await client.execute(uri: path, method: method, headers: headers) { response in
            var names: [String: String] = [:]
            for field in response.headers { names[field.name.canonicalName] = field.value }
            return CurlResult(status: Int(response.status.code), headers: names, body: Data(buffer: response.body))
        }
    }
}

/// Loads `files` through the source seam and the reloader, then runs `body`
/// against the routes. With `load: false` nothing is loaded (503s).
func withRoutes(files: [String: String], assetsPath: String = "/nonexistent/kiln-assets", load: Bool = true,
                _ body: @Sendable (InProcessRoutes) async throws -> Void) async throws {
    let store = SnapshotStore<CompiledCatalog>()
    let metrics = KilnMetrics()
    let captured = CapturedLog()
    let logger = captured.logger
    if load {
        let reloader = CatalogReloader(source: InMemorySource(files), store: store, metrics: metrics, logger: Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() })
        #expect(await reloader.reload(reason: "test"))
    }
    let routes = KilnRoutes(store: store, assetsPath: assetsPath, metrics: metrics, logger: logger)
    let app = Application(router: routes.makeRouter(), logger: logger)
    try await app.test(.router) { client in
        try await body(InProcessRoutes(client: client, log: captured))
    }
}

