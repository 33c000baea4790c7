import KilnCore
import KilnRender
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Loads the data directory at start, again on SIGHUP, and again whenever
/// its files change (checked every `pollInterval`). A failed load is
/// reported with each broken file and the last good catalog keeps serving.
public struct CatalogReloader: Service {
    let loader: CatalogLoader
    let store: SnapshotStore<CompiledCatalog>
    let metrics: KilnMetrics
    let logger: Logger
    let pollInterval: Duration

    public init(loader: CatalogLoader, store: SnapshotStore<CompiledCatalog>, metrics: KilnMetrics, logger: Logger, pollInterval: Duration = .seconds(1)) {
        self.loader = loader
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.pollInterval = pollInterval
    }

    /// Loads once and installs the catalog if it is good; true on success.
    @discardableResult
    public func reload(reason: String) async -> Bool {
        let loader = self.loader
        // File reading blocks: keep it off the threads that serve requests.
        let loaded: Loaded
        do {
            loaded = try await NIOThreadPool.singleton.runIfActive { Self.loadAndCompile(loader) }
        } catch {
            logger.error("reload failed", metadata: ["reason": "\(reason)", "error": "\(error)"])
            metrics.reloadFailed()
            return false
        }
        let outcome = loaded.outcome
        for diagnostic in outcome.diagnostics {
            logger.log(level: diagnostic.severity == .error ? .error : .warning, "\(diagnostic)")
        }
        guard let compiled = loaded.compiled else {
            metrics.reloadFailed()
            let kept = store.current == nil ? "nothing is served until it loads" : "the previous version keeps serving"
            logger.error("data directory not loaded: \(outcome.diagnostics.errors.count) error(s); \(kept)", metadata: ["reason": "\(reason)", "data_path": "\(loader.dataPath)"])
            return false
        }
        let catalog = compiled.catalog
        store.replace(with: compiled)
        metrics.reloaded(groups: catalog.groups.count, profiles: catalog.profiles.count)
        logger.info("data directory loaded", metadata: [
            "reason": "\(reason)", "groups": "\(catalog.groups.count)", "profiles": "\(catalog.profiles.count)",
            "templates": "\(catalog.templates.count)", "data_path": "\(loader.dataPath)",
        ])
        return true
    }

    struct Loaded: Sendable {
        var outcome: CatalogLoader.Outcome
        var compiled: CompiledCatalog?
    }

    /// Reads the files and parses their templates: a load is good only if both succeed.
    static func loadAndCompile(_ loader: CatalogLoader) -> Loaded {
        var outcome = loader.load()
        guard let catalog = outcome.catalog else { return Loaded(outcome: outcome, compiled: nil) }
        let (compiled, templateDiagnostics) = CompiledCatalog.compile(catalog, filesDirectory: loader.dataPath + "/files")
        outcome.diagnostics += templateDiagnostics
        return Loaded(outcome: outcome, compiled: compiled)
    }

    public func run() async throws {
        let dataPath = loader.dataPath
        let initialFingerprint = DataDirectoryFingerprint.compute(dataPath: dataPath)
        await reload(reason: "start")
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in signals.cancelOnGracefulShutdown() {
                    await reload(reason: "SIGHUP")
                }
            }
            group.addTask {
                var fingerprint = initialFingerprint
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    do {
                        try await Task.sleep(for: pollInterval)
                    } catch {
                        return
                    }
                    let now = DataDirectoryFingerprint.compute(dataPath: dataPath)
                    if now != fingerprint {
                        fingerprint = now
                        await reload(reason: "files changed")
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
