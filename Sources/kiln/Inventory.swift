import ArgumentParser
import Foundation
import KilnAPI
import KilnCore
import KilnDHCP
import KilnHTTP
import KilnInventory
import KilnTFTP

/// Where the inventory lives and how much it keeps; `serve`, `machines` and
/// `machine` share them.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Folder for Kiln's state: the inventory of machines and boot events (env KILN_STATE_PATH; default <data-path>/state).", valueName: "dir"))
    var statePath: String?

    func resolved(_ data: DataOptions) -> String {
        Environment.value(statePath, "KILN_STATE_PATH", default: data.resolvedDataPath + "/state")
    }
}

/// How the three listeners' records become inventory events.
enum InventoryEvents {
    /// Requests about Kiln rather than a machine (metrics, health) are not events.
    static func from(_ record: RequestRecord) -> BootEvent? {
        guard !["metrics", "healthz", "root"].contains(record.endpoint) else { return nil }
        return BootEvent(
            kind: .http, mac: record.labels?.values["mac"], client: record.client?.ipAddress, endpoint: record.endpoint,
            target: record.path, status: record.status, bytes: record.bytes,
            duration: Double(record.duration.components.seconds) + Double(record.duration.components.attoseconds) / 1e18,
            reason: record.reason, labels: record.labels?.values ?? [:], group: record.group, profile: record.profile)
    }

    static func from(_ transfer: TFTPTransferEvent) -> BootEvent {
        let status = transfer.reason == nil ? 200 : (transfer.clientEnded ? 0 : 500)
        return BootEvent(kind: .tftp, client: transfer.client, endpoint: "tftp", target: transfer.file,
                         status: status, bytes: transfer.bytes, duration: transfer.seconds, reason: transfer.reason)
    }

    static func from(_ decision: ProxyDHCPResponder.Decision) -> BootEvent? {
        switch decision {
        case .answer(let answer, let request):
            return BootEvent(kind: .dhcp, mac: request.mac, endpoint: "dhcp", target: String(decoding: answer.packet.bootFile, as: UTF8.self),
                             status: 200, labels: ["arch": String(request.architecture.code)])
        case .silence(let silence, let request):
            // A REQUEST for the site's server and the like are not about this boot.
            guard let request, silence.isAboutABootClient else { return nil }
            return BootEvent(kind: .dhcp, mac: request.mac, endpoint: "dhcp", target: "", status: 404, reason: "not answered: \(silence)",
                             labels: ["arch": String(request.architecture.code)])
        }
    }
}

struct MachinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machines",
        abstract: "List the machines Kiln has seen, with the stage each reached in its latest boot.",
        discussion: """
            Reads the inventory that kiln serve keeps in --state-path (it may be running), or asks a running Kiln's API \
            with --server (or KILN_SERVER). Stages, in order: discovered, firmware, ipxe, kernel, initrd, config. A machine \
            no group selects stays discovered.
            Exit status: 0; 1 when the API refused; 2 when there is no inventory or an option is wrong; 3 when the API \
            cannot be reached.
            """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var state: StateOptions
    @OptionGroup(title: "Through the API") var api: APIOptions

    @Option(help: ArgumentHelp("Only machines at this stage.", valueName: "stage"))
    var stage: String?

    @Option(help: ArgumentHelp("Only machines matched to this group.", valueName: "id"))
    var group: String?

    @Option(help: ArgumentHelp("Only machines matched to this profile.", valueName: "id"))
    var profile: String?

    func run() async throws {
        var filter = InventoryStore.Filter(group: group, profile: profile)
        if let stage {
            guard let known = BootStage(name: stage) else {
                throw ValidationError("stage \"\(stage)\" is not one of \(BootStage.allCases.map(\.description).joined(separator: ", "))")
            }
            filter.stage = known
        }
        let machines = api.isGiven ? try await fromAPI(filter) : try openOrExit(state.resolved(data)) { try $0.machines(filter) }
        print("MAC                STAGE       GROUP            PROFILE          ADDRESS          LAST SEEN             LAST ERROR")
        for machine in machines {
            print([machine.mac.padded(18), machine.stage.description.padded(11), (machine.group ?? "-").padded(16),
                   (machine.profile ?? "-").padded(16), (machine.address ?? "-").padded(16), timestamp(machine.lastSeen).padded(21),
                   machine.lastError ?? "-"].joined(separator: " "))
        }
    }
}

