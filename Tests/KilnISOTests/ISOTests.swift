import Foundation
import KilnCore
@testable import KilnISO
import KilnTestSupport
import Testing

/// Every image is read back by the tools that consume such images: blkid
/// (what udev and cloud-init's device search see), isoinfo (Rock Ridge and
/// Joliet names), xorriso, and cloud-init's own readers.
struct ISOReadBack {
    let directory: String
    let image: String

    static func tool(_ name: String) throws -> String {
        try #require(ProcessRunner.find(name), "\(name) is not installed: make test installs it")
    }

    init(_ bytes: [UInt8]) throws {
        directory = try makeTemporaryDirectory("kiln-iso-test")
        image = directory + "/image.iso"
        try Data(bytes).write(to: URL(fileURLWithPath: image))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// blkid's low-level probe: LABEL, TYPE and friends.
    func probe() async throws -> [String: String] {
        let result = try await ProcessRunner.run(try Self.tool("blkid"), ["-p", "-o", "export", image])
        #expect(result.status == 0, "blkid: \(result.stderr)")
        var values: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            // export format escapes spaces and other shell characters
            values[String(line[..<eq])] = String(line[line.index(after: eq)...]).replacingOccurrences(of: "\\", with: "")
        }
        return values
    }

    /// isoinfo's listing of the Rock Ridge (`-R`) or Joliet (`-J`) tree.
    func names(_ flag: String) async throws -> [String] {
        let result = try await ProcessRunner.run(try Self.tool("isoinfo"), [flag, "-f", "-i", image])
        #expect(result.status == 0, "isoinfo: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init).sorted()
    }

    func toc() async throws -> String {
        let result = try await ProcessRunner.run(try Self.tool("xorriso"), ["-indev", image, "-toc"])
        #expect(result.status == 0, "xorriso: \(result.stderr)")
        return result.stdout + result.stderr
    }

    func elTorito() async throws -> String {
        let result = try await ProcessRunner.run(try Self.tool("xorriso"), ["-indev", image, "-report_el_torito", "plain"])
        #expect(result.status == 0, "xorriso: \(result.stderr)")
        return result.stdout + result.stderr
    }

    /// The whole tree, extracted by xorriso (Rock Ridge names and modes).
    func extract() async throws -> String {
        let tree = directory + "/tree"
        let result = try await ProcessRunner.run(try Self.tool("xorriso"), ["-osirrox", "on", "-indev", image, "-extract", "/", tree])
        #expect(result.status == 0, "xorriso extract: \(result.stderr)")
        return tree
    }

    /// Runs Python with cloud-init importable; the script prints JSON.
    static func cloudInit(_ script: String, _ arguments: [String]) async throws -> JSONValue {
        let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", script] + arguments)
        try #require(result.status == 0, "python3 with cloud-init: \(result.stderr) (make test installs cloud-init)")
        return try JSONReader.parse(Array(result.stdout.utf8)).value
    }
}

