import Foundation
import KilnCore
import KilnTestSupport
import Logging
import Prometheus
import ServiceLifecycle
import Testing
@testable import KilnInventory

private let mac = "52:54:00:12:34:56"
private let catalog = Catalog(
    groups: [Group(id: "node1", profile: "node", selector: ["mac": mac])],
    profiles: [Profile(id: "node", boot: BootConfig(kernel: "http://10.0.0.1:8080/assets/vmlinuz", initrd: ["--name main /assets/initrd.img?v=2"]))])

private func event(_ kind: BootEvent.Kind, _ endpoint: String, _ target: String, status: Int = 200, mac: String? = nil,
                   client: String = "10.0.0.20", at seconds: Double = 0, reason: String? = nil, profile: String? = nil,
                   labels: [String: String] = [:]) -> BootEvent {
    BootEvent(time: Date(timeIntervalSince1970: 1_000_000 + seconds), kind: kind, mac: mac, client: client, endpoint: endpoint,
              target: target, status: status, reason: reason, labels: labels, profile: profile)
}

/// A machine's whole boot, as the three listeners report it.
private func boot(startingAt start: Double = 0) -> [BootEvent] {
    [
        event(.dhcp, "dhcp", "ipxe.efi", mac: mac, client: "0.0.0.0", at: start),
        event(.tftp, "tftp", "ipxe.efi", at: start + 1),
        // iPXE's own DHCP, answered with the boot script: the same boot.
        event(.dhcp, "dhcp", "http://10.0.0.1:8080/boot.ipxe", mac: mac, client: "0.0.0.0", at: start + 1.5),
        event(.http, "boot.ipxe", "/boot.ipxe", at: start + 2),
        event(.http, "ipxe", "/ipxe", mac: mac, at: start + 3, profile: "node", labels: ["mac": mac, "arch": "x86_64"]),
        event(.http, "assets", "/assets/vmlinuz", at: start + 4),
        event(.http, "assets", "/assets/initrd.img", at: start + 5),
        event(.http, "ignition", "/ignition", mac: mac, at: start + 6, profile: "node", labels: ["mac": mac]),
    ]
}

private func temporaryStore(retention: Retention = Retention()) throws -> (InventoryStore, String) {
    let folder = try makeTemporaryDirectory("kiln-inventory")
    return (try InventoryStore(folder: folder + "/state", retention: retention), folder)
}

@Suite struct InventoryTests {
    @Test func stagesAdvanceAndABootStartsOver() {
        #expect(BootStage.after(nil, reached: .discovered, startsBoot: true) == .discovered)
        #expect(BootStage.after(.ipxe, reached: .kernel, startsBoot: false) == .kernel)
        #expect(BootStage.after(.kernel, reached: .ipxe, startsBoot: false) == .kernel, "a late /ipxe does not go back")
        #expect(BootStage.after(.config, reached: .discovered, startsBoot: true) == .discovered, "DHCP again: a new boot")
        #expect(BootStage.after(.config, reached: .ipxe, startsBoot: true) == .ipxe, "/boot.ipxe again: a new boot")
        #expect(BootStage(name: "initrd") == .initrd && BootStage(name: "nonsense") == nil)
    }

    @Test func aBootIsTiedToItsMachineAndItsStagesFollowIt() throws {
        // The firmware's DHCP comes from no address; its TFTP request from
        // the leased one, which the host's neighbour table then knows.
        var classifier = EventClassifier(neighbours: { ["10.0.0.20": mac] })
        let entries = boot().compactMap { classifier.classify($0, catalog: catalog) }
        #expect(entries.count == 8, "TFTP, /boot.ipxe and assets are tied by the client address")
        #expect(entries.allSatisfy { $0.mac == mac })
        #expect(entries.map(\.reached) == [.discovered, .firmware, .discovered, .ipxe, .ipxe, .kernel, .initrd, .config])
        #expect(entries.map(\.startsBoot) == [true, true, false, true, false, false, false, false])
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try store.apply(entries)
        let machine = try #require(try store.machine(mac))
        #expect(machine.stage == .config)
        #expect(machine.profile == "node")
        #expect(machine.labels == ["mac": mac])
        #expect(machine.address == "10.0.0.20")
        #expect(machine.lastError == nil)
        let events = try store.events(for: mac)
        #expect(events.map(\.0.endpoint) == ["dhcp", "tftp", "dhcp", "boot.ipxe", "ipxe", "assets", "assets", "ignition"])
        #expect(events.map(\.1) == [.discovered, .firmware, .firmware, .ipxe, .ipxe, .kernel, .initrd, .config])
    }

