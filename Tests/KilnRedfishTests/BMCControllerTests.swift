import Foundation
import KilnBMC
import KilnCore
import KilnInventory
import KilnRedfish
import Logging
import Synchronization
import Testing

/// The controller over real Redfish: sushy-tools' emulator for the
/// actions, failing BMCs on loopback for the one-action-per-BMC rule and
/// the global bound.
@Suite(.serialized) struct BMCControllerTests {
    static let password = "bmc-password-not-for-logs"

    /// What the controller told the inventory, and what the inventory tells it.
    final class Inventory: Sendable {
        let events = Mutex<[BootEvent]>([])
        let configReached = Mutex(false)
    }

    final class Harness: Sendable {
        let folder = NSTemporaryDirectory() + "kiln-bmc-" + UUID().uuidString
        let inventory = Inventory()
        let controller: BMCController

        init(maxActions: Int = 16, kilnURL: String? = nil) throws {
            var settings = BMCController.Settings()
            settings.maxActions = maxActions
            settings.kilnURL = kilnURL
            settings.powerWait = .seconds(40)
            settings.timing.readRetries = 0
            settings.admissionWait = .milliseconds(500)
            let inventory = self.inventory
            controller = BMCController(registry: try BMCRegistry(folder: folder), settings: settings,
                                       logger: Logger(label: "bmc-test") { _ in SwiftLogNoOpLogHandler() },
                                       recordEvent: { event in inventory.events.withLock { $0.append(event) } },
                                       reachedConfig: { _, _ in inventory.configReached.withLock { $0 } })
        }

        func add(_ mac: String, url: String, password: String = BMCControllerTests.password) throws -> MACAddress {
            let parsed = try #require(MACAddress(mac))
            try controller.add(parsed, .init(url: url, systemPath: nil, username: "admin", password: password, caPEM: nil, insecure: false))
            return parsed
        }

        func targets() -> [String] { inventory.events.withLock { $0.map { "\($0.target) \($0.status)" } } }

