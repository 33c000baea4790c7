import Foundation
import GRDB
import KilnCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the recorder hands the store: an event tied to a machine, and the
/// stage it reached.
public struct InventoryEntry: Sendable, Equatable {
    public var event: BootEvent
    public var mac: String
    public var reached: BootStage
    /// DHCP, the first stage or the boot script: a (re)boot begins.
    public var startsBoot: Bool

    public init(event: BootEvent, mac: String, reached: BootStage, startsBoot: Bool) {
        self.event = event
        self.mac = mac
        self.reached = reached
        self.startsBoot = startsBoot
    }
}

/// How much history is kept: both limits apply.
public struct Retention: Sendable, Equatable {
    public var eventsPerMachine: Int
    public var maximumAge: TimeInterval

    public init(eventsPerMachine: Int = 1000, maximumAge: TimeInterval = 30 * 24 * 3600) {
        self.eventsPerMachine = eventsPerMachine
        self.maximumAge = maximumAge
    }
}

/// Machines and their boot events in SQLite (GRDB, WAL), created and
/// migrated on open. Kiln's state, not its configuration: losing it loses
/// history, never a boot.
public final class InventoryStore: Sendable {
    /// The open database and the file it was opened on, replaced whole when
    /// the file is deleted or found corrupt.
    private struct Opened {
        var pool: DatabasePool
        var inode: UInt64?
        /// Whether the file carried SQLite's header once opened: only then
        /// is a missing header taken for damage.
        var hadHeader = false
    }

    private let opened: Mutex<Opened>
    var database: DatabasePool { opened.withLock { $0.pool } }
    public let path: String
    public let retention: Retention
    /// Which machines each written batch changed, for live views.
    public let updates = InventoryUpdates()
    private let writable: Bool

    /// Opens (creating the folder and file, and migrating) the store in `folder`.
    public init(folder: String, retention: Retention = Retention()) throws {
        path = folder + "/inventory.sqlite"
        self.retention = retention
        writable = true
        opened = Mutex(try Self.open(path: path))
    }

