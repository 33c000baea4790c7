import Foundation
import GRDB

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
    let database: DatabasePool
    public let path: String
    public let retention: Retention

    /// Opens (creating the folder and file, and migrating) the store in `folder`.
    public init(folder: String, retention: Retention = Retention()) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/inventory.sqlite"
        self.retention = retention
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    /// Read-only, for the CLI beside a running server.
    public init(readingFolder folder: String) throws {
        path = folder + "/inventory.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            throw InventoryError("no inventory at \(path): kiln serve creates it when it first records a machine")
        }
        retention = Retention()
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        database = try DatabasePool(path: path, configuration: configuration)
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
        return migrator
    }

    /// Applies a batch in one transaction: the events, and each machine's
    /// record and stage; then trims the machines' history to the retention.
    public func apply(_ entries: [InventoryEntry]) throws {
        guard !entries.isEmpty else { return }
        let limit = retention.eventsPerMachine
        try database.write { db in
            var touched: Set<String> = []
            for entry in entries {
                let event = entry.event
                let time = event.time.timeIntervalSince1970
                let existing = try Row.fetchOne(db, sql: "SELECT * FROM machine WHERE mac = ?", arguments: [entry.mac])
                let current = existing.flatMap { BootStage(rawValue: $0["stage"]) }
                let stage = BootStage.after(current, reached: entry.reached, startsBoot: entry.startsBoot)
                let newBoot = entry.startsBoot && current.map { entry.reached < $0 } == true
                var lastError: String? = existing?["last_error"]
                if newBoot { lastError = nil }
                if event.failed { lastError = event.reason ?? "status \(event.status) for \(event.target)" }
                let labels = event.labels.isEmpty ? (existing?["labels"] ?? "{}") : Self.json(event.labels)
                if existing == nil {
                    try db.execute(sql: """
                        INSERT INTO machine (mac, first_seen, last_seen, labels, group_id, profile_id, stage, last_error, address)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [entry.mac, time, time, labels, event.group, event.profile, stage.rawValue, lastError, event.client])
                } else {
                    try db.execute(sql: """
                        UPDATE machine SET last_seen = MAX(last_seen, ?), labels = ?, group_id = COALESCE(?, group_id),
                        profile_id = COALESCE(?, profile_id), stage = ?, last_error = ?, address = COALESCE(?, address) WHERE mac = ?
                        """, arguments: [time, labels, event.group, event.profile, stage.rawValue, lastError, event.client, entry.mac])
                }
                try db.execute(sql: """
                    INSERT INTO event (mac, time, kind, client, endpoint, target, status, bytes, duration, reason, stage)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [entry.mac, time, event.kind.rawValue, event.client, event.endpoint, event.target, event.status,
                                     event.bytes, event.duration, event.reason, stage.rawValue])
                touched.insert(entry.mac)
            }
            for mac in touched {
                try db.execute(sql: """
                    DELETE FROM event WHERE mac = ? AND id <= (SELECT id FROM event WHERE mac = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                    """, arguments: [mac, mac, limit])
            }
        }
    }

    /// Drops events older than the retention's age; returns how many.
    @discardableResult
    public func prune(now: Date = Date()) throws -> Int {
        let cutoff = now.timeIntervalSince1970 - retention.maximumAge
        return try database.write { db in
            try db.execute(sql: "DELETE FROM event WHERE time < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    public struct Filter: Sendable {
        public var stage: BootStage?
        public var group: String?
        public var profile: String?
        public var seenSince: Date?
        public var limit: Int
        public var offset: Int

        public init(stage: BootStage? = nil, group: String? = nil, profile: String? = nil, seenSince: Date? = nil, limit: Int = 1000, offset: Int = 0) {
            self.stage = stage
            self.group = group
            self.profile = profile
            self.seenSince = seenSince
            self.limit = limit
            self.offset = offset
        }
    }

    /// Machines by MAC, filtered.
    public func machines(_ filter: Filter = Filter()) throws -> [Machine] {
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        if let stage = filter.stage { conditions.append("stage = ?"); arguments.append(stage.rawValue.databaseValue) }
        if let group = filter.group { conditions.append("group_id = ?"); arguments.append(group.databaseValue) }
        if let profile = filter.profile { conditions.append("profile_id = ?"); arguments.append(profile.databaseValue) }
        if let since = filter.seenSince { conditions.append("last_seen >= ?"); arguments.append(since.timeIntervalSince1970.databaseValue) }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        arguments += [max(0, filter.limit).databaseValue, max(0, filter.offset).databaseValue]
        let sql = "SELECT * FROM machine" + whereClause + " ORDER BY mac LIMIT ? OFFSET ?"
        let bound = StatementArguments(arguments)
        return try database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.machine)
        }
    }

    public func machine(_ mac: String) throws -> Machine? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM machine WHERE mac = ?", arguments: [mac]).map(Self.machine)
        }
    }

    /// A machine's events, oldest first, with the stage each left it at.
    public func events(for mac: String, limit: Int = 1000) throws -> [(BootEvent, BootStage)] {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM (SELECT * FROM event WHERE mac = ? ORDER BY id DESC LIMIT ?) ORDER BY id
                """, arguments: [mac, limit])
            return rows.map { row in
                let event = BootEvent(
                    time: Date(timeIntervalSince1970: row["time"]), kind: BootEvent.Kind(rawValue: row["kind"]) ?? .http, mac: row["mac"],
                    client: row["client"], endpoint: row["endpoint"], target: row["target"], status: row["status"],
                    bytes: row["bytes"], duration: row["duration"], reason: row["reason"])
                return (event, BootStage(rawValue: row["stage"]) ?? .discovered)
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

    static func json(_ labels: [String: String]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: labels, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

public struct InventoryError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
