import Foundation
import Hummingbird
import HTTPTypes
import KilnAPI
import KilnCore
import KilnInventory
import NIOCore
import Synchronization

/// `/ui/events`: Server-Sent Events from the inventory. After each batch
/// the recorder writes, every open page gets the changed machines (as
/// their tiles) and the stage counts; the page moves the tiles. One stream
/// per open page and no polling; a comment every 15 s finds closed pages.
final class LiveUpdates: Sendable {
    let inventory: InventoryStore?
    let limit: Int
    private let open = Mutex(0)
    /// Machines sent per batch at most; a page told of more reloads itself.
    static let machinesPerMessage = 500
    static let heartbeat = Duration.seconds(15)

    init(inventory: InventoryStore?, limit: Int) {
        self.inventory = inventory
        self.limit = limit
    }

    var openStreams: Int { open.withLock { $0 } }

    func stream(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let inventory else { throw DashboardError(.serviceUnavailable, "The inventory is off", "There is nothing to follow.") }
        let admitted = open.withLock { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw DashboardError(.serviceUnavailable, "Too many live views", "\(limit) pages are following the inventory already; reload later.")
        }
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
        let body = ResponseBody { [self] writer in
            defer { self.open.withLock { $0 -= 1 } }
            let (merged, continuation) = AsyncStream.makeStream(of: Set<String>?.self, bufferingPolicy: .bufferingNewest(8))
            let updates = inventory.updates.watch()
            let forward = Task {
                for await macs in updates { continuation.yield(macs) }
                continuation.finish()
            }
            let beat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.heartbeat)
                    continuation.yield(nil)
                }
            }
            defer {
                forward.cancel()
                beat.cancel()
                continuation.finish()
            }
            // Tells the page it is following, and how long to wait before
            // reconnecting. Not the browser's own `open`: that fires when the
            // headers arrive, possibly before this watcher exists, and a test
            // (or an operator) that acts on it could miss the next batch.
            try await writer.write(ByteBuffer(string: "retry: 3000\nevent: ready\ndata: {}\n\n"))
            for await item in merged.cancelOnGracefulShutdown() {
                guard let macs = item else {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    continue
                }
                try await writer.write(ByteBuffer(string: try await Self.message(for: macs, inventory: inventory)))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// One batch's events: each changed machine's tile, then the counts.
    static func message(for macs: Set<String>, inventory: InventoryStore) async throws -> String {
        let chosen = Array(macs.sorted().prefix(machinesPerMessage))
        let (machines, counts) = try await NIOThreadPoolRunner.run { (try inventory.machines(macs: chosen), try inventory.stageCounts()) }
        var text = ""
        let now = Date()
        for machine in machines {
            let tile = MachineViews.tile(machine, now: now)
            text += "event: machine\ndata: " + JSONValue.object(tile.mapValues(JSONValue.string)).jsonText + "\n\n"
        }
        if macs.count > chosen.count {
            text += "event: overflow\ndata: {\"changed\": \(macs.count)}\n\n"
        }
        var countValues: [String: JSONValue] = ["all": .string(HTMLText.count(counts.stages.values.reduce(0, +)))]
        for stage in BootStage.allCases { countValues[stage.description] = .string(HTMLText.count(counts.stages[stage] ?? 0)) }
        countValues["failed"] = .string(HTMLText.count(counts.failed))
        text += "event: counts\ndata: " + JSONValue.object(countValues).jsonText + "\n\n"
        return text
    }
}
