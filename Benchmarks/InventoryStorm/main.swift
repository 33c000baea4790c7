// make bench: a boot storm's events through the inventory's recorder, as
// kiln serve records them: 10,000 machines each going through a boot (DHCP,
// TFTP, boot script, iPXE script, kernel, initrd, Ignition, and repeats),
// 100,000 events offered from four tasks, as fast as they can or at RATE
// events a second, while the recorder writes once a second. Prints one line:
// "<offered> <accepted> <dropped> <written> <stored rows> <machines> <offer seconds> <drain seconds>".
import Foundation
import KilnCore
import KilnInventory
import Logging
import Prometheus
import ServiceLifecycle

let arguments = CommandLine.arguments
guard [3, 4].contains(arguments.count), let total = Int(arguments[2]), total > 0,
      let rate = arguments.count == 4 ? Int(arguments[3]) : 0, rate >= 0 else {
    FileHandle.standardError.write(Data("usage: InventoryStorm STATE-DIR EVENTS [RATE]\n".utf8))
    exit(2)
}
let folder = arguments[1]
let store: InventoryStore
do {
    store = try InventoryStore(folder: folder)
} catch {
    FileHandle.standardError.write(Data("InventoryStorm: \(error)\n".utf8))
    exit(1)
}
let logger = Logger(label: "storm") { _ in SwiftLogNoOpLogHandler() }
let registry = PrometheusCollectorRegistry()
let catalog = Catalog(groups: [], profiles: [], templates: [])
let recorder = InventoryRecorder(store: store, catalog: { catalog }, logger: logger, registry: registry,
                                 classifier: EventClassifier(neighbours: { [:] }))
let machines = 10_000
let steps: [(BootEvent.Kind, String, String)] = [
    (.dhcp, "dhcp", "undionly.kpxe"), (.tftp, "tftp", "undionly.kpxe"), (.dhcp, "dhcp", "http://10.0.0.1:8080/boot.ipxe"),
    (.http, "boot.ipxe", "/boot.ipxe"), (.http, "ipxe", "/ipxe"), (.http, "assets", "/assets/vmlinuz"),
    (.http, "assets", "/assets/initrd"), (.http, "ignition", "/ignition"), (.http, "ipxe", "/ipxe"), (.http, "ipxe", "/ipxe"),
]

func event(_ index: Int) -> BootEvent {
    let machine = index % machines
    let step = steps[(index / machines) % steps.count]
    let mac = String(format: "52:54:00:%02x:%02x:%02x", (machine >> 16) & 255, (machine >> 8) & 255, machine & 255)
    let address = "10.\((machine >> 16) & 255).\((machine >> 8) & 255).\(machine & 255)"
    return BootEvent(kind: step.0, mac: mac, client: address, endpoint: step.1, target: step.2, status: 200, bytes: 1000,
                     duration: 0.001, labels: step.0 == .http ? ["mac": mac, "arch": "x86_64"] : [:])
}

let group = ServiceGroup(services: [recorder], logger: logger)
let running = Task { try await group.run() }
let start = ContinuousClock.now
await withTaskGroup(of: Void.self) { tasks in
    for worker in 0..<4 {
        tasks.addTask {
            // Paced in slices of a hundredth of a second when a rate is given.
            let slice = max(1, rate / 400)
            var next = ContinuousClock.now
            var sent = 0
            for index in stride(from: worker, to: total, by: 4) {
                recorder.record(event(index))
                sent += 1
                if rate > 0 && sent % slice == 0 {
                    next = next.advanced(by: .milliseconds(10))
                    try? await Task.sleep(until: next, clock: .continuous)
                }
            }
        }
    }
}
let offered = ContinuousClock.now - start
// Drained when the queue is empty; bounded at two minutes.
for _ in 0..<1200 where recorder.queued > 0 {
    try? await Task.sleep(for: .milliseconds(100))
}
await group.triggerGracefulShutdown()
_ = try? await running.value
let drained = ContinuousClock.now - start

var buffer: [UInt8] = []
registry.emit(into: &buffer)
let metrics = String(decoding: buffer, as: UTF8.self)
func metric(_ name: String) -> Int {
    for line in metrics.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Int(Double(line.split(separator: " ").last ?? "0") ?? 0)
    }
    return 0
}
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
let dropped = metric("kiln_inventory_events_dropped_total")
let written = metric("kiln_inventory_events_written_total")
let rows = (try? store.eventCount()) ?? -1
let stored = (try? store.machines(InventoryStore.Filter(limit: 1_000_000)).count) ?? -1
print(total, total - dropped, dropped, written, rows, stored, String(format: "%.3f", seconds(offered)), String(format: "%.3f", seconds(drained)))
