import DequeModule
import Foundation
import KilnCore
import KilnEtcd
import KilnInventory
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// The inventory shared through etcd. Each replica keeps answering
/// questions from its own SQLite file (the dashboard's queries, filters
/// and pages stay local and fast); etcd carries the events between them:
///
/// - what this replica's recorder wrote is queued here (bounded; dropped
///   and counted when etcd is away too long) and written to
///   `<prefix>/inventory/events/<mac>/<time>-<replica>-<n>`, with the
///   machine's merged record at `<prefix>/inventory/machines/<mac>`;
/// - a watch on the events applies every other replica's events to the
///   local file, so a boot whose DHCP answer came from one replica and
///   whose `/ipxe` came from another is one timeline everywhere.
///
/// etcd holds only the newest `eventsPerMachine` events of each machine
/// (each replica's SQLite keeps its own retention), so its database stays
/// far below etcd's limits; what is trimmed is compacted away by etcd's
/// `--auto-compaction-retention`.
public final class EtcdInventoryMirror: Service, Sendable {
    public static let eventsPerMachine = 64
    public static let defaultCapacity = 100_000
    /// Operations per transaction: etcd's default limit is 128.
    static let operationsPerTransaction = 100

    let client: EtcdClient
    let store: InventoryStore
    public let replica: String
    let stateFolder: String
    let capacity: Int
    let logger: Logger
    let eventsPrefix: String
    let machinesPrefix: String
    private let queue = Mutex(Deque<InventoryEntry>())
    private let sequence = Mutex(0)
    private let trimCounts = Mutex<[String: Int]>([:])
    private let lastSent = Mutex<[String: (signature: Int, time: Date)]>([:])
    static let repeatWindow: TimeInterval = 5
    private let dropped: Counter
    private let sent: Counter
    private let received: Counter
    private let buffered: Gauge

