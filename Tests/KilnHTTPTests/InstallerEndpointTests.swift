import Foundation
@testable import KilnISO
import KilnTestSupport
import Testing

private let files: [String: String] = [
    "groups/n1.json": #"{"id": "n1", "profile": "install", "selector": {"mac": "52:54:00:12:34:56"}, "metadata": {"hostname": "n1"}}"#,
    "groups/live.json": #"{"id": "live", "profile": "live", "selector": {"mac": "52:54:00:00:00:02"}}"#,
    "groups/none.json": #"{"id": "none", "profile": "none", "selector": {"mac": "52:54:00:00:00:03"}}"#,
    "groups/gone.json": #"{"id": "gone", "profile": "gone", "selector": {"mac": "52:54:00:00:00:04"}}"#,
    "groups/text.json": #"{"id": "text", "profile": "text", "selector": {"mac": "52:54:00:00:00:05"}}"#,
    "profiles/install.json": #"{"id": "install", "ignition_id": "n.yaml", "installer_iso": "fcos/live.iso", "installer_dest_device": "/dev/sda", "installer_kargs_append": ["console=ttyS0"]}"#,
    "profiles/live.json": #"{"id": "live", "ignition_id": "n.yaml", "installer_iso": "fcos/live.iso"}"#,
    "profiles/none.json": #"{"id": "none", "ignition_id": "n.yaml"}"#,
    "profiles/gone.json": #"{"id": "gone", "ignition_id": "n.yaml", "installer_iso": "fcos/missing.iso"}"#,
    "profiles/text.json": #"{"id": "text", "ignition_id": "n.yaml", "installer_iso": "notes.txt"}"#,
    "ignition/n.yaml": "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: {{.request.query.mac}}\n",
]

@Suite(.enabled(if: CoreOSFixture.path != nil, "../shared/fixtures is absent: installer ISO endpoint tests skipped"))
struct InstallerEndpointTests {
    @Test func installerISOsAreTheBaseWithTheMachinesCustomisation() async throws {
        try await withServer(files: files, assets: ["notes.txt": "not an ISO\n"]) { server in
            let base = try await CoreOSFixture.decompress(into: server.assetsPath + "/fcos")
            let ignition = try await server.curl("/ignition?mac=52:54:00:12:34:56")
            #expect(ignition.status == 200)
            let reply = try await server.curl("/installer.iso?mac=52:54:00:12:34:56")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == "application/x-iso9660-image")
            #expect(reply.headers["content-disposition"] == "attachment; filename=\"live.iso\"")
            let size = try #require(FileManager.default.attributesOfItem(atPath: base)[.size] as? Int)
            #expect(reply.headers["content-length"] == String(size))
            #expect(reply.body.count == size)

            // The same bytes the library makes from the same inputs.
            let layout = try InstallerISO.layout(of: base)
            let expected = server.root + "/expected.iso"
            try InstallerISO.write(base: base, patches: try InstallerISO.patches(
                layout, ignition: Array(ignition.body), destinationDevice: "/dev/sda", kernelArguments: ["console=ttyS0"]), to: expected)
            #expect(reply.body == FileManager.default.contents(atPath: expected))

            let head = try await server.curl("/installer.iso?mac=52:54:00:12:34:56", ["-I"])
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == String(size))

            let live = try await server.curl("/installer.iso?mac=52:54:00:00:00:02")
            try live.body.write(to: URL(fileURLWithPath: server.root + "/live.iso"))
            #expect(try InstallerISO.show(server.root + "/live.iso").ignition.map { Data($0) } == (try await server.curl("/ignition?mac=52:54:00:00:00:02")).body)
        }
    }

    @Test func whatCannotBeBuiltIsExplained() async throws {
        try await withServer(files: files, assets: ["notes.txt": "not an ISO\n"]) { server in
            let none = try await server.curl("/installer.iso?mac=52:54:00:00:00:03")
            #expect(none.status == 404)
            #expect(none.text == "profile \"none\" has no installer_iso\n")
            let gone = try await server.curl("/installer.iso?mac=52:54:00:00:00:04")
            #expect(gone.status == 404)
            #expect(gone.text.contains("fcos/missing.iso"))
            let text = try await server.curl("/installer.iso?mac=52:54:00:00:00:05")
            #expect(text.status == 500)
            #expect(text.text.contains("not an ISO 9660 image"))
            #expect(try await server.curl("/installer.iso?mac=52:54:00:99:99:99").status == 404)
        }
    }

    @Test func ignitionInitrdsHoldTheMachinesConfig() async throws {
        try await withServer(files: files) { server in
            let initrd = try await server.curl("/ignition.img?mac=52:54:00:12:34:56")
            #expect(initrd.status == 200)
            #expect(initrd.headers["content-type"] == "application/octet-stream")
            let ignition = try await server.curl("/ignition?mac=52:54:00:12:34:56")
            #expect(try Initrd.read(Array(initrd.body)) == [ISOFile("config.ign", Array(ignition.body))])
            #expect(try await server.curl("/ignition.img?mac=52:54:00:99:99:99").status == 404)
        }
    }
}

enum CoreOSFixture {
    static let path: String? = SharedFixtures.path.map { $0 + "/coreos-iso/embed-areas-2023-07.x86_64.iso.xz" }.flatMap {
        FileManager.default.fileExists(atPath: $0) ? $0 : nil
    }

    static func decompress(into directory: String) async throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = directory + "/live.iso"
        let result = try await ProcessRunner.run("/bin/sh", ["-c", "xz -dc \"$0\" > \"$1\"", path!, output])
        try #require(result.status == 0, "xz: \(result.stderr)")
        return output
    }
}
