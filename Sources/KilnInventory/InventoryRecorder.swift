import DequeModule
import Foundation
import KilnCore
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Takes events from the boot path without ever making it wait: `record`
/// appends to a bounded queue (or drops and counts when it is full), and
/// one task writes batches to the store. Graceful shutdown (SIGTERM)
/// writes what is queued before the process exits.
public final class InventoryRecorder: Service, Sendable {
    let store: InventoryStore
    let capacity: Int
    let catalog: @Sendable () -> Catalog?
    let logger: Logger
    private let queue = Mutex(Deque<BootEvent>())
    private let dropped: Counter
    private let written: Counter
    private let failures: Counter
    private let classifier: Mutex<EventClassifier>
    /// Told of every batch once it is in the store (a shared store's
    /// mirror sends it to the other replicas); must not block.
    let onWritten: (@Sendable ([InventoryEntry]) -> Void)?
    /// How often a batch is written, and the most one batch holds. A
    /// batch costs about one row write per machine however often each
    /// asked, so a longer interval is cheaper and a shorter one livelier.
    static let interval = Duration.seconds(1)
    static let batchLimit = 20_000
    /// Room for two and a half seconds of the most one Kiln answers here
    /// (about 20,000 requests a second), so a storm at that rate loses
    /// nothing between two batches; about 15 MB at most.
    public static let defaultCapacity = 50_000
    /// How often old events are pruned.
    static let pruneEvery = Duration.seconds(600)

    public init(store: InventoryStore, capacity: Int = InventoryRecorder.defaultCapacity, catalog: @escaping @Sendable () -> Catalog?, logger: Logger,
                registry: PrometheusCollectorRegistry, classifier: EventClassifier = EventClassifier(),
                onWritten: (@Sendable ([InventoryEntry]) -> Void)? = nil) {
        self.store = store
        self.onWritten = onWritten
        self.capacity = capacity
        self.catalog = catalog
        self.logger = logger
        self.classifier = Mutex(classifier)
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "kiln", subsystem: "inventory", metricName: name, unitName: "total", helpText: help))
        }
        dropped = counter("events_dropped", "Boot events dropped because the inventory's queue was full (boots never wait for it)")
        written = counter("events_written", "Boot events written to the inventory")
        failures = counter("write_failures", "Batches the inventory could not write (the events are lost, boots go on)")
    }

    /// Queues an event; never blocks, never fails a boot.
    public func record(_ event: BootEvent) {
        let accepted = queue.withLock { queue -> Bool in
            guard queue.count < capacity else { return false }
            queue.append(event)
            return true
        }
        if !accepted { dropped.increment() }
    }

    public var queued: Int { queue.withLock { $0.count } }

    public func run() async throws {
        var sincePrune = Duration.zero
        prune()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Woken by SIGTERM, so shutdown writes the queue at once instead
            // of after the rest of the interval.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
            } catch {
                break
            }
            await flush()
            sincePrune += Self.interval
            if sincePrune >= Self.pruneEvery {
                sincePrune = .zero
                prune()
            }
        }
        await flush()
        do {
            try store.writeHeldBack()
        } catch {
            logger.error("inventory: could not write the last repeats and sightings: \(error)")
        }
    }

    /// Writes everything queued now, in batches; for tests and shutdown.
    public func flush() async {
        while true {
            let batch: [BootEvent] = queue.withLock { queue in
                let count = min(queue.count, Self.batchLimit)
                defer { queue.removeFirst(count) }
                return Array(queue.prefix(count))
            }
            guard !batch.isEmpty else { return }
            let catalog = self.catalog()
            let entries = classifier.withLock { classifier in
                classifier.beginBatch()
                return batch.compactMap { classifier.classify($0, catalog: catalog) }
            }
            let store = self.store
            if let recovered = store.recoverIfNeeded() { logger.error("inventory: \(recovered)") }
            do {
                try await store.applyWithoutBlocking(entries)
                written.increment(by: Int64(entries.count))
                onWritten?(entries)
            } catch {
                failures.increment()
                logger.error("inventory: could not write \(entries.count) events: \(error)")
                // A corrupt file is set aside and a new one started; these events are lost, later ones are kept.
                if let recovered = store.recoverIfNeeded(after: error) { logger.error("inventory: \(recovered)") }
                return
            }
        }
    }

    private func prune() {
        do {
            let removed = try store.prune()
            if removed > 0 { logger.info("inventory: pruned \(removed) events older than the retention") }
        } catch {
            logger.error("inventory: pruning failed: \(error)")
        }
    }
}
