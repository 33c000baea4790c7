import Foundation
import KilnCore
@testable import KilnISO
import KilnTestSupport
import Testing

/// The CoreOS live ISOs in ../shared/fixtures/coreos-iso (coreos-installer's
/// own test images, with real embed areas), decompressed per test.
enum CoreOSFixtures {
    static let directory = SharedFixtures.path.map { $0 + "/coreos-iso" }

    static var names: [String] {
        guard let directory else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".iso.xz") }.sorted()
    }

    /// The decompressed image in a fresh directory.
    static func decompress(_ name: String, into work: String) async throws -> String {
        let xz = try #require(ProcessRunner.find("xz"), "xz is not installed: make test installs xz-utils")
        let output = work + "/" + String(name.dropLast(3))
        let result = try await ProcessRunner.run("/bin/sh", ["-c", "\"$0\" -dc \"$1\" > \"$2\"", xz, directory! + "/" + name, output])
        try #require(result.status == 0, "xz: \(result.stderr)")
        return output
    }
}

@Suite(.enabled(if: CoreOSFixtures.directory != nil, "../shared/fixtures is absent: CoreOS ISO embedding tests skipped"))
struct InstallerTests {
    static let config = Array(#"{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA kiln@test"]}]}}"#.utf8) + [0x0A]

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try #require(FileManager.default.contents(atPath: path)))
    }

    /// Offsets the customisation may change.
    static func isInArea(_ offset: Int, _ layout: InstallerLayout) -> Bool {
        if offset >= Int(layout.ignition.offset), offset < Int(layout.ignition.offset + layout.ignition.length) { return true }
        return layout.kargs?.areas.contains { offset >= Int($0.offset) && offset < Int($0.offset) + layout.kargs!.size } ?? false
    }