    @Test func aRebootStartsTheStagesAgainAndClearsTheLastError() throws {
        var classifier = EventClassifier(neighbours: { ["10.0.0.20": mac] })
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var first = boot()
        first[7] = event(.http, "ignition", "/ignition", status: 500, mac: mac, at: 6, reason: "ignition/x.yaml:5:20: map has no entry for key \"y\"")
        try store.apply(first.compactMap { classifier.classify($0, catalog: catalog) })
        var machine = try #require(try store.machine(mac))
        #expect(machine.stage == .initrd)
        #expect(machine.lastError == "ignition/x.yaml:5:20: map has no entry for key \"y\"")
        try store.apply(Array(boot(startingAt: 100).prefix(4)).compactMap { classifier.classify($0, catalog: catalog) })
        machine = try #require(try store.machine(mac))
        #expect(machine.stage == .ipxe)
        #expect(machine.lastError == nil)
    }

    @Test func aMachineNoGroupSelectsIsDiscovered() throws {
        var classifier = EventClassifier(neighbours: { [:] })
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let stranger = "52:54:00:00:00:99"
        try store.apply([
            event(.dhcp, "dhcp", "", status: 404, mac: stranger, reason: "not answered: no group"),
            event(.http, "ipxe", "/ipxe", status: 404, mac: stranger, reason: "no group matches mac=\(stranger)", labels: ["mac": stranger, "uuid": "u1"]),
        ].compactMap { classifier.classify($0, catalog: catalog) })
        let machine = try #require(try store.machine(stranger))
        #expect(machine.stage == .discovered)
        #expect(machine.labels == ["mac": stranger, "uuid": "u1"])
        #expect(machine.lastError == "no group matches mac=\(stranger)")
        #expect(try store.machines(.init(stage: .discovered)).map(\.mac) == [stranger])
        #expect(try store.machines(.init(stage: .config)).isEmpty)
    }

    @Test func labelLessRequestsFallBackToTheNeighbourTable() {
        var classifier = EventClassifier(neighbours: { ["10.0.0.30": "52:54:00:aa:bb:cc"] })
        let entry = classifier.classify(event(.tftp, "tftp", "undionly.kpxe", client: "10.0.0.30"), catalog: catalog)
        #expect(entry?.mac == "52:54:00:aa:bb:cc")
        #expect(classifier.classify(event(.tftp, "tftp", "undionly.kpxe", client: "10.0.0.31"), catalog: catalog) == nil)
    }

    @Test func historyIsBoundedPerMachineAndByAge() throws {
        let (store, folder) = try temporaryStore(retention: Retention(eventsPerMachine: 5, maximumAge: 3600))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var classifier = EventClassifier(neighbours: { [:] })
        let entries = (0..<12).compactMap { index in
            classifier.classify(event(.http, "assets", "/assets/file\(index)", mac: mac, at: Double(index)), catalog: catalog)
        }
        try store.apply(entries)
        let kept = try store.events(for: mac)
        #expect(kept.count == 5)
        #expect(kept.first?.0.time == Date(timeIntervalSince1970: 1_000_007), "the newest five")
        #expect(try store.prune(now: Date(timeIntervalSince1970: 1_000_000 + 3600 + 10)) == 3)
        #expect(try store.eventCount() == 2)
        #expect(try store.machine(mac) != nil, "pruning events keeps the machine")
    }

