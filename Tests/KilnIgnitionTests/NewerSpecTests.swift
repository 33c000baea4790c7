import KilnCore
@testable import KilnIgnition
import Testing

/// fcos 1.7.0 (Ignition 3.6.0), and the image-based variants r4e and fiot.
@Suite struct NewerSpecTests {
    @Test func fcos170EmitsIgnition360() throws {
        let output = try translate("""
            variant: fcos
            version: 1.7.0
            storage:
              files:
                - path: /usr/local/bin/helper
                  mode: 04755
                  contents:
                    inline: "#!/bin/sh\\n"
            """, strict: true)
        let text = json(output)
        #expect(text.hasPrefix(#"{"ignition":{"version":"3.6.0"}"#))
        // 3.6.0 is the first spec where setuid works: no warning.
        #expect(output.warnings.isEmpty, "\(output.warnings)")
        #expect(text.contains(#""mode":2541"#))
        #expect(IgnitionStructure.check(output.json) == [])
    }

    @Test func specialModeBitsWarnBefore360() throws {
        let output = try translate("variant: fcos\nversion: 1.6.0\nstorage:\n  directories:\n    - path: /srv/drop\n      mode: 01777\n")
        #expect(output.warnings.contains { $0.description.contains("sticky bits (mode 1777) are ignored by Ignition before spec 3.6.0") })
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.6.0\nstorage:\n  directories:\n    - path: /srv/drop\n      mode: 01777\n", strict: true)
        }
    }

    @Test func fcos170MirroringNeedsALayout() throws {
        let mirror = "boot_device:\n  mirror:\n    devices: [/dev/sda, /dev/sdb]\n"
        #expect(throws: ButaneFailure.self) { try translate("variant: fcos\nversion: 1.7.0\n" + mirror) }
        _ = try translate("variant: fcos\nversion: 1.7.0\nboot_device:\n  layout: x86_64\n  mirror:\n    devices: [/dev/sda, /dev/sdb]\n")
        _ = try translate("variant: fcos\nversion: 1.6.0\n" + mirror)
    }

    @Test(arguments: [("r4e", "1.0.0", "3.3.0"), ("r4e", "1.1.0", "3.4.0"), ("fiot", "1.0.0", "3.4.0")])
    func imageBasedVariantsTranslate(_ variant: String, _ version: String, _ ignition: String) throws {
        let output = try translate("""
            variant: \(variant)
            version: \(version)
            passwd:
              users:
                - name: core
                  ssh_authorized_keys: [ssh-ed25519 AAAA]
            storage:
              files:
                - path: /etc/hostname
                  contents:
                    inline: edge-1
            """, strict: true)
        #expect(json(output).hasPrefix(#"{"ignition":{"version":"\#(ignition)"}"#))
        #expect(IgnitionStructure.check(output.json) == [])
    }

    @Test(arguments: ["kernel_arguments:\n  should_exist: [quiet]\n", "storage:\n  disks:\n    - device: /dev/sda\n",
                      "storage:\n  filesystems:\n    - device: /dev/sda1\n      format: xfs\n", "storage:\n  raid:\n    - name: r\n      level: raid1\n      devices: [/dev/a, /dev/b]\n",
                      "storage:\n  luks:\n    - name: l\n      device: /dev/sdb\n"])
    func imageBasedVariantsRefuseDiskLayout(_ body: String) {
        for header in ["variant: r4e\nversion: 1.1.0\n", "variant: fiot\nversion: 1.0.0\n"] {
            #expect(throws: ButaneFailure.self, "\(header)\(body)") { try translate(header + body) }
        }
    }
}