    public init(client: EtcdClient, store: InventoryStore, stateFolder: String, capacity: Int = EtcdInventoryMirror.defaultCapacity,
                logger: Logger, registry: PrometheusCollectorRegistry) throws {
        self.client = client
        self.store = store
        self.stateFolder = stateFolder
        self.capacity = capacity
        self.logger = logger
        eventsPrefix = client.address.prefix + "/inventory/events/"
        machinesPrefix = client.address.prefix + "/inventory/machines/"
        replica = try Self.replicaName(in: stateFolder)
        func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "kiln", subsystem: "store", metricName: name, unitName: unit, helpText: help)
        }
        dropped = registry.makeCounter(descriptor: descriptor("events_dropped", "total", "Boot events not shared through etcd because its queue was full while etcd was away"))
        sent = registry.makeCounter(descriptor: descriptor("events_sent", "total", "Boot events this replica wrote to etcd"))
        received = registry.makeCounter(descriptor: descriptor("events_received", "total", "Boot events of other replicas applied from etcd"))
        buffered = registry.makeGauge(descriptor: descriptor("events_buffered", "", "Boot events waiting to be written to etcd"))
    }

    /// A name for this replica, kept in its state folder so it survives
    /// restarts: its events are told apart from the others' by it.
    static func replicaName(in folder: String) throws -> String {
        let path = folder + "/etcd-replica"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty, name.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") }) { return name }
        }
        let host = ProcessInfo.processInfo.hostName.utf8.filter { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") }.prefix(32)
        let name = String(decoding: host, as: UTF8.self) + "-" + String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try AtomicFile.write(Array((name + "\n").utf8), to: path)
        return name
    }

    public var queued: Int { queue.withLock { $0.count } }

    /// Queues what this replica's recorder wrote; never blocks. A machine
    /// asking the same thing again within `repeatWindow` is sent once: a
    /// flood of identical requests (a boot loop, wrk) would otherwise cost
    /// etcd a write per request and this replica the CPU to make it
    /// (`/ipxe` at 0.84x of a directory-backed replica before, in make bench).
    public func send(_ entries: [InventoryEntry]) {
        let fresh = lastSent.withLock { last -> [InventoryEntry] in
            if last.count > 200_000 { last.removeAll() }
            return entries.filter { entry in
                let event = entry.event
                var hasher = Hasher()
                hasher.combine(event.endpoint)
                hasher.combine(event.target)
                hasher.combine(event.status)
                hasher.combine(event.group)
                hasher.combine(event.profile)
                hasher.combine(entry.reached)
                hasher.combine(entry.startsBoot)
                let signature = hasher.finalize()
                if let previous = last[entry.mac], previous.signature == signature,
                   event.time.timeIntervalSince(previous.time) < Self.repeatWindow { return false }
                last[entry.mac] = (signature, event.time)
                return true
            }
        }
        guard !fresh.isEmpty else { return }
        let overflow = queue.withLock { queue -> Int in
            queue.append(contentsOf: fresh)
            let over = max(0, queue.count - capacity)
            // The oldest go first: the newest say where each machine is now.
            if over > 0 { queue.removeFirst(over) }
            return over
        }
        if overflow > 0 { dropped.increment(by: Int64(overflow)) }
        buffered.set(Double(queued))
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.runSender() }
            group.addTask { await self.runReceiver() }
            try? await gracefulShutdown()
            // What is queued gets one chance to reach etcd before exit.
            _ = try? await self.writeQueued(deadline: .now + .seconds(2))
            group.cancelAll()
        }
    }

    // MARK: Sending

    private func runSender() async {
        var wait = Duration.seconds(1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            do {
                try await writeQueued(deadline: .now + .seconds(30))
                wait = .seconds(1)
            } catch {
                // EtcdStoreMonitor reports the outage (log, /healthz, metrics); the queue waits for etcd.
                logger.debug("store: sending events to etcd failed: \(error)")
                wait = min(wait * 2, .seconds(4))
            }
        }
    }

    /// Writes the queue in transactions until it is empty or the deadline
    /// passes; true when something was written. What fails to be written is
    /// put back in front, in order.
    @discardableResult
    func writeQueued(deadline: ContinuousClock.Instant) async throws -> Bool {
        var wrote = false
        while ContinuousClock.now < deadline {
            let batch: [InventoryEntry] = queue.withLock { queue in
                let count = min(queue.count, Self.operationsPerTransaction / 2)
                defer { queue.removeFirst(count) }
                return Array(queue.prefix(count))
            }
            guard !batch.isEmpty else { break }
            do {
                try await write(batch)
            } catch let error as EtcdError where error.kind == .refused || error.kind == .malformed {
                // etcd will refuse these again (too large, permission): keeping them would stop every later event.
                dropped.increment(by: Int64(batch.count))
                logger.error("store: etcd refused \(batch.count) events, which are dropped: \(error)")
                continue
            } catch {
                queue.withLock { queue in queue.insert(contentsOf: batch, at: 0) }
                buffered.set(Double(queued))
                throw error
            }
            sent.increment(by: Int64(batch.count))
            buffered.set(Double(queued))
            wrote = true
        }
        return wrote
    }

    private func write(_ batch: [InventoryEntry]) async throws {
        var operations: [EtcdOperation] = []
        for entry in batch {
            let number = sequence.withLock { value -> Int in
                value = (value + 1) % 1_000_000
                return value
            }
            let micros = UInt64(max(0, entry.event.time.timeIntervalSince1970) * 1_000_000)
            let key = eventsPrefix + entry.mac + "/" + String(format: "%017llu-%@-%06d", micros, replica, number)
            operations.append(.put(key: Array(key.utf8), value: EventCodec.encode(entry, replica: replica)))
        }
        let macs = Array(Set(batch.map(\.mac))).sorted()
        let store = self.store
        if let machines = try? await NIOThreadPool.singleton.runIfActive({ try store.machines(macs: macs) }) {
            for machine in machines {
                operations.append(.put(key: Array((machinesPrefix + machine.mac).utf8), value: EventCodec.encode(machine, replica: replica)))
            }
        }
        _ = try await client.transaction([], success: operations)
        do {
            try await trim(batch)
        } catch {
            // The events are written; trimming is tried again with the machine's next events.
            logger.debug("store: trimming etcd's event history failed: \(error)")
        }
    }

    /// Keeps each machine's history in etcd to the newest events: once a
    /// machine has had a quarter more written, everything before its
    /// newest `eventsPerMachine` goes in one range delete.
    private func trim(_ batch: [InventoryEntry]) async throws {
        let due = trimCounts.withLock { counts -> [String] in
            var due: [String] = []
            for entry in batch { counts[entry.mac, default: 0] += 1 }
            for (mac, count) in counts where count >= Self.eventsPerMachine / 4 { due.append(mac) }
            for mac in due { counts[mac] = 0 }
            if counts.count > 100_000 { counts.removeAll() }
            return due
        }
        for mac in due {
            let prefix = Array((eventsPrefix + mac + "/").utf8)
            let keys = try await client.rangeAll(prefix: prefix, keysOnly: true).kvs.map(\.key)
            guard keys.count > Self.eventsPerMachine else { continue }
            let firstKept = keys[keys.count - Self.eventsPerMachine]
            try await client.delete(prefix, rangeEnd: firstKept)
        }
    }

    // MARK: Receiving

    private var revisionPath: String { stateFolder + "/etcd-inventory-revision" }

    private func appliedRevision() -> Int64 {
        guard let text = try? String(contentsOfFile: revisionPath, encoding: .utf8) else { return 0 }
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    private func saveApplied(_ revision: Int64) {
        try? AtomicFile.write(Array("\(revision)\n".utf8), to: revisionPath)
    }

    private func runReceiver() async {
        var applied = appliedRevision()
        var wait = Duration.milliseconds(250)
        let prefix = Array(eventsPrefix.utf8)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if applied == 0 {
                    // A new replica: what etcd still holds of every machine.
                    applied = try await catchUp(since: 0)
                }
                var lastSaved = ContinuousClock.now
                for try await batch in client.watch(prefix: prefix, from: applied + 1) {
                    wait = .milliseconds(250)
                    await apply(batch.events.filter { $0.kind == .put }.map(\.kv))
                    applied = max(applied, batch.revision)
                    if ContinuousClock.now - lastSaved > .seconds(1) {
                        saveApplied(applied)
                        lastSaved = .now
                    }
                }
            } catch let error as EtcdError {
                if case .compacted = error.kind {
                    // The events since `applied` that etcd still holds, by their modification revision.
                    logger.warning("store: the inventory watch's revision \(applied + 1) was compacted; catching up from what etcd holds")
                    applied = (try? await catchUp(since: applied)) ?? applied
                    continue
                }
                if Task.isCancelled { break }
                logger.debug("store: inventory watch lost: \(error)")
            } catch {
                if Task.isCancelled { break }
            }
            saveApplied(applied)
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            wait = min(wait * 2, .seconds(4))
        }
        saveApplied(applied)
    }

    private func catchUp(since revision: Int64) async throws -> Int64 {
        let range = try await client.rangeAll(prefix: Array(eventsPrefix.utf8), minModRevision: revision + 1)
        await apply(range.kvs.sorted { $0.modRevision < $1.modRevision })
        saveApplied(range.revision)
        return range.revision
    }

    /// Applies other replicas' events to the local file; this replica's
    /// own are already in it.
    private func apply(_ kvs: [EtcdKeyValue]) async {
        var entries: [InventoryEntry] = []
        for kv in kvs {
            guard let (entry, from) = EventCodec.decodeEntry(kv.value), from != replica else { continue }
            entries.append(entry)
        }
        guard !entries.isEmpty else { return }
        // An event older than what the machine last did here cannot start its boot over.
        let store = self.store
        let macs = Array(Set(entries.map(\.mac)))
        let lastSeen = (try? await NIOThreadPool.singleton.runIfActive { try store.machines(macs: macs) })
            .map { Dictionary($0.map { ($0.mac, $0.lastSeen) }, uniquingKeysWith: { a, _ in a }) } ?? [:]
        for index in entries.indices where entries[index].startsBoot {
            if let seen = lastSeen[entries[index].mac], entries[index].event.time < seen { entries[index].startsBoot = false }
        }
        do {
            try await store.applyWithoutBlocking(entries.sorted { $0.event.time < $1.event.time })
            received.increment(by: Int64(entries.count))
        } catch {
            logger.error("store: could not apply \(entries.count) events from other replicas: \(error)")
        }
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
