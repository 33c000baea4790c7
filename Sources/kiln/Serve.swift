import ArgumentParser
import Foundation
import KilnCore
import KilnHTTP
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve boot scripts, configs and assets over HTTP.",
        discussion: """
            Reloads the data directory on SIGHUP and within about a second of any change to its files. \
            A broken file is logged with its line and column and the last good version keeps serving.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(name: .long, help: ArgumentHelp("Assets directory served under /assets/ (env KILN_ASSETS_PATH; default <data-path>/assets).", valueName: "dir"))
    var assetsPath: String?

    @Option(name: .long, help: ArgumentHelp("HTTP listen address, host:port (env KILN_ADDRESS; default 127.0.0.1:8080; use 0.0.0.0:8080 for a rack).", valueName: "host:port"))
    var address: String?

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (env KILN_LOG_LEVEL; default info). Each request is logged at info.", valueName: "level"))
    var logLevel: Logger.Level?

    func run() async throws {
        let dataPath = data.resolvedDataPath
        let assetsPath = Environment.value(assetsPath, "KILN_ASSETS_PATH", default: dataPath + "/assets")
        let addressText = Environment.value(address, "KILN_ADDRESS", default: "127.0.0.1:8080")
        guard let listen = ListenAddress(addressText) else {
            throw ValidationError("address \"\(addressText)\" is not host:port (for example 127.0.0.1:8080)")
        }
        let levelText = Environment.value(logLevel?.rawValue, "KILN_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("log level \"\(levelText)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        let sink = LogSink()
        LoggingSystem.bootstrap { label in BufferedLogHandler(label: label, sink: sink, logLevel: level) }
        let flusher = Task { await sink.runFlusher() }
        defer {
            flusher.cancel()
            sink.flush()
        }
        var logger = Logger(label: "kiln")
        logger.logLevel = level
        if !FileManager.default.fileExists(atPath: assetsPath) {
            logger.warning("assets directory does not exist; /assets/ answers 404", metadata: ["assets_path": "\(assetsPath)"])
        }
        let server = KilnServer(
            configuration: .init(host: listen.host, port: listen.port, dataPath: dataPath, assetsPath: assetsPath),
            logger: logger)
        try await server.run()
    }
}
