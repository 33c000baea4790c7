import Foundation
import KilnRedfish
import Testing

/// The client against sushy-tools' Redfish emulator: what a real BMC's
/// resources look like, with power changes that take seconds.
@Suite(.serialized) struct RedfishEmulatorTests {
    static func withSystem(_ body: (RedfishSystem) async throws -> Void) async throws {
        guard let emulator = try await SushyEmulator.start() else { return }
        defer { emulator.stop() }
        let client = try RedfishClient(endpoint: RedfishEndpoint(url: emulator.url, username: "admin", password: "password"))
        do {
            try await body(try await RedfishSystem.find(client))
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }

    @Test func factsPowerBootAndMedia() async throws {
        try await Self.withSystem { system in
            let facts = try await system.facts()
            #expect(facts.manufacturer == "Sushy Emulator")
            #expect(facts.macs.count == 1 && facts.macs.allSatisfy { $0.count == 17 && $0 == $0.lowercased() })
            #expect(facts.uuid != nil)

            // Power changes land 1–11 s later on this emulator: the actions wait for them, bounded.
            let on = try await system.powerOn(wait: .seconds(30))
            #expect(on.summary.hasPrefix("on") || on.summary == "already on")
            #expect(try await system.powerState() == .on)
            let off = try await system.powerOff(grace: .seconds(30), wait: .seconds(30))
            #expect(off.summary.hasPrefix("off"))
            #expect(try await system.powerState() == .off)

            let boot = try await system.bootOnce(.pxe)
            #expect(boot.summary == "next boot from Pxe")
            // The fake driver keeps its override Continuous: Kiln reads that back and says so.
            #expect(boot.notes.allSatisfy { $0.contains("Continuous") })
            #expect(try await system.bootOnce(.cd).summary == "next boot from Cd")

            // The emulator fetches the image, as a BMC does.
            try await HostileBMCTests.withBMC(.image) { images in
                let inserted = try await system.insertMedia(images + "/netboot.iso")
                #expect(inserted.summary.contains(images + "/netboot.iso"))
                // Inserting over an inserted image ejects it first.
                #expect(try await system.insertMedia(images + "/installer.iso").summary.contains("installer.iso"))
            }
            #expect(try await system.ejectMedia().summary.hasPrefix("ejected"))
            #expect(try await system.ejectMedia().summary.hasPrefix("nothing inserted"))
        }
    }

    @Test func aSystemPathMustBeARedfishSystemPath() async throws {
        for bad in ["/etc/passwd", "/redfish/v1/Systems/../Managers", "/redfish/v1/Systems/x?y", "https://elsewhere/redfish/v1/Systems/1"] {
            let client = try RedfishClient(endpoint: RedfishEndpoint(url: "http://127.0.0.1:9", systemPath: bad, username: "u", password: "p"))
            await #expect(throws: RedfishError.self) { _ = try await RedfishSystem.find(client) }
            await client.close()
        }
        for bad in ["ftp://bmc", "bmc.example", "https://", "https://user:pass@bmc.example"] {
            #expect(throws: RedfishError.self) { _ = try RedfishClient(endpoint: RedfishEndpoint(url: bad, username: "u", password: "p")) }
        }
    }
}