@Suite struct ConfigDriveTests {
    static let ignition = #"{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/hostname","contents":{"source":"data:,node1"},"mode":420}]}}"#
    static let contents = ConfigDriveContents(
        userData: Array(ignition.utf8), instanceID: "5f1c0b2e-0f1e-4e1a-9a55-2f8d3c1e7a10", hostname: "node1.example.com",
        publicKeys: [.init(name: "key-1", key: "ssh-ed25519 AAAAC3Nza ops@example"), .init(name: "key-2", key: "ssh-rsa AAAAB3Nza admin@example")],
        networkData: Array(#"{"links":[],"networks":[],"services":[]}"#.utf8))

    static let readConfigDrive = """
        import json, sys
        from cloudinit.sources import DataSourceConfigDrive
        results = DataSourceConfigDrive.read_config_drive(sys.argv[1])
        print(json.dumps({"metadata": results["metadata"], "userdata": results["userdata"].decode() if isinstance(results["userdata"], bytes) else results["userdata"], "networkdata": results.get("networkdata"), "version": results["version"]}))
        """

    static let readNoCloud = """
        import json, sys
        from cloudinit import util
        seed = util.pathprefix2dict(sys.argv[1], required=["user-data", "meta-data"], optional=["vendor-data", "network-config"])
        out = {name: (value.decode() if isinstance(value, bytes) else value) for name, value in seed.items()}
        out["meta-data-parsed"] = util.load_yaml(seed["meta-data"])
        print(json.dumps(out))
        """

    @Test func openStackDriveReadsBackEverywhere() async throws {
        let readBack = try ISOReadBack(try ConfigDrive.build(.openStack, Self.contents))
        defer { readBack.remove() }
        let probe = try await readBack.probe()
        #expect(probe["LABEL"] == "config-2")
        #expect(probe["TYPE"] == "iso9660")
        let expected = ["/openstack", "/openstack/latest", "/openstack/latest/meta_data.json", "/openstack/latest/network_data.json", "/openstack/latest/user_data"]
        #expect(try await readBack.names("-R") == expected)
        #expect(try await readBack.names("-J") == expected)
        #expect(try await readBack.toc().contains("CONFIG_2"))

        let tree = try await readBack.extract()
        let read = try await ISOReadBack.cloudInit(Self.readConfigDrive, [tree])
        let metadata = try #require(read.objectValue?["metadata"]?.objectValue)
        #expect(metadata["uuid"] == .string("5f1c0b2e-0f1e-4e1a-9a55-2f8d3c1e7a10"))
        #expect(metadata["hostname"] == .string("node1.example.com"))
        #expect(metadata["name"] == .string("node1.example.com"))
        #expect(metadata["public_keys"] == .object(["key-1": .string("ssh-ed25519 AAAAC3Nza ops@example"), "key-2": .string("ssh-rsa AAAAB3Nza admin@example")]))
        #expect(read.objectValue?["userdata"] == .string(Self.ignition))
        #expect(read.objectValue?["networkdata"] == .object(["links": .array([]), "networks": .array([]), "services": .array([])]))

        // The user data is Ignition 3.3.0: Ignition itself accepts it.
        let validate = try #require(ProcessRunner.find("ignition-validate"), "ignition-validate is not installed: make test installs it")
        let result = try await ProcessRunner.run(validate, [tree + "/openstack/latest/user_data"])
        #expect(result.status == 0, "ignition-validate: \(result.stdout) \(result.stderr)")
    }

    @Test func noCloudSeedReadsBackEverywhere() async throws {
        var contents = Self.contents
        contents.userData = Array("#cloud-config\nhostname: node1\n".utf8)
        contents.vendorData = Array("#cloud-config\npackages: [htop]\n".utf8)
        // Characters that would break YAML written naively.
        contents.hostname = "node1: \"quoted\" # not a comment\nsecond line"
        let readBack = try ISOReadBack(try ConfigDrive.build(.noCloud, contents))
        defer { readBack.remove() }
        let probe = try await readBack.probe()
        #expect(probe["LABEL"] == "cidata")
        #expect(probe["TYPE"] == "iso9660")
        let expected = ["/meta-data", "/network-config", "/user-data", "/vendor-data"]
        #expect(try await readBack.names("-R") == expected)
        #expect(try await readBack.names("-J") == expected)
        #expect(try await readBack.toc().contains("CIDATA"))

        let tree = try await readBack.extract()
        let read = try #require(try await ISOReadBack.cloudInit(Self.readNoCloud, [tree]).objectValue)
        #expect(read["user-data"] == .string("#cloud-config\nhostname: node1\n"))
        #expect(read["vendor-data"] == .string("#cloud-config\npackages: [htop]\n"))
        let metadata = try #require(read["meta-data-parsed"]?.objectValue)
        #expect(metadata["instance-id"] == .string("5f1c0b2e-0f1e-4e1a-9a55-2f8d3c1e7a10"))
        #expect(metadata["local-hostname"] == .string("node1: \"quoted\" # not a comment\nsecond line"))
        #expect(metadata["public-keys"] == .array([.string("ssh-ed25519 AAAAC3Nza ops@example"), .string("ssh-rsa AAAAB3Nza admin@example")]))
    }

    @Test func aMinimalDriveHasOnlyWhatIsRequired() async throws {
        let contents = ConfigDriveContents(userData: [], instanceID: "i-1")
        let openStack = ConfigDrive.files(.openStack, contents).map(\.path)
        #expect(openStack == ["openstack/latest/meta_data.json", "openstack/latest/user_data"])
        #expect(ConfigDrive.files(.openStack, contents).first?.bytes == Array("{\"uuid\":\"i-1\"}\n".utf8))
        #expect(ConfigDrive.files(.noCloud, contents).map(\.path) == ["meta-data", "user-data"])
    }
}

@Suite struct ISOImageTests {
    @Test func badInputIsRefusedWithAReason() {
        let file = ISOFile("a.txt", text: "a")
        for (files, label) in [
            ([file], ""), ([file], String(repeating: "x", count: 33)),
            ([ISOFile("../a", text: "")], "L"), ([ISOFile("/a", text: "")], "L"), ([ISOFile("a//b", text: "")], "L"),
            ([ISOFile("a/./b", text: "")], "L"), ([ISOFile("", text: "")], "L"), ([file, file], "L"),
        ] {
            #expect(throws: ISOError.self) { try ISOImage.build(files, options: ISOOptions(volumeID: label)) }
        }
        do {
            _ = try ISOImage.build([file], options: ISOOptions(volumeID: "L", boot: ElToritoBoot(image: "missing.bin", catalog: "boot.cat")))
            Issue.record("a boot image that is not in the image was accepted")
        } catch {
            #expect(error.description.contains("missing.bin"))
        }
    }

    /// Past ISO 9660's eight levels libarchive moves directories into
    /// rr_moved with Rock Ridge relocation records (turning relocation off
    /// crashes libarchive 3.6.2); readers that follow Rock Ridge see the
    /// tree as given.
    @Test func deepTreesAndLongNamesKeepTheirNames() async throws {
        let deep = "a/b/c/d/e/f/g/h/i/j/a-file-with-a-long-lowercase-name.json"
        let readBack = try ISOReadBack(try ISOImage.build([ISOFile(deep, text: "{}"), ISOFile("top", text: "x")], options: ISOOptions(volumeID: "deep")))
        defer { readBack.remove() }
        #expect(try await readBack.names("-J").contains("/top"))
        let tree = try await readBack.extract()
        #expect(FileManager.default.contents(atPath: tree + "/" + deep) == Data("{}".utf8))
        #expect(FileManager.default.contents(atPath: tree + "/top") == Data("x".utf8))
    }
}

@Suite struct NetbootISOTests {
    @Test func serverURLsAreChecked() throws {
        #expect(try NetbootISO.serverURL("http://10.0.0.1:8080/") == "http://10.0.0.1:8080")
        #expect(try NetbootISO.serverURL("https://kiln.example.com/base") == "https://kiln.example.com/base")
        for bad in ["", "10.0.0.1:8080", "ftp://x", "http://", "http://a b", "http://x/${mac}", "http://x\"y", "http://x/\n"] {
            #expect(throws: ISOError.self, "\(bad.debugDescription)") { try NetbootISO.serverURL(bad) }
        }
    }

    @Test func missingBootLoadersAreNamedWithTheirPackage() {
        do {
            _ = try NetbootISO.build(server: "http://10.0.0.1:8080", sources: NetbootSources(isolinux: "/nonexistent/isolinux.bin"))
            Issue.record("built without isolinux.bin")
        } catch {
            #expect(error.description.contains("/nonexistent/isolinux.bin"))
            #expect(error.description.contains("isolinux"))
        }
    }

    @Test func theImageBootsISOLINUXWhichLoadsIPXEWithTheScript() async throws {
        let sources = NetbootSources()
        for path in [sources.isolinux, sources.ldlinux, sources.ipxe] {
            try #require(FileManager.default.isReadableFile(atPath: path), "\(path) is missing: make test installs isolinux, syslinux-common and ipxe")
        }
        let readBack = try ISOReadBack(try NetbootISO.build(server: "http://10.0.2.2:8080", sources: sources))
        defer { readBack.remove() }
        let probe = try await readBack.probe()
        #expect(probe["LABEL"] == "KILN_NETBOOT")
        #expect(probe["BOOT_SYSTEM_ID"] == "EL TORITO SPECIFICATION")
        let report = try await readBack.elTorito()
        #expect(report.contains("/isolinux/isolinux.bin"))
        #expect(report.contains("BIOS"))
        #expect(report.contains("boot-info-table"))
        #expect(try await readBack.names("-R") == ["/ipxe.lkrn", "/isolinux", "/isolinux/boot.cat", "/isolinux/isolinux.bin", "/isolinux/isolinux.cfg", "/isolinux/ldlinux.c32", "/kiln.ipxe"])
        let tree = try await readBack.extract()
        let script = try String(contentsOfFile: tree + "/kiln.ipxe", encoding: .utf8)
        #expect(script.hasPrefix("#!ipxe\n"))
        #expect(script.contains("chain http://10.0.2.2:8080/boot.ipxe"))
        let config = try String(contentsOfFile: tree + "/isolinux/isolinux.cfg", encoding: .utf8)
        #expect(config.contains("KERNEL /ipxe.lkrn") && config.contains("INITRD /kiln.ipxe"))
        #expect(FileManager.default.contents(atPath: tree + "/ipxe.lkrn") == FileManager.default.contents(atPath: sources.ipxe))
    }
}