struct MachineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machine",
        abstract: "Show one machine: its labels, match, stage, and the timeline of its boot events.",
        discussion: """
            Reads the inventory in --state-path, or a running Kiln's API with --server (or KILN_SERVER).
            Exit status: 0; 1 when Kiln has not seen the machine; 2 when there is no inventory; 3 when the API cannot be reached.
            """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var state: StateOptions
    @OptionGroup(title: "Through the API") var api: APIOptions

    @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac"))
    var mac: String

    func run() async throws {
        guard let parsed = MACAddress(mac) else { throw ValidationError("\"\(mac)\" is not a MAC address such as 52:54:00:12:34:56") }
        let folder = state.resolved(data)
        let found = api.isGiven ? try await machineFromAPI(parsed) : try openOrExit(folder, { store in
            try store.machine(parsed.description).map { ($0, try store.events(for: $0.mac)) }
        })
        guard let (machine, events) = found else {
            printError("kiln: no machine \(parsed) in \(api.isGiven ? "the API's inventory" : "the inventory at \(folder)")")
            throw ExitCode(1)
        }
        print("mac:        \(machine.mac)")
        print("stage:      \(machine.stage)")
        print("group:      \(machine.group ?? "-")   profile: \(machine.profile ?? "-")")
        print("labels:     \(machine.labels.keys.sorted().map { "\($0)=\(machine.labels[$0]!)" }.joined(separator: " "))")
        print("address:    \(machine.address ?? "-")")
        print("first seen: \(timestamp(machine.firstSeen))   last seen: \(timestamp(machine.lastSeen))")
        if let error = machine.lastError { print("last error: \(error)") }
        print("events:")
        for (event, stage, repeats) in events {
            var line = "  \(timestamp(event.time)) \(event.kind.rawValue.padded(4)) \(event.endpoint.padded(11)) \(event.status) \(event.target)"
            if let bytes = event.bytes { line += " \(bytes) bytes" }
            if let duration = event.duration { line += String(format: " %.3f s", duration) }
            if repeats > 1 { line += " ×\(repeats)" }
            line += " → \(stage)"
            if let reason = event.reason { line += " (\(reason))" }
            print(line)
        }
    }
}

private func openOrExit<Value>(_ folder: String, _ read: (InventoryStore) throws -> Value) throws -> Value {
    do {
        return try read(try InventoryStore(readingFolder: folder))
    } catch {
        printError("kiln: \(error)")
        throw ExitCode(2)
    }
}

private func timestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

extension MachinesCommand {
    /// The same list from a running Kiln's API, every page of it.
    func fromAPI(_ filter: InventoryStore.Filter) async throws -> [Machine] {
        let client = try api.client()
        var machines: [Machine] = []
        var offset = 0
        // Bounded: a server that kept answering next_offset would stop here.
        for _ in 0..<10_000 {
            var query = ["limit=1000", "offset=\(offset)"]
            if let stage = filter.stage { query.append("stage=\(stage)") }
            if let group = filter.group { query.append("group=\(APIClient.escape(group))") }
            if let profile = filter.profile { query.append("profile=\(APIClient.escape(profile))") }
            let reply = try await client.send("GET", "/api/v1/machines?" + query.joined(separator: "&"))
            guard reply.status == 200, let object = reply.json, let page = object["machines"] as? [[String: Any]] else {
                throw client.failure("machines not listed", reply)
            }
            machines += page.compactMap(Machine.init(api:))
            guard let next = object["next_offset"] as? Int else { break }
            offset = next
        }
        return machines
    }
}

extension MachineCommand {
    func machineFromAPI(_ mac: MACAddress) async throws -> (Machine, [(BootEvent, BootStage, Int)])? {
        let client = try api.client()
        let path = "/api/v1/machines/\(APIClient.escape(mac.description))"
        let reply = try await client.send("GET", path)
        if reply.status == 404 { return nil }
        guard reply.status == 200, let object = reply.json, let machine = Machine(api: object) else { throw client.failure("\(mac) not read", reply) }
        let events = try await client.send("GET", path + "/events")
        guard events.status == 200, let list = events.json?["events"] as? [[String: Any]] else { throw client.failure("\(mac)'s events not read", events) }
        let timeline = list.compactMap { item -> (BootEvent, BootStage, Int)? in
            guard let time = (item["time"] as? String).flatMap(APIRoutes.parseTime), let kind = (item["kind"] as? String).flatMap(BootEvent.Kind.init(rawValue:)),
                  let stage = (item["stage"] as? String).flatMap(BootStage.init(name:)) else { return nil }
            let event = BootEvent(time: time, kind: kind, mac: machine.mac, client: item["client"] as? String, endpoint: item["endpoint"] as? String ?? "",
                                  target: item["target"] as? String ?? "", status: item["status"] as? Int ?? 0, bytes: item["bytes"] as? Int,
                                  duration: item["duration"] as? Double, reason: item["reason"] as? String)
            return (event, stage, item["repeats"] as? Int ?? 1)
        }
        return (machine, timeline)
    }
}

extension Machine {
    init?(api object: [String: Any]) {
        guard let mac = object["mac"] as? String, let stage = (object["stage"] as? String).flatMap(BootStage.init(name:)),
              let first = (object["first_seen"] as? String).flatMap(APIRoutes.parseTime), let last = (object["last_seen"] as? String).flatMap(APIRoutes.parseTime) else { return nil }
        self.init(mac: mac, firstSeen: first, lastSeen: last, labels: object["labels"] as? [String: String] ?? [:], group: object["group"] as? String,
                  profile: object["profile"] as? String, stage: stage, lastError: object["last_error"] as? String, address: object["address"] as? String)
    }
}
