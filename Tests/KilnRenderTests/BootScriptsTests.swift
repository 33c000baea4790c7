import Testing
import KilnCore
@testable import KilnRender

@Suite struct BootScriptsTests {
    let boot = BootConfig(kernel: "/assets/k", initrd: ["/assets/i1", "--name main /assets/i2"], args: ["a=1", "b=${mac:hexhyp}"])

    @Test func ipxe() {
        #expect(BootScripts.ipxe(boot) == "#!ipxe\nkernel /assets/k a=1 b=${mac:hexhyp}\ninitrd /assets/i1\ninitrd --name main /assets/i2\nboot\n")
        #expect(BootScripts.ipxe(BootConfig(kernel: "/k")) == "#!ipxe\nkernel /k\nboot\n")
    }

    @Test func grub() {
        let expected = """
            default=0
            fallback=1
            timeout=1
            menuentry "CoreOS (EFI)" {
            echo "Loading kernel"
            linuxefi "/assets/k" a=1 b=${mac:hexhyp}
            echo "Loading initrd"
            initrdefi  "/assets/i1" "--name main /assets/i2"
            }
            menuentry "CoreOS (BIOS)" {
            echo "Loading kernel"
            linux "/assets/k" a=1 b=${mac:hexhyp}
            echo "Loading initrd"
            initrd  "/assets/i1" "--name main /assets/i2"
            }

            """
        #expect(BootScripts.grub(boot) == expected)
    }

    @Test func bootstrap() {
        #expect(BootScripts.ipxeBootstrap == "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n")
    }

    @Test func metadataEnvironmentFile() throws {
        let group = Group(
            id: "g", profile: "p", selector: ["Rack": "b", "mac": "52:54:00:12:34:56"],
            metadata: [
                "rack": .string("overridden"), "count": .number(3), "big": .number(2_000_000), "on": .bool(true),
                "nested": .object(["inner": .string("v"), "deeper": .object(["x": .number(1.5)])]),
                "list": .array([.string("skipped")]), "nothing": .null,
            ])
        let labels = try Labels(query: "mac=52-54-00-12-34-56&os=installed")
        let text = MachineVariables.environmentFile(MachineVariables.collect(group: group, labels: labels))
        #expect(text == """
            BIG=2e+06
            COUNT=3
            MAC=52:54:00:12:34:56
            NESTED_DEEPER_X=1.5
            NESTED_INNER=v
            ON=true
            RACK=b
            REQUEST_QUERY_MAC=52:54:00:12:34:56
            REQUEST_QUERY_OS=installed
            REQUEST_RAW_QUERY=mac=52-54-00-12-34-56&os=installed

            """)
    }
}