    @Test(arguments: CoreOSFixtures.names)
    func embedReadBackResetAndNothingElseChanges(_ name: String) async throws {
        let work = try makeTemporaryDirectory("kiln-installer")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let base = try await CoreOSFixtures.decompress(name, into: work)
        let original = try Self.bytes(base)
        let layout = try InstallerISO.layout(of: base)
        #expect(layout.ignition.length == 262_144)
        let kargs = try #require(layout.kargs, "\(name) has kargs.json")
        #expect(kargs.areas.count == 2)

        let output = work + "/custom.iso"
        let patches = try InstallerISO.patches(layout, ignition: Self.config, kernelArguments: ["console=ttyS0,115200n8", "kiln.test=1"])
        try InstallerISO.write(base: base, patches: patches, to: output)
        let customised = try Self.bytes(output)
        #expect(customised.count == original.count)
        var changedOutside = 0
        for index in 0..<original.count where original[index] != customised[index] && !Self.isInArea(index, layout) { changedOutside += 1 }
        #expect(changedOutside == 0, "bytes changed outside the embed and karg areas")

        let shown = try InstallerISO.show(output)
        #expect(shown.ignition == Self.config)
        #expect(shown.initrdFiles == ["config.ign"])
        #expect(shown.kernelArguments == kargs.defaults + " console=ttyS0,115200n8 kiln.test=1")
        for area in kargs.areas {
            let text = String(decoding: customised[Int(area.offset)..<(Int(area.offset) + kargs.size)], as: UTF8.self)
            #expect(text.hasPrefix(kargs.defaults + " console=ttyS0,115200n8 kiln.test=1\n#"))
            #expect(text.hasSuffix("###"))
        }

        // Tools other than Kiln read the same config out of the area: the
        // area is a gzip-compressed newc cpio archive followed by zeros.
        let area = Array(customised[Int(layout.ignition.offset)..<Int(layout.ignition.offset + layout.ignition.length)])
        try Data(area).write(to: URL(fileURLWithPath: work + "/area.img"))
        let cpio = try #require(ProcessRunner.find("cpio"), "cpio is not installed: make test installs it")
        let extracted = try await ProcessRunner.run("/bin/sh", ["-c", "gzip -dc < \"$1\" 2>/dev/null | \"$0\" -i --quiet --to-stdout config.ign", cpio, work + "/area.img"])
        #expect(extracted.stdout == String(decoding: Self.config, as: UTF8.self))

        // Embedding again replaces; resetting gives back the shipped image.
        let second = Array(#"{"ignition":{"version":"3.0.0"}}"#.utf8)
        try InstallerISO.write(base: output, patches: try InstallerISO.patches(try InstallerISO.layout(of: output), ignition: second), to: output)
        let again = try InstallerISO.show(output)
        #expect(again.ignition == second)
        #expect(again.kernelArguments == kargs.defaults)
        try InstallerISO.write(base: output, patches: try InstallerISO.resetPatches(try InstallerISO.layout(of: output)), to: output)
        #expect(try await ProcessRunner.sha256(output) == (try await ProcessRunner.sha256(base)))
        #expect(try InstallerISO.show(output).ignition == nil)
    }

    @Test(arguments: CoreOSFixtures.names)
    func bootRecordsAndNamesSurvive(_ name: String) async throws {
        let work = try makeTemporaryDirectory("kiln-installer")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let base = try await CoreOSFixtures.decompress(name, into: work)
        let output = work + "/custom.iso"
        try InstallerISO.write(base: base, patches: try InstallerISO.patches(try InstallerISO.layout(of: base), ignition: Self.config), to: output)
        let xorriso = try #require(ProcessRunner.find("xorriso"), "xorriso is not installed: make test installs it")
        func report(_ path: String) async throws -> String {
            let result = try await ProcessRunner.run(xorriso, ["-indev", path, "-report_el_torito", "plain", "-toc"])
            // Lines naming the file or the free space of the disk it is on differ anyway.
            return (result.stdout + result.stderr).split(separator: "\n")
                .filter { !$0.contains("Drive current") && !$0.contains("writable") && !$0.contains("free") }.joined(separator: "\n")
        }
        let baseReport = try await report(base)
        #expect(baseReport.contains("El Torito boot img"))
        #expect(try await report(output) == baseReport)
        let isoinfo = try #require(ProcessRunner.find("isoinfo"), "isoinfo is not installed: make test installs genisoimage")
        let names = try await ProcessRunner.run(isoinfo, ["-R", "-f", "-i", output])
        #expect(names.stdout == (try await ProcessRunner.run(isoinfo, ["-R", "-f", "-i", base])).stdout)
        #expect(names.stdout.contains("/images/ignition.img"))
    }

    @Test func unattendedInstallsCarryTheConfigAndTheDevice() async throws {
        let live = try InstallerISO.unattendedInstall(Self.config, device: "/dev/disk/by-id/wwn-0x5000")
        let validate = try #require(ProcessRunner.find("ignition-validate"), "ignition-validate is not installed: make test installs ignition")
        let work = try makeTemporaryDirectory("kiln-installer")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try Data(live).write(to: URL(fileURLWithPath: work + "/live.ign"))
        let result = try await ProcessRunner.run(validate, [work + "/live.ign"])
        #expect(result.status == 0, "ignition-validate: \(result.stdout)\(result.stderr)")
        let document = try JSONReader.parse(live).value
        guard case .array(let files)? = document.objectValue?["storage"]?.objectValue?["files"] else {
            Issue.record("no files")
            return
        }
        var decoded: [String: String] = [:]
        for file in files {
            let path = try #require(file.objectValue?["path"]?.stringValue)
            let source = try #require(file.objectValue?["contents"]?.objectValue?["source"]?.stringValue)
            let data = try #require(Data(base64Encoded: String(source.dropFirst("data:;base64,".count))))
            decoded[path] = String(decoding: data, as: UTF8.self)
        }
        #expect(decoded["/etc/coreos/dest.ign"] == String(decoding: Self.config, as: UTF8.self))
        #expect(decoded["/etc/coreos/installer.d/0000-kiln.yaml"]?.contains("dest-device: \"/dev/disk/by-id/wwn-0x5000\"") == true)
        #expect(decoded["/etc/coreos/installer.d/0000-kiln.yaml"]?.contains("ignition-file: /etc/coreos/dest.ign") == true)
        #expect(throws: ISOError.self) { try InstallerISO.unattendedInstall(Self.config, device: "sda") }
    }

    @Test func anOversizedConfigFailsAndWritesNothing() async throws {
        let name = try #require(CoreOSFixtures.names.first)
        let work = try makeTemporaryDirectory("kiln-installer")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let base = try await CoreOSFixtures.decompress(name, into: work)
        var generator = SplitMix64(seed: 7)
        let noise = (0..<400_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        do {
            _ = try InstallerISO.patches(try InstallerISO.layout(of: base), ignition: noise)
            Issue.record("an incompressible 400 KB config fitted a 256 KiB area")
        } catch {
            #expect("\(error)".contains("the ISO's embed area holds 262144"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work) == [String(name.dropLast(3))])
    }

    @Test func anImageWithoutAnEmbedAreaIsRefused() throws {
        let work = try makeTemporaryDirectory("kiln-installer")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let plain = try ISOImage.build([ISOFile("readme.txt", text: "not CoreOS")], options: ISOOptions(volumeID: "plain"))
        try Data(plain).write(to: URL(fileURLWithPath: work + "/plain.iso"))
        do {
            _ = try InstallerISO.layout(of: work + "/plain.iso")
            Issue.record("a plain ISO was taken for a CoreOS one")
        } catch {
            #expect(error.description.contains("has no CoreOS embed area"))
        }
        try Data("not an iso".utf8).write(to: URL(fileURLWithPath: work + "/text.iso"))
        #expect(throws: ISOError.self) { try InstallerISO.layout(of: work + "/text.iso") }
        #expect(throws: ISOError.self) { try InstallerISO.layout(of: work + "/missing.iso") }
        #expect(throws: ISOError.self) { try InstallerISO.layout(of: work) }
    }

    @Test func initrdsRoundTrip() throws {
        let files = [ISOFile("config.ign", Self.config), ISOFile("etc/other", text: "x")]
        let initrd = try Initrd.build(files)
        #expect(initrd.prefix(2) == [0x1F, 0x8B])
        #expect(try Initrd.read(initrd + [UInt8](repeating: 0, count: 4096)) == files)
        #expect(try Initrd.build(files) == initrd, "the same files give the same bytes")
        #expect(throws: ISOError.self) { try Initrd.read([0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02]) }
    }
}
