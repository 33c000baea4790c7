import Foundation
import KilnCore
import KilnRender
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Loads the catalog from its source at start, again on SIGHUP, and again
/// whenever the source reports a change. A failed load is reported with
/// each broken file and the last good catalog keeps serving.
public struct CatalogReloader: Service {
    public let source: any CatalogSource
    let store: SnapshotStore<CompiledCatalog>
    let metrics: KilnMetrics
    let logger: Logger
    /// The latest load's outcome and problems, for the dashboard.
    public let lastLoad = LastLoad()
    /// Reloads can overlap (a poll, SIGHUP, an API write): each takes a
    /// number before it reads, and one that finishes after a later one
    /// has installed its catalog is discarded, so an older read never
    /// replaces a newer one.
    private let order: Order

    final class Order: Sendable {
        let state = Mutex((next: 0, installed: -1))

        func take() -> Int {
            state.withLock { state in
                defer { state.next += 1 }
                return state.next
            }
        }

        final class Stamp: Sendable {
            let number = Mutex<Int?>(nil)
        }
    }

    public init(source: any CatalogSource, store: SnapshotStore<CompiledCatalog>, metrics: KilnMetrics, logger: Logger) {
        self.source = source
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.order = Order()
    }

    /// Loads once and installs the catalog if it is good; true on success.
    @discardableResult
    public func reload(reason: String) async -> Bool {
        let source = self.source
        do {
            return try await install(reason: reason) { stamp in
                stamp()
                return LoadedCatalog.load(from: source)
            }
        } catch {
            logger.error("reload failed", metadata: ["reason": "\(reason)", "error": "\(error)"])
            metrics.reloadFailed()
            return false
        }
    }

    /// Installs what `load` returns when it compiled, in the same order as
    /// every other reload; true when it is serving (or a later reload,
    /// which read at least as much, is). `load` calls `stamp` at the moment
    /// its view of the source is fixed: before reading for a reload, after
    /// writing for an API edit. It runs on a thread of its own because
    /// reading a source blocks; what it throws is rethrown.
    public func install(reason: String, load: @escaping @Sendable (_ stamp: @Sendable () -> Void) throws -> LoadedCatalog) async throws -> Bool {
        let source = self.source
        let order = self.order
        let stamped = Order.Stamp()
        // Keep the reading off the threads that serve requests.
        let loaded = try await NIOThreadPool.singleton.runIfActive {
            try load { stamped.number.withLock { $0 = order.take() } }
        }
        let ticket = stamped.number.withLock { $0 } ?? order.take()
        for diagnostic in loaded.diagnostics {
            logger.log(level: diagnostic.severity == .error ? .error : .warning, "\(diagnostic)")
        }
        lastLoad.record(LoadReport(ticket: ticket, reason: reason, loaded: loaded.compiled != nil,
                                   errors: loaded.diagnostics.errors.map(\.description),
                                   warnings: loaded.diagnostics.warnings.map(\.description)))
        guard let compiled = loaded.compiled else {
            metrics.reloadFailed()
            let kept = store.current == nil ? "nothing is served until it loads" : "the previous version keeps serving"
            logger.error("data directory not loaded: \(loaded.diagnostics.errors.count) error(s); \(kept)", metadata: ["reason": "\(reason)", "data_path": "\(source.origin)"])
            return false
        }
        let catalog = compiled.catalog
        let current = order.state.withLock { state -> Bool in
            guard ticket > state.installed else { return false }
            state.installed = ticket
            store.replace(with: compiled)
            return true
        }
        // A later read is already serving: it saw this one's files or newer.
        guard current else { return true }
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

/// What one load of the catalog found.
public struct LoadReport: Sendable {
    public var time = Date()
    var ticket: Int
    public var reason: String
    /// Whether it compiled and was installed (or superseded by a later load).
    public var loaded: Bool
    /// `path:line:column: error: …` lines.
    public var errors: [String]
    public var warnings: [String]
}

/// The newest load's report: reports from overlapping loads are kept in
/// the order the loads read their source, as catalogs are.
public final class LastLoad: Sendable {
    private let held = Mutex<LoadReport?>(nil)

    public var report: LoadReport? { held.withLock { $0 } }

    func record(_ report: LoadReport) {
        held.withLock { current in
            if let current, current.ticket > report.ticket { return }
            current = report
        }
    }
}
