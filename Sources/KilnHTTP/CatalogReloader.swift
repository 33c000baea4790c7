import KilnCore
import KilnRender
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Loads the catalog from its source at start, again on SIGHUP, and again
/// whenever the source reports a change. A failed load is reported with
/// each broken file and the last good catalog keeps serving.
public struct CatalogReloader: Service {
    let source: any CatalogSource
    let store: SnapshotStore<CompiledCatalog>
    let metrics: KilnMetrics
    let logger: Logger

    public init(source: any CatalogSource, store: SnapshotStore<CompiledCatalog>, metrics: KilnMetrics, logger: Logger) {
        self.source = source
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Loads once and installs the catalog if it is good; true on success.
    @discardableResult
    public func reload(reason: String) async -> Bool {
        let source = self.source
        // Reading a source blocks: keep it off the threads that serve requests.
        let loaded: LoadedCatalog
        do {
            loaded = try await NIOThreadPool.singleton.runIfActive { LoadedCatalog.load(from: source) }
        } catch {
            logger.error("reload failed", metadata: ["reason": "\(reason)", "error": "\(error)"])
            metrics.reloadFailed()
            return false
        }
        for diagnostic in loaded.diagnostics {
            logger.log(level: diagnostic.severity == .error ? .error : .warning, "\(diagnostic)")
        }
        guard let compiled = loaded.compiled else {
            metrics.reloadFailed()
            let kept = store.current == nil ? "nothing is served until it loads" : "the previous version keeps serving"
            logger.error("data directory not loaded: \(loaded.diagnostics.errors.count) error(s); \(kept)", metadata: ["reason": "\(reason)", "data_path": "\(source.origin)"])
            return false
        }
        let catalog = compiled.catalog
        store.replace(with: compiled)
        metrics.reloaded(groups: catalog.groups.count, profiles: catalog.profiles.count)
        logger.info("data directory loaded", metadata: [
            "reason": "\(reason)", "groups": "\(catalog.groups.count)", "profiles": "\(catalog.profiles.count)",
            "templates": "\(catalog.templates.count)", "data_path": "\(source.origin)",
        ])
        return true
    }

    public func run() async throws {
        // Asked for before the first load, so a change made during it counts.
        let changes = source.changes()
        await reload(reason: "start")
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in signals.cancelOnGracefulShutdown() {
                    await reload(reason: "SIGHUP")
                }
            }
            group.addTask {
                for await reason in changes.cancelOnGracefulShutdown() {
                    await reload(reason: reason)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
