import Foundation
import KilnTestSupport
import Testing

/// `../shared/fixtures/matchbox-examples`: one scenario's group folder is
/// served as `groups/`, unchanged, and must answer as matchbox documents.
enum MatchboxExamples {
    static let path: String? = SharedFixtures.path.map { $0 + "/matchbox-examples" }

    static func serve(scenario: String, butane: Bool = false, _ body: (TestServer) async throws -> Void) async throws {
        let examples = try #require(path)
        let root = NSTemporaryDirectory() + "kiln-matchbox-" + UUID().uuidString
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/assets", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: data + "/groups", withDestinationPath: examples + "/groups/" + scenario)
        for folder in ["profiles", "ignition"] where !(butane && folder == "profiles") {
            try FileManager.default.createSymbolicLink(atPath: data + "/" + folder, withDestinationPath: examples + "/" + folder)
        }
        if butane {
            // The same profiles, pointing at the Butane sources matchbox
            // ships beside each .ign instead of the .ign itself.
            try FileManager.default.createDirectory(atPath: data + "/profiles", withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: examples + "/profiles") {
                let text = try String(contentsOfFile: examples + "/profiles/" + name, encoding: .utf8)
                try text.replacingOccurrences(of: ".ign\"", with: ".yaml\"").write(toFile: data + "/profiles/" + name, atomically: true, encoding: .utf8)
            }
        }
        try await withRunning(try await TestServer.start(root: root, dataPath: data, assetsPath: root + "/assets"), body)
    }
}

@Suite(.enabled(if: MatchboxExamples.path != nil, "../shared/fixtures is absent: matchbox compatibility tests skipped"))
struct MatchboxCompatibilityTests {
    static let fcosKernel = "/assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-kernel-x86_64"
    static let fcosInitrd = "--name main /assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-initramfs.x86_64.img"
    static let fcosArgs = "initrd=main coreos.live.rootfs_url=http://matchbox.example.com:8080/assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-rootfs.x86_64.img ignition.firstboot ignition.platform.id=metal ignition.config.url=http://matchbox.example.com:8080/ignition?uuid=${uuid}&mac=${mac:hexhyp}"

    @Test func fedoraCoreOS() async throws {
        try await MatchboxExamples.serve(scenario: "fedora-coreos") { server in
            let query = "?uuid=4c4c4544-0000&mac=52-54-00-a1-9c-ae&domain=&hostname=&serial=&arch=x86_64"
            let boot = try await server.curl("/boot.ipxe")
            #expect(boot.text == "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n")
            let ipxe = try await server.curl("/ipxe" + query)
            #expect(ipxe.status == 200)
            #expect(ipxe.text == "#!ipxe\nkernel \(Self.fcosKernel) \(Self.fcosArgs)\ninitrd \(Self.fcosInitrd)\nboot\n")
            let grub = try await server.curl("/grub" + query)
            #expect(grub.text == """
                default=0
                fallback=1
                timeout=1
                menuentry "CoreOS (EFI)" {
                echo "Loading kernel"
                linuxefi "\(Self.fcosKernel)" \(Self.fcosArgs)
                echo "Loading initrd"
                initrdefi  "\(Self.fcosInitrd)"
                }
                menuentry "CoreOS (BIOS)" {
                echo "Loading kernel"
                linux "\(Self.fcosKernel)" \(Self.fcosArgs)
                echo "Loading initrd"
                initrd  "\(Self.fcosInitrd)"
                }

                """)
            let ignition = try await server.curl("/ignition" + query)
            #expect(ignition.status == 200)
            #expect(ignition.headers["content-type"] == "application/json")
            #expect(ignition.body == FileManager.default.contents(atPath: MatchboxExamples.path! + "/ignition/fedora-coreos.ign"))
        }
    }

    /// matchbox's Butane examples, served as templates: what Kiln translates
    /// means what matchbox ships pre-translated.
    @Test(arguments: [("fedora-coreos", "?mac=52:54:00:a1:9c:ae", "fedora-coreos"), ("flatcar-install", "?mac=52:54:00:89:d8:10", "flatcar-install"),
                      ("flatcar-install", "?mac=52:54:00:89:d8:10&os=installed", "flatcar")])
    func butaneExamplesTranslateToWhatMatchboxShips(_ scenario: String, _ query: String, _ expected: String) async throws {
        try await MatchboxExamples.serve(scenario: scenario, butane: true) { server in
            let ignition = try await server.curl("/ignition" + query)
            #expect(ignition.status == 200, "\(ignition.text)")
            #expect(ignition.headers["content-type"] == "application/json")
            let shipped = try #require(FileManager.default.contents(atPath: MatchboxExamples.path! + "/ignition/\(expected).ign"))
            #expect(try Meaning.of(Array(ignition.body)) == Meaning.of(Array(shipped)))
        }
    }

    @Test func flatcarInstallStages() async throws {
        try await MatchboxExamples.serve(scenario: "flatcar-install") { server in
            let kernel = "/assets/flatcar/3227.2.0/flatcar_production_pxe.vmlinuz"
            let initrd = "/assets/flatcar/3227.2.0/flatcar_production_pxe_image.cpio.gz"
            let args = "initrd=flatcar_production_pxe_image.cpio.gz flatcar.config.url=http://matchbox.example.com:8080/ignition?uuid=${uuid}&mac=${mac:hexhyp} flatcar.first_boot=yes flatcar.autologin"
            let stage0 = try await server.curl("/ipxe?mac=52:54:00:89:d8:10")
            #expect(stage0.headers["x-kiln-group"] == "stage-0")
            #expect(stage0.text == "#!ipxe\nkernel \(kernel) \(args)\ninitrd \(initrd)\nboot\n")
            let stage1 = try await server.curl("/ipxe?mac=52:54:00:89:d8:10&os=installed")
            #expect(stage1.headers["x-kiln-group"] == "stage-1")
            #expect(stage1.headers["x-kiln-profile"] == "flatcar")
            let install = try await server.curl("/ignition?mac=52:54:00:89:d8:10")
            #expect(install.body == FileManager.default.contents(atPath: MatchboxExamples.path! + "/ignition/flatcar-install.ign"))
            let installed = try await server.curl("/ignition?mac=52:54:00:89:d8:10&os=installed")
            #expect(installed.body == FileManager.default.contents(atPath: MatchboxExamples.path! + "/ignition/flatcar.ign"))
        }
    }
}
