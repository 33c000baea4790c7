import Foundation
import Testing

private let files: [String: String] = [
    "groups/node1.json": #"{"id": "node1", "profile": "node", "selector": {"mac": "52:54:00:12:34:56"}, "metadata": {"hostname": "node1.example.com"}}"#,
    "groups/bare.json": #"{"id": "bare", "profile": "bare", "selector": {"uuid": "bare"}}"#,
    "groups/broken.json": #"{"id": "broken", "profile": "broken", "selector": {"uuid": "broken"}}"#,
    "profiles/node.json": #"{"id": "node", "ignition_id": "node.yaml", "cloud_id": "node.yaml", "config_drive": {"network_data_id": "net.json"}}"#,
    "profiles/bare.json": #"{"id": "bare"}"#,
    "profiles/broken.json": #"{"id": "broken", "generic_id": "err.txt"}"#,
    "ignition/node.yaml": "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: {{.hostname}}\n",
    "cloud/node.yaml": "#cloud-config\nhostname: {{.hostname}}\n",
    "generic/err.txt": "{{.missing}}\n",
    "generic/net.json": #"{"links": [{"id": "eth0", "ethernet_mac_address": "{{.request.query.mac}}"}]}"#,
]

private func contains(_ haystack: Data, _ needle: String) -> Bool {
    haystack.range(of: Data(needle.utf8)) != nil
}

@Suite struct ISOEndpointTests {
    @Test func configDrivesCarryTheMachinesConfig() async throws {
        try await withServer(files: files) { server in
            let ignition = try await server.curl("/ignition?mac=52:54:00:12:34:56")
            #expect(ignition.status == 200)
            let drive = try await server.curl("/configdrive.iso?mac=52-54-00-12-34-56")
            #expect(drive.status == 200)
            #expect(drive.headers["content-type"] == "application/x-iso9660-image")
            #expect(drive.headers["content-disposition"] == "attachment; filename=\"52-54-00-12-34-56-config-2.iso\"")
            #expect(drive.headers["content-length"] == String(drive.body.count))
            #expect(drive.headers["x-kiln-group"] == "node1")
            // ISO 9660's signature, and the user data stored as it is.
            #expect(drive.body.count > 0x8006 && drive.body[0x8001..<0x8006] == Data("CD001".utf8))
            #expect(contains(drive.body, ignition.text))
            #expect(contains(drive.body, "\"hostname\":\"node1.example.com\""))
            // The profile's network_data_id, rendered for this machine.
            #expect(contains(drive.body, #"{"links": [{"id": "eth0", "ethernet_mac_address": "52:54:00:12:34:56"}]}"#))

            let seed = try await server.curl("/configdrive.iso?format=cidata&mac=52:54:00:12:34:56")
            #expect(seed.status == 200)
            #expect(seed.headers["content-disposition"] == "attachment; filename=\"52-54-00-12-34-56-cidata.iso\"")
            #expect(contains(seed.body, "local-hostname: \"node1.example.com\""))
        }
    }

    @Test func badRequestsGetAReason() async throws {
        try await withServer(files: files) { server in
            let format = try await server.curl("/configdrive.iso?mac=52:54:00:12:34:56&format=vfat")
            #expect(format.status == 400)
            #expect(format.text == "format \"vfat\" is not config-2 or cidata\n")
            #expect(try await server.curl("/configdrive.iso?mac=zz").status == 400)
            let unmatched = try await server.curl("/configdrive.iso?mac=52:54:00:00:00:99")
            #expect(unmatched.status == 404)
            #expect(unmatched.text.hasPrefix("no group matches"))
            let bare = try await server.curl("/configdrive.iso?uuid=bare")
            #expect(bare.status == 404)
            #expect(bare.text.contains("names no ignition_id, cloud_id or generic_id"))
            let broken = try await server.curl("/configdrive.iso?uuid=broken")
            #expect(broken.status == 500)
            #expect(broken.text.contains("missing"))
        }
    }

    @Test func netbootImagesChainToTheServerTheyWereFetchedFrom() async throws {
        for path in ["/usr/lib/ISOLINUX/isolinux.bin", "/usr/lib/syslinux/modules/bios/ldlinux.c32", "/usr/lib/ipxe/ipxe.lkrn"] {
            try #require(FileManager.default.isReadableFile(atPath: path), "\(path) is missing: make test installs isolinux, syslinux-common and ipxe")
        }
        try await withServer(files: files) { server in
            let image = try await server.curl("/netboot.iso")
            #expect(image.status == 200)
            #expect(image.headers["content-disposition"] == "attachment; filename=\"kiln-netboot.iso\"")
            #expect(contains(image.body, "chain \(server.base)/boot.ipxe"))
            let named = try await server.curl("/netboot.iso", ["-H", "Host: kiln.rack1.example:8080"])
            #expect(contains(named.body, "chain http://kiln.rack1.example:8080/boot.ipxe"))
            let hostile = try await server.curl("/netboot.iso", ["-H", "Host: a${b}"])
            #expect(hostile.status == 400)
        }
    }
}