    /// Read-only, for the CLI beside a running server.
    public init(readingFolder folder: String) throws {
        path = folder + "/inventory.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            throw InventoryError("no inventory at \(path): kiln serve creates it when it first records a machine")
        }
        retention = Retention()
        writable = false
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        opened = Mutex(Opened(pool: try DatabasePool(path: path, configuration: configuration), inode: nil))
    }

    private static func open(path: String) throws -> Opened {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            // A journal left beside a deleted database belongs to it, not to the new one.
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // WAL with synchronous NORMAL: a power cut may lose the last batch,
        // never the database; FULL would fsync every batch.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        return Opened(pool: pool, inode: inode(of: path), hadHeader: hasSQLiteHeader(path))
    }

    private static func hasSQLiteHeader(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        return header == Data("SQLite format 3\u{0}".utf8)
    }

    private static func inode(of path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    /// Notices a store that can no longer be written where it should be,
    /// and starts a new one: the file was deleted or replaced (its inode
    /// changed), or `error` says it is corrupt, in which case the broken
    /// file is kept beside it for inspection. Returns what was done, for
    /// the log; nil when the store is fine.
    public func recoverIfNeeded(after error: (any Error)? = nil) -> String? {
        guard writable else { return nil }
        let current = Self.inode(of: path)
        let (inode, hadHeader) = opened.withLock { ($0.inode, $0.hadHeader) }
        let moved = current == nil || current != inode
        // An open connection keeps writing to its cached pages and journal
        // over a damaged file; the header is what shows the damage at once.
        let corrupt = (error as? DatabaseError).map { [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains($0.resultCode) } ?? false
            || (!moved && hadHeader && !Self.hasSQLiteHeader(path))
        guard corrupt || moved else { return nil }
        var what = moved ? "the inventory file \(path) was removed or replaced while open" : "the inventory file \(path) is corrupt"
        if corrupt && !moved {
            let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
            do {
                try FileManager.default.moveItem(atPath: path, toPath: aside)
                for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                what += "; kept as \(aside)"
            } catch {
                return what + "; it could not be moved aside (\(error)), so it is left as it is"
            }
        }
        do {
            let fresh = try Self.open(path: path)
            opened.withLock { $0 = fresh }
            writerCache.withLock { $0.removeAll() }
            return what + "; a new inventory was started"
        } catch {
            return what + "; a new one could not be created: \(error)"
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: machines and events") { db in
            try db.create(table: "machine") { table in
                table.primaryKey("mac", .text)
                table.column("first_seen", .double).notNull()
                table.column("last_seen", .double).notNull()
                table.column("labels", .text).notNull().defaults(to: "{}")
                table.column("group_id", .text)
                table.column("profile_id", .text)
                table.column("stage", .integer).notNull()
                table.column("last_error", .text)
                table.column("address", .text)
            }
            try db.create(table: "event") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("mac", .text).notNull().indexed()
                table.column("time", .double).notNull().indexed()
                table.column("kind", .text).notNull()
                table.column("client", .text)
                table.column("endpoint", .text).notNull()
                table.column("target", .text).notNull()
                table.column("status", .integer).notNull()
                table.column("bytes", .integer)
                table.column("duration", .double)
                table.column("reason", .text)
                table.column("stage", .integer).notNull()
            }
        }
        migrator.registerMigration("v2: repeats folded, event counts kept") { db in
            try db.alter(table: "event") { table in
                table.add(column: "repeats", .integer).notNull().defaults(to: 1)
            }
            try db.alter(table: "machine") { table in
                table.add(column: "event_count", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "UPDATE machine SET event_count = (SELECT COUNT(*) FROM event WHERE event.mac = machine.mac)")
        }
        return migrator
    }

    /// A machine's row while a batch is applied: read once, written once.
    struct Pending {
        var exists: Bool
        var firstSeen: Double
        var lastSeen: Double
        var labels: String
        /// The labels `labels` encodes, when known: a batch whose labels are
        /// the same does not encode them again.
        var labelValues: [String: String]?
        /// Labels seen in this batch, encoded once when the batch is written.
        var newLabels: [String: String]?
        var group: String?
        var profile: String?
        var stage: BootStage?
        var lastError: String?
        var address: String?
        var eventCount: Int
        /// The batch's last event for this machine, to fold repeats into.
        var lastEvent: Int?
        /// The machine's newest stored event, to fold a repeat across batches.
        var storedEvent: StoredEvent?
        /// Repeats of `storedEvent` and a later `lastSeen` not yet written:
        /// a machine that only asks again is written every few seconds,
        /// not every batch.
        var unwrittenRepeats = 0
        var touched = false
        /// When this row was last written (seconds, the writer's clock).
        var writtenAt: Double = 0

        /// What a reader would notice besides the time and repeat counts.
        func differs(from other: Pending) -> Bool {
            !exists || labels != other.labels || group != other.group || profile != other.profile || stage != other.stage
                || lastError != other.lastError || address != other.address || eventCount != other.eventCount
        }
    }

    /// How long a machine that only repeats itself may go unwritten.
    static let touchInterval = 5.0

    /// The newest event row of a machine, as the writer left it.
    struct StoredEvent {
        var id: Int64
        var entry: InventoryEntry
        var stage: BootStage
    }

    /// An event to insert, with how many identical ones in a row it stands for.
    private struct PendingEvent {
        var entry: InventoryEntry
        var stage: BootStage
        var repeats: Int
    }

    static func repeats(_ entry: InventoryEntry, _ other: InventoryEntry) -> Bool {
        let a = entry.event, b = other.event
        return a.kind == b.kind && a.endpoint == b.endpoint && a.target == b.target && a.status == b.status && a.reason == b.reason
            && a.client == b.client && other.reached == entry.reached && !other.startsBoot
    }

    /// Machine rows as the writer last wrote them, so a batch reads none of
    /// them back from SQLite. Only this process writes the file (the CLI
    /// only reads it); pruning clears the cache.
    private let writerCache = Mutex<[String: Pending]>([:])
    static let writerCacheLimit = 100_000

    /// Applies a batch in one transaction: the events, and each machine's
    /// record and stage, each machine read and written once; then trims a
    /// machine's history once it is a tenth over the retention, so the
    /// trimming is not paid on every batch. An event identical to the same
    /// machine's previous one (a machine asking again and again) is stored
    /// once with its count, within a batch and across batches: under wrk's
    /// flood, writing every repeat cost /ipxe half its rate. Statements are
    /// prepared once per connection.
    public func apply(_ entries: [InventoryEntry]) throws {
        guard !entries.isEmpty else { return }
        try database.write { db in try self.write(entries, in: db) }
        updates.publish(Set(entries.map(\.mac)))
    }

    /// As `apply`, on GRDB's writer thread: the caller's task suspends
    /// instead of holding one of the cooperative pool's threads, which on
    /// two cores are the threads that answer requests (blocking one halved
    /// /ipxe's rate).
    public func applyWithoutBlocking(_ entries: [InventoryEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await database.write { db in try self.write(entries, in: db) }
        updates.publish(Set(entries.map(\.mac)))
    }

    private func write(_ entries: [InventoryEntry], in db: Database) throws {
        // Held for the whole batch, which runs on GRDB's one writer: the
        // cache is updated in place rather than copied.
        try writerCache.withLock { cache in
            do {
                try write(entries, in: db, cache: &cache)
            } catch {
                // The batch rolls back: forget what the writer believed it stored.
                cache.removeAll()
                throw error
            }
            if cache.count > Self.writerCacheLimit { cache.removeAll() }
        }
    }

    private func write(_ entries: [InventoryEntry], in db: Database, cache: inout [String: Pending]) throws {
        let limit = retention.eventsPerMachine
        let now = ProcessInfo.processInfo.systemUptime
        var machines: [String: Pending] = [:]
        /// Each machine as it was before this batch, to tell a real change from a repeat.
        var before: [String: Pending] = [:]
        var events: [PendingEvent] = []
        events.reserveCapacity(entries.count)
        var heldRepeats: [(id: Int64, count: Int)] = []
        let select = try db.cachedStatement(sql: "SELECT * FROM machine WHERE mac = ?")
        let selectLast = try db.cachedStatement(sql: "SELECT * FROM event WHERE mac = ? ORDER BY id DESC LIMIT 1")
        let insertEvent = try db.cachedStatement(sql: """
            INSERT INTO event (mac, time, kind, client, endpoint, target, status, bytes, duration, reason, stage, repeats)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for entry in entries {
            let event = entry.event
            let time = event.time.timeIntervalSince1970
            var machine: Pending
            if let known = machines[entry.mac] {
                machine = known
            } else {
                if let cached = cache[entry.mac] {
                    machine = cached
                } else if let row = try Row.fetchOne(select, arguments: [entry.mac]) {
                    machine = Pending(exists: true, firstSeen: row["first_seen"], lastSeen: row["last_seen"], labels: row["labels"],
                                      group: row["group_id"], profile: row["profile_id"], stage: BootStage(rawValue: row["stage"]),
                                      lastError: row["last_error"], address: row["address"], eventCount: row["event_count"])
                    if let last = try Row.fetchOne(selectLast, arguments: [entry.mac]) {
                        machine.storedEvent = Self.storedEvent(last)
                    }
                    machine.writtenAt = now
                } else {
                    machine = Pending(exists: false, firstSeen: time, lastSeen: time, labels: "{}", eventCount: 0)
                }
                before[entry.mac] = machine
            }
            let newBoot = entry.startsBoot && machine.stage.map { entry.reached < $0 } == true
            machine.stage = BootStage.after(machine.stage, reached: entry.reached, startsBoot: entry.startsBoot)
            if newBoot { machine.lastError = nil }
            // A BMC action is Kiln's doing, not the machine's: no last error, no sighting.
            let byMachine = event.kind != .bmc
            if event.failed && byMachine { machine.lastError = event.reason ?? "status \(event.status) for \(event.target)" }
            if !event.labels.isEmpty { machine.newLabels = event.labels }
            machine.group = event.group ?? machine.group
            machine.profile = event.profile ?? machine.profile
            machine.address = event.client ?? machine.address
            if time > machine.lastSeen && byMachine {
                machine.lastSeen = time
                machine.touched = true
            }
            let stage = machine.stage ?? .discovered
            if let last = machine.lastEvent, Self.repeats(events[last].entry, entry), events[last].stage == stage {
                events[last].repeats += 1
            } else if machine.lastEvent == nil, let stored = machine.storedEvent, Self.repeats(stored.entry, entry), stored.stage == stage {
                machine.unwrittenRepeats += 1
            } else {
                // Repeats held back belong to the event they repeat, not to the one that follows it.
                if machine.unwrittenRepeats > 0, let stored = machine.storedEvent {
                    heldRepeats.append((stored.id, machine.unwrittenRepeats))
                    machine.unwrittenRepeats = 0
                }
                machine.lastEvent = events.count
                machine.eventCount += 1
                events.append(PendingEvent(entry: entry, stage: stage, repeats: 1))
            }
            machines[entry.mac] = machine
        }
        for (id, count) in heldRepeats {
            try db.cachedStatement(sql: "UPDATE event SET repeats = repeats + ? WHERE id = ?").execute(arguments: [count, id])
        }
        for pending in events {
            let event = pending.entry.event
            try insertEvent.execute(arguments: [pending.entry.mac, event.time.timeIntervalSince1970, event.kind.rawValue, event.client,
                                                event.endpoint, event.target, event.status, event.bytes, event.duration, event.reason,
                                                pending.stage.rawValue, pending.repeats])
            // Each machine's last inserted event is the one later repeats fold into.
            if var machine = machines[pending.entry.mac], let index = machine.lastEvent,
               events[index].entry == pending.entry, events[index].stage == pending.stage {
                machine.storedEvent = StoredEvent(id: db.lastInsertedRowID, entry: pending.entry, stage: pending.stage)
                machines[pending.entry.mac] = machine
            }
        }
        let trim = try db.cachedStatement(sql: """
            DELETE FROM event WHERE id IN (SELECT id FROM event WHERE mac = ? ORDER BY id LIMIT ?)
            """)
        for (mac, var machine) in machines {
            // JSON once per machine and batch, and only when the labels changed.
            if let labels = machine.newLabels, labels != machine.labelValues {
                machine.labels = Self.json(labels)
                machine.labelValues = labels
            }
            machine.newLabels = nil
            machine.lastEvent = nil
            if machine.eventCount > limit + limit / 10 {
                try trim.execute(arguments: [mac, machine.eventCount - limit])
                machine.eventCount = limit
            }
            let changed = before[mac].map { machine.differs(from: $0) } ?? true
            if changed || now - machine.writtenAt >= Self.touchInterval {
                try writeRow(mac, &machine, in: db, now: now)
            }
            cache[mac] = machine
        }
        // Machines that only repeated themselves and have not asked since.
        for (mac, machine) in cache where (machine.touched || machine.unwrittenRepeats > 0) && machines[mac] == nil
            && now - machine.writtenAt >= Self.touchInterval {
            var written = machine
            try writeRow(mac, &written, in: db, now: now)
            cache[mac] = written
        }
    }

    /// Writes a machine's row and the repeats it owes its newest event.
    private func writeRow(_ mac: String, _ machine: inout Pending, in db: Database, now: Double) throws {
        if machine.unwrittenRepeats > 0, let stored = machine.storedEvent {
            try db.cachedStatement(sql: "UPDATE event SET repeats = repeats + ? WHERE id = ?").execute(arguments: [machine.unwrittenRepeats, stored.id])
        }
        let stage = machine.stage?.rawValue ?? 0
        if machine.exists {
            try db.cachedStatement(sql: """
                UPDATE machine SET last_seen = ?, labels = ?, group_id = ?, profile_id = ?, stage = ?, last_error = ?, address = ?,
                event_count = ? WHERE mac = ?
                """).execute(arguments: [machine.lastSeen, machine.labels, machine.group, machine.profile, stage, machine.lastError,
                                         machine.address, machine.eventCount, mac])
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO machine (mac, first_seen, last_seen, labels, group_id, profile_id, stage, last_error, address, event_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [mac, machine.firstSeen, machine.lastSeen, machine.labels, machine.group, machine.profile,
                                         stage, machine.lastError, machine.address, machine.eventCount])
            machine.exists = true
        }
        machine.unwrittenRepeats = 0
        machine.touched = false
        machine.writtenAt = now
    }

    /// Writes what repeats and later sightings the writer holds back: at
    /// shutdown, so nothing recorded is lost.
    public func writeHeldBack() throws {
        try database.write { db in
            try self.writerCache.withLock { cache in try self.writeHeldBack(&cache, in: db) }
        }
    }

    private func writeHeldBack(_ cache: inout [String: Pending], in db: Database) throws {
        for (mac, machine) in cache where machine.touched || machine.unwrittenRepeats > 0 {
            var written = machine
            try writeRow(mac, &written, in: db, now: ProcessInfo.processInfo.systemUptime)
            cache[mac] = written
        }
    }

    private static func storedEvent(_ row: Row) -> StoredEvent {
        let stage = BootStage(rawValue: row["stage"]) ?? .discovered
        return StoredEvent(id: row["id"], entry: InventoryEntry(event: event(row), mac: row["mac"], reached: stage, startsBoot: false), stage: stage)
    }

    /// An event row as the event it stores.
    private static func event(_ row: Row) -> BootEvent {
        BootEvent(
            time: Date(timeIntervalSince1970: row["time"]), kind: BootEvent.Kind(rawValue: row["kind"]) ?? .http, mac: row["mac"],
            client: row["client"], endpoint: row["endpoint"], target: row["target"], status: row["status"],
            bytes: row["bytes"], duration: row["duration"], reason: row["reason"])
    }

    /// Drops events older than the retention's age; returns how many.
    @discardableResult
    public func prune(now: Date = Date()) throws -> Int {
        let cutoff = now.timeIntervalSince1970 - retention.maximumAge
        return try database.write { db in
            // Counts and newest events change under the writer: it writes what it
            // holds back, then reads them afresh.
            try self.writerCache.withLock { cache in
                try self.writeHeldBack(&cache, in: db)
                cache.removeAll()
            }
            try db.execute(sql: "DELETE FROM event WHERE time < ?", arguments: [cutoff])
            let removed = db.changesCount
            if removed > 0 {
                try db.execute(sql: "UPDATE machine SET event_count = (SELECT COUNT(*) FROM event WHERE event.mac = machine.mac)")
            }
            return removed
        }
    }

    public struct Filter: Sendable {
        public var stage: BootStage?
        /// Only machines whose latest boot failed after it began (true), or
        /// the others (false). A machine no group selects is refused by
        /// design: it stays `discovered`, not failed.
        public var failed: Bool?
        public var group: String?
        public var profile: String?
        public var seenSince: Date?
        /// Text to find in the MAC, labels, group or profile (case-insensitive for ASCII).
        public var text: String?
        public var limit: Int
        public var offset: Int

        public init(stage: BootStage? = nil, failed: Bool? = nil, group: String? = nil, profile: String? = nil, seenSince: Date? = nil,
                    text: String? = nil, limit: Int = 1000, offset: Int = 0) {
            self.stage = stage
            self.failed = failed
            self.group = group
            self.profile = profile
            self.seenSince = seenSince
            self.text = text
            self.limit = limit
            self.offset = offset
        }

        /// The WHERE clause and its arguments.
        fileprivate var condition: (sql: String, arguments: [DatabaseValue]) {
            var conditions: [String] = []
            var arguments: [DatabaseValue] = []
            if let stage { conditions.append("stage = ?"); arguments.append(stage.rawValue.databaseValue) }
            if let failed { conditions.append(failed ? "(last_error IS NOT NULL AND stage > 0)" : "(last_error IS NULL OR stage = 0)") }
            if let group { conditions.append("group_id = ?"); arguments.append(group.databaseValue) }
            if let profile { conditions.append("profile_id = ?"); arguments.append(profile.databaseValue) }
            if let seenSince { conditions.append("last_seen >= ?"); arguments.append(seenSince.timeIntervalSince1970.databaseValue) }
            if let text, !text.isEmpty {
                // Labels are stored as JSON, so a quote or backslash in them is escaped there too.
                let pattern = "%" + Self.escapeLike(String(JSONValue.string(text).jsonText.dropFirst().dropLast())) + "%"
                conditions.append("(mac LIKE ? ESCAPE '\\' OR labels LIKE ? ESCAPE '\\' OR group_id LIKE ? ESCAPE '\\' OR profile_id LIKE ? ESCAPE '\\')")
                arguments += Array(repeating: pattern.databaseValue, count: 4)
            }
            return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), arguments)
        }

        static func escapeLike(_ text: String) -> String {
            var escaped = ""
            for character in text {
                if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            return escaped
        }
    }

    /// Machines by MAC, filtered.
    public func machines(_ filter: Filter = Filter()) throws -> [Machine] {
        let (whereClause, conditionArguments) = filter.condition
        let arguments = conditionArguments + [max(0, filter.limit).databaseValue, max(0, filter.offset).databaseValue]
        let sql = "SELECT * FROM machine" + whereClause + " ORDER BY mac LIMIT ? OFFSET ?"
        let bound = StatementArguments(arguments)
        return try database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.machine)
        }
    }

    /// How many machines the filter selects (its limit and offset aside).
    public func count(_ filter: Filter = Filter()) throws -> Int {
        let (whereClause, arguments) = filter.condition
        let bound = StatementArguments(arguments)
        return try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM machine" + whereClause, arguments: bound) ?? 0 }
    }

    /// Machines per stage, and how many of all have a failed latest boot
    /// (as `Filter.failed` counts them).
    public func stageCounts() throws -> (stages: [BootStage: Int], failed: Int) {
        try database.read { db in
            var stages: [BootStage: Int] = [:]
            var failed = 0
            for row in try Row.fetchAll(db, sql: "SELECT stage, COUNT(*) AS machines, COUNT(CASE WHEN stage > 0 THEN last_error END) AS failed FROM machine GROUP BY stage") {
                if let stage = BootStage(rawValue: row["stage"]) { stages[stage, default: 0] += row["machines"] as Int }
                failed += row["failed"] as Int
            }
            return (stages, failed)
        }
    }

    /// The machines among `macs` that the store has.
    public func machines(macs: some Collection<String>) throws -> [Machine] {
        guard !macs.isEmpty else { return [] }
        let list = Array(macs)
        return try database.read { db in
            var found: [Machine] = []
            // SQLite binds at most 32,766 values per statement.
            for start in stride(from: 0, to: list.count, by: 500) {
                let part = list[start..<min(start + 500, list.count)]
                let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                found += try Row.fetchAll(db, sql: "SELECT * FROM machine WHERE mac IN (\(marks)) ORDER BY mac",
                                          arguments: StatementArguments(part.map(\.databaseValue))).map(Self.machine)
            }
            return found
        }
    }

    public func machine(_ mac: String) throws -> Machine? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM machine WHERE mac = ?", arguments: [mac]).map(Self.machine)
        }
    }

    /// A machine's events, oldest first, with the stage each left it at and
    /// how many identical ones in a row it stands for.
    public func events(for mac: String, limit: Int = 1000) throws -> [(BootEvent, BootStage, Int)] {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM (SELECT * FROM event WHERE mac = ? ORDER BY id DESC LIMIT ?) ORDER BY id
                """, arguments: [mac, limit])
            return rows.map { row in
                (Self.event(row), BootStage(rawValue: row["stage"]) ?? .discovered, row["repeats"] as Int)
            }
        }
    }

    public func eventCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 }
    }

    private static func machine(_ row: Row) -> Machine {
        let labelText: String = row["labels"]
        let labels = (try? JSONSerialization.jsonObject(with: Data(labelText.utf8))) as? [String: String] ?? [:]
        return Machine(
            mac: row["mac"], firstSeen: Date(timeIntervalSince1970: row["first_seen"]), lastSeen: Date(timeIntervalSince1970: row["last_seen"]),
            labels: labels, group: row["group_id"], profile: row["profile_id"], stage: BootStage(rawValue: row["stage"]) ?? .discovered,
            lastError: row["last_error"], address: row["address"])
    }

    /// Labels as a JSON object with sorted keys, through KilnCore's JSON
    /// writer: JSONSerialization's sorted keys compare through ICU
    /// collation, which was a fifth of all CPU under a boot storm.
    static func json(_ labels: [String: String]) -> String {
        JSONValue.object(labels.mapValues(JSONValue.string)).jsonText
    }
}

public struct InventoryError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
