import Foundation
import KilnTestSupport
import KilnCore
import KilnHTTP
import Logging
import Testing

/// A `KilnServer` on a loopback port chosen by the kernel, over a data
/// directory and an assets directory in a fresh temporary folder.
final class TestServer: Sendable {
    let root: String
    let dataPath: String
    let assetsPath: String
    let port: Int
    let server: KilnServer
    private let task: Task<Void, any Error>

    var base: String { "http://127.0.0.1:\(port)" }

    static func start(files: [String: String] = [:], assets: [String: String] = [:], pollInterval: Duration = .milliseconds(200),
                      limits: HTTPLimits = HTTPLimits(), subscriber: (@Sendable (RequestRecord) -> Void)? = nil) async throws -> TestServer {
        let root = NSTemporaryDirectory() + "kiln-http-" + UUID().uuidString
        let dataPath = root + "/data"
        let assetsPath = root + "/assets"
        for folder in ["groups", "profiles", "ignition", "generic", "cloud"] {
            try FileManager.default.createDirectory(atPath: dataPath + "/" + folder, withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(atPath: assetsPath, withIntermediateDirectories: true)
        for (name, contents) in files { try write(dataPath + "/" + name, contents) }
        for (name, contents) in assets { try write(assetsPath + "/" + name, contents) }
        return try await start(root: root, dataPath: dataPath, assetsPath: assetsPath, pollInterval: pollInterval, limits: limits,
                               subscriber: subscriber)
    }

    static func start(root: String, dataPath: String, assetsPath: String, pollInterval: Duration = .milliseconds(200),
                      limits: HTTPLimits = HTTPLimits(), subscriber: (@Sendable (RequestRecord) -> Void)? = nil) async throws -> TestServer {
        var configuration = KilnServer.Configuration(host: "127.0.0.1", port: 0, dataPath: dataPath, assetsPath: assetsPath, pollInterval: pollInterval)
        configuration.limits = limits
        configuration.subscriber = subscriber
        let server = KilnServer(
            configuration: configuration,
            logger: Logger(label: "kiln-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task {
            try await server.run { port in
                continuation.yield(port)
                continuation.finish()
            }
        }
        var port = 0
        for await bound in ports { port = bound }
        guard port > 0 else {
            task.cancel()
            throw TestServerError.didNotStart
        }
        // The first load runs beside the listener: wait for it, bounded.
        for _ in 0..<100 where server.store.current == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        return TestServer(root: root, dataPath: dataPath, assetsPath: assetsPath, port: port, server: server, task: task)
    }

    private init(root: String, dataPath: String, assetsPath: String, port: Int, server: KilnServer, task: Task<Void, any Error>) {
        self.root = root
        self.dataPath = dataPath
        self.assetsPath = assetsPath
        self.port = port
        self.server = server
        self.task = task
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: root)
    }

    static func write(_ path: String, _ contents: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func writeData(_ name: String, _ contents: String) throws {
        try Self.write(dataPath + "/" + name, contents)
    }

    /// GET (or whatever `arguments` say) with curl, the client operators use.
    func curl(_ path: String, _ arguments: [String] = []) async throws -> CurlResult {
        try await Curl.run(arguments + ["--path-as-is", base + path])
    }
}

enum TestServerError: Error {
    case didNotStart
}

struct CurlResult: Sendable {
    var status: Int
    /// Lowercased names.
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum Curl {
    static let path = ["/usr/bin/curl", "/usr/local/bin/curl", "/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs curl and reads status, headers and body from files.
    static func run(_ arguments: [String]) async throws -> CurlResult {
        let curl = try #require(path, "curl is not installed: make test installs it")
        let scratch = NSTemporaryDirectory() + "kiln-curl-" + UUID().uuidString
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".h")
            try? FileManager.default.removeItem(atPath: scratch + ".b")
        }
        let result = try await ProcessRunner.run(curl, ["-s", "-S", "--max-time", "20", "-D", scratch + ".h", "-o", scratch + ".b"] + arguments)
        guard result.status == 0 else {
            throw CurlError(status: result.status, stderr: result.stderr)
        }
        let headerText = (try? String(contentsOfFile: scratch + ".h", encoding: .utf8)) ?? ""
        // With redirects or 100-continue there can be several blocks: keep the last.
        let block = headerText.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.last ?? ""
        let lines = block.components(separatedBy: "\r\n")
        let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = FileManager.default.contents(atPath: scratch + ".b") ?? Data()
        return CurlResult(status: status, headers: headers, body: body)
    }
}

struct CurlError: Error, CustomStringConvertible {
    var status: Int32
    var stderr: String
    var description: String { "curl exited \(status): \(stderr)" }
}

/// Runs `body` against a fresh server and always stops it afterwards.
func withServer(
    files: [String: String] = [:], assets: [String: String] = [:], pollInterval: Duration = .milliseconds(200),
    _ body: (TestServer) async throws -> Void
) async throws {
    try await withRunning(try await TestServer.start(files: files, assets: assets, pollInterval: pollInterval), body)
}

/// Runs `body` against a started server, then stops it whatever happened.
func withRunning(_ server: TestServer, _ body: (TestServer) async throws -> Void) async throws {
    try await runThenStop(server, stop: { await $0.stop() }, body)
}