    @Test func theRecorderNeverBlocksDropsWhenFullAndFlushesOnShutdown() async throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let registry = PrometheusCollectorRegistry()
        let logger = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }
        let recorder = InventoryRecorder(store: store, capacity: 100, catalog: { catalog }, logger: logger, registry: registry,
                                         classifier: EventClassifier(neighbours: { [:] }))
        for index in 0..<150 {
            recorder.record(event(.http, "assets", "/assets/file\(index)", mac: mac, at: Double(index)))
        }
        #expect(recorder.queued == 100)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self).contains("kiln_inventory_events_dropped_total 50"))
        // Events queued before a graceful shutdown are written before run() returns.
        let group = ServiceGroup(services: [recorder], logger: logger)
        let running = Task { try await group.run() }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(recorder.queued == 0)
        #expect(try store.eventCount() == 100)
    }

    /// Labels come from the network: whatever a machine sends must be
    /// stored as JSON that reads back as exactly what it sent.
    @Test func hostileLabelsAreStoredAsValidJSON() throws {
        let hostile = ["hostname": "a\"b\\c\n\r\t\u{0}\u{1}\u{1F}\u{7F}", "serial": "é😀\u{2028}\u{2029}", "x\"key": "</script>", "": ""]
        let text = InventoryStore.json(hostile)
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(decoded == hostile)
        #expect(InventoryStore.json([:]) == "{}")
        #expect(InventoryStore.json(["b": "2", "a": "1"]) == #"{"a":"1","b":"2"}"#)
    }

    /// Someone removes the state folder, or the file is damaged, while Kiln
    /// runs: boots never notice, the recorder logs it and starts a new store.
    @Test func aDeletedOrCorruptDatabaseIsReplacedWhileRecording() async throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let logger = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }
        let recorder = InventoryRecorder(store: store, catalog: { catalog }, logger: logger, registry: PrometheusCollectorRegistry(),
                                         classifier: EventClassifier(neighbours: { [:] }))
        recorder.record(event(.http, "ipxe", "/ipxe", mac: mac, at: 1))
        await recorder.flush()
        #expect(try store.eventCount() == 1)

        try FileManager.default.removeItem(atPath: folder + "/state")
        recorder.record(event(.http, "ignition", "/ignition", mac: mac, at: 2))
        await recorder.flush()
        #expect(FileManager.default.fileExists(atPath: store.path))
        #expect(try store.events(for: mac).map(\.0.endpoint) == ["ignition"])

        // Garbage over the file's first pages: SQLite reports it corrupt or not a database.
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: store.path))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store.path + suffix) }
        #expect(throws: (any Error).self) { try InventoryStore(readingFolder: folder + "/state").machines() }
        for round in 0..<3 {
            recorder.record(event(.http, "ipxe", "/ipxe", mac: mac, at: 3 + Double(round)))
            await recorder.flush()
        }
        let kept = try FileManager.default.contentsOfDirectory(atPath: folder + "/state").filter { $0.contains(".corrupt-") }
        #expect(kept.count == 1, "the damaged file is kept for inspection")
        #expect(try store.machine(mac) != nil, "recording goes on in a new store")
    }

    @Test func aMachineAskingAgainAndAgainIsOneEventWithItsCount() throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var classifier = EventClassifier(neighbours: { [:] })
        let events = (0..<50).map { event(.http, "ipxe", "/ipxe", mac: mac, at: Double($0) / 100) }
            + [event(.http, "ipxe", "/ipxe", status: 404, mac: mac, at: 1, reason: "no group")]
        try store.apply(events.compactMap { classifier.classify($0, catalog: catalog) })
        let stored = try store.events(for: mac)
        #expect(stored.map(\.2) == [50, 1])
        #expect(stored.map(\.0.status) == [200, 404])
        // Across batches too: the next batches' repeats fold into the stored event.
        let again = (0..<3).map { event(.http, "ipxe", "/ipxe", status: 404, mac: mac, at: 2 + Double($0), reason: "no group") }
        try store.apply(again.prefix(1).compactMap { classifier.classify($0, catalog: catalog) })
        try store.apply(again.dropFirst().compactMap { classifier.classify($0, catalog: catalog) })
        // Held back for a few seconds (a flood of repeats costs no writes), then written.
        #expect(try store.events(for: mac).map(\.2) == [50, 1])
        try store.writeHeldBack()
        #expect(try store.events(for: mac).map(\.2) == [50, 4])
        try store.apply([event(.http, "ipxe", "/ipxe", mac: mac, at: 9)].compactMap { classifier.classify($0, catalog: catalog) })
        #expect(try store.events(for: mac).map(\.2) == [50, 4, 1])
        // A store opened afresh (a restart) reads the newest event back and folds into it.
        let reopened = try InventoryStore(folder: folder + "/state")
        try reopened.apply([event(.http, "ipxe", "/ipxe", mac: mac, at: 10)].compactMap { classifier.classify($0, catalog: catalog) })
        try reopened.writeHeldBack()
        let counts = try reopened.events(for: mac).map(\.2)
        #expect(counts == [50, 4, 2], "\(counts)")
        #expect(try reopened.machine(mac)?.lastSeen == Date(timeIntervalSince1970: 1_000_010))
    }

    @Test func heldBackRepeatsStayWithTheEventTheyRepeat() throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var classifier = EventClassifier(neighbours: { [:] })
        try store.apply([event(.http, "ipxe", "/ipxe", mac: mac, at: 0)].compactMap { classifier.classify($0, catalog: catalog) })
        try store.apply([event(.http, "ipxe", "/ipxe", mac: mac, at: 1)].compactMap { classifier.classify($0, catalog: catalog) })
        // The repeat is held back; a different event arrives before it is written.
        try store.apply([event(.http, "metadata", "/metadata", mac: mac, at: 2)].compactMap { classifier.classify($0, catalog: catalog) })
        try store.writeHeldBack()
        let stored = try store.events(for: mac)
        #expect(stored.map(\.0.endpoint) == ["ipxe", "metadata"])
        #expect(stored.map(\.2) == [2, 1], "\(stored.map(\.2))")
    }

    @Test func manyMachinesInOneBatch() throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var classifier = EventClassifier(neighbours: { [:] })
        var generator = SplitMix64(seed: 15)
        let macs = (0..<300).map { _ in (0..<6).map { _ in String(format: "%02x", Int(generator.next() % 256)) }.joined(separator: ":") }
        let events = macs.flatMap { mac in
            [event(.dhcp, "dhcp", "undionly.kpxe", mac: mac), event(.http, "ipxe", "/ipxe", mac: mac, at: 1, profile: "node")]
        }
        try store.apply(events.compactMap { classifier.classify($0, catalog: catalog) })
        #expect(try store.machines(.init(limit: 10_000)).count == Set(macs).count)
        #expect(try store.machines(.init(stage: .ipxe, limit: 10_000)).count == Set(macs).count)
        #expect(try store.machines(.init(limit: 10, offset: 5)).count == 10)
    }
}
