import Foundation
@testable import KilnIgnition
import KilnTestSupport
import Testing

/// Configs that use every part of each spec, translated and handed to real
/// readers: Debian's ignition-validate for 3.0.0–3.3.0 (the newest it
/// knows), Kiln's structural check for all.
enum Corpus {
    static func config(variant: String, version: String) -> String {
        let minor = ButaneSpec.find(variant: variant, version: version)!.ignitionMinor
        var text = """
            variant: \(variant)
            version: \(version)
            passwd:
              users:
                - name: core
                  ssh_authorized_keys: ["ssh-ed25519 AAAA core@example"]
                  groups: [wheel, sudo]
                  password_hash: "$y$j9T$abc"
              groups:
                - name: ops
                  gid: 4000
            storage:
              disks:
                - device: /dev/vdb
                  wipe_table: true
                  partitions:
                    - label: data
                      number: 1
                      size_mib: 1024
                      start_mib: 0
                      type_guid: 0FC63DAF-8483-4772-8E79-3D69D8477DE4
              filesystems:
                - device: /dev/disk/by-partlabel/data
                  path: /var/data
                  format: ext4
                  label: DATA
                  wipe_filesystem: true
              directories:
                - path: /etc/kiln
                  mode: 0750
                  user: {name: core}
              links:
                - path: /etc/kiln/current
                  target: /etc/kiln/v1
                  hard: false
              files:
                - path: /etc/hostname
                  mode: 0644
                  overwrite: true
                  contents:
                    inline: node1.example.com
                - path: /etc/motd
                  contents:
                    source: https://example.com/motd
                    verification:
                      hash: sha512-cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e
                  append:
                    - inline: |
                        Provisioned by Kiln.
                        \(String(repeating: "Repeated text compresses well. ", count: 40))
            systemd:
              units:
                - name: hello.service
                  enabled: true
                  contents: |
                    [Unit]
                    Description=Hello
                    [Service]
                    ExecStart=/usr/bin/echo hello
                    [Install]
                    WantedBy=multi-user.target
                  dropins:
                    - name: debug.conf
                      contents: |
                        [Service]
                        Environment=DEBUG=1
                - name: docker.service
                  mask: true

            """
        if minor >= 1 {
            text += """
                ignition:
                  proxy:
                    http_proxy: http://proxy.example.com:3128
                    no_proxy: [example.com]
                  timeouts:
                    http_total: 60
                  security:
                    tls:
                      certificate_authorities:
                        - inline: |
                            -----BEGIN CERTIFICATE-----
                            MIIBszCCAVmgAwIBAgIUKiln
                            -----END CERTIFICATE-----

                """
        }
        // r4e and fiot are image-based: no disk layout, no kernel arguments.
        let imageBased = ["r4e", "fiot"].contains(variant)
        if imageBased, let disks = text.range(of: "  disks:\n"), let directories = text.range(of: "  directories:\n") {
            text.removeSubrange(disks.lowerBound..<directories.lowerBound)
        }
        if minor >= 3 && !imageBased {
            text += """
                kernel_arguments:
                  should_exist: [console=ttyS0]
                  should_not_exist: [quiet]

                """
        }
        return text
    }

    static var all: [(String, String)] {
        ButaneSpec.all.map { ($0.variant.rawValue, $0.version) }
    }
}

@Suite struct IgnitionValidateTests {
    @Test(arguments: Corpus.all.map { "\($0.0) \($0.1)" })
    func corpusPassesTheStructuralCheck(_ spec: String) throws {
        let parts = spec.split(separator: " ").map(String.init)
        let output = try translate(Corpus.config(variant: parts[0], version: parts[1]), strict: true)
        #expect(IgnitionStructure.check(output.json) == [], "\(spec)")
        #expect(output.warnings.isEmpty, "\(output.warnings)")
    }

    @Test(.enabled(if: ProcessRunner.find("ignition-validate") != nil, "ignition-validate is not installed (apt install ignition): skipped"),
          arguments: Corpus.all.filter { ButaneSpec.find(variant: $0.0, version: $0.1)!.ignitionMinor <= 3 }.map { "\($0.0) \($0.1)" })
    func corpusPassesIgnitionValidate(_ spec: String) async throws {
        let parts = spec.split(separator: " ").map(String.init)
        let output = try translate(Corpus.config(variant: parts[0], version: parts[1]), strict: true)
        let directory = try makeTemporaryDirectory("kiln-ignition")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.ign"
        try Data(output.json).write(to: URL(fileURLWithPath: path))
        let result = try await ProcessRunner.run(ProcessRunner.find("ignition-validate")!, [path])
        #expect(result.status == 0, "\(spec): \(result.stdout)\(result.stderr)")
    }

    @Test(.enabled(if: ProcessRunner.find("ignition-validate") != nil, "ignition-validate is not installed (apt install ignition): skipped"))
    func ignitionValidateRejectsWhatItShould() async throws {
        // The peer is really checking: a config it must refuse.
        let directory = try makeTemporaryDirectory("kiln-ignition")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bad.ign"
        try Data(#"{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"relative/path"}]}}"#.utf8).write(to: URL(fileURLWithPath: path))
        let result = try await ProcessRunner.run(ProcessRunner.find("ignition-validate")!, [path])
        #expect(result.status != 0)
    }
}