        deinit { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test func actionsAgainstTheEmulator() async throws {
        guard let emulator = try await SushyEmulator.start() else { return }
        defer { emulator.stop() }
        try await HostileBMCTests.withBMC(.image) { images in
            let harness = try Harness(kilnURL: images)
            let mac = try harness.add("52:54:00:bb:00:02", url: emulator.url, password: "password")
            // The background read after the add fills the facts.
            for _ in 0..<200 where harness.controller.registry.record(mac.description)?.facts == nil {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(harness.controller.registry.record(mac.description)?.facts?.manufacturer == "Sushy Emulator")
            let facts = try await harness.controller.refreshFacts(mac)
            #expect(facts.facts?.macs.count == 1)
            #expect(facts.notes.contains { $0.contains("is this the right BMC?") })

            let status = try await harness.controller.power(mac, .status)
            #expect(["On", "Off"].contains(status.powerState ?? ""))
            let netboot = try await harness.controller.netboot(mac)
            #expect(netboot.summary.contains("next boot from Pxe"))
            // A cycle is sent, not waited for: the fake driver may still show Off for its 1–11 s.
            #expect(["On", "Off"].contains(try await harness.controller.power(mac, .status).powerState ?? ""))

            let install = try await harness.controller.installISO(mac, netbootCD: false)
            #expect(install.summary.contains(images + "/installer.iso?mac=52:54:00:bb:00:02"))
            #expect(install.summary.contains("next boot from Cd"))
            let pending = try #require(harness.controller.registry.record(mac.description)?.pendingEject)
            #expect(pending.image.hasSuffix("/installer.iso?mac=52:54:00:bb:00:02"))
            // Not yet at config: the image stays.
            await harness.controller.checkEjects()
            #expect(harness.controller.registry.record(mac.description)?.pendingEject != nil)
            harness.inventory.configReached.withLock { $0 = true }
            await harness.controller.checkEjects()
            #expect(harness.controller.registry.record(mac.description)?.pendingEject == nil)
            #expect(harness.targets().contains("eject media (the machine reached config) 200"))
            #expect(try await harness.controller.ejectMedia(mac).summary.hasPrefix("nothing inserted"))

            let targets = harness.targets()
            for expected in ["bmc added 200", "read facts 200", "power status 200", "netboot 200", "install-iso 200"] {
                #expect(targets.contains(expected), "\(targets)")
            }
            #expect(harness.inventory.events.withLock { $0.allSatisfy { $0.kind == .bmc && $0.mac == mac.description && !($0.reason ?? "").contains("password") } })
        }
    }

    @Test func oneActionPerBMCAndABoundOnAll() async throws {
        try await HostileBMCTests.withBMC(.slow) { slow in
            try await HostileBMCTests.withBMC(.unauthorized) { refusing in
                let harness = try Harness(maxActions: 2)
                let a = try harness.add("52:54:00:bb:00:0a", url: slow)
                let b = try harness.add("52:54:00:bb:00:0b", url: refusing)
                // The add's background fact read holds the slow BMC for five seconds.
                try await Task.sleep(for: .milliseconds(300))
                let started = ContinuousClock.now
                do {
                    _ = try await harness.controller.power(a, .on)
                    Issue.record("a second action on a busy BMC was run")
                } catch let error as BMCController.Refusal {
                    #expect(error.kind == .busy && error.message.contains("busy with read facts"))
                }
                // Another BMC is not held up by the hanging one.
                do {
                    _ = try await harness.controller.power(b, .status)
                    Issue.record("the refusing BMC answered")
                } catch let error as BMCController.Refusal {
                    #expect(error.kind == .bmcFailed && error.message.contains("401"))
                    #expect(!error.message.contains(BMCControllerTests.password))
                }
                #expect(started.duration(to: .now) < .seconds(3))

                let bounded = try Harness(maxActions: 1)
                let c = try bounded.add("52:54:00:bb:00:0c", url: slow)
                let d = try bounded.add("52:54:00:bb:00:0d", url: refusing)
                try await Task.sleep(for: .milliseconds(100))
                // The add's background fact read on the slow BMC holds the only slot.
                do {
                    _ = try await bounded.controller.power(d, .status)
                    Issue.record("the bound of one action was not kept")
                } catch let error as BMCController.Refusal {
                    #expect(error.kind == .overloaded || error.kind == .busy)
                }
                _ = c
                let failed = harness.inventory.events.withLock { $0.filter { $0.status == 502 } }
                #expect(failed.contains { $0.target == "power status" && ($0.reason ?? "").contains("401") })
            }
        }
    }

    @Test func theRegistryFileIsPrivateAndADamagedOneStopsKiln() throws {
        let folder = NSTemporaryDirectory() + "kiln-bmc-registry-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let registry = try BMCRegistry(folder: folder)
        try registry.update("52:54:00:bb:00:10") { $0 = BMCRecord(mac: "52:54:00:bb:00:10", url: "https://bmc", username: "u", password: "p") }
        let attributes = try FileManager.default.attributesOfItem(atPath: registry.path)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        #expect(try BMCRegistry(folder: folder).record("52:54:00:bb:00:10")?.password == "p")

        chmod(registry.path, 0o644)
        var warnings: [String] = []
        _ = try BMCRegistry(folder: folder) { warnings.append($0) }
        #expect(warnings.count == 1 && warnings[0].contains("0600"))
        #expect(try FileManager.default.attributesOfItem(atPath: registry.path)[.posixPermissions] as? Int == 0o600)

        try Data("[{\"mac\": \"52:54:00:bb:00:10\"".utf8).write(to: URL(fileURLWithPath: registry.path))
        #expect(throws: BMCRegistry.Failure.self) { _ = try BMCRegistry(folder: folder) }
        try Data("[{\"mac\": \"x\"}]".utf8).write(to: URL(fileURLWithPath: registry.path))
        do {
            _ = try BMCRegistry(folder: folder)
            Issue.record("a record without its fields was accepted")
        } catch {
            #expect("\(error)".contains("lacks url"))
        }
    }
}
