import Foundation
@testable import KilnCLC
import KilnIgnition
import KilnTestSupport
import Testing

@Suite struct CLCTranslationTests {
    func translate(_ yaml: String, _ options: CLCOptions = CLCOptions()) throws -> (String, [ButaneDiagnostic]) {
        let output = try ContainerLinuxConfig.translate(yaml, options: options)
        #expect(Ignition2Structure.check(output.json) == [])
        return (String(decoding: output.json, as: UTF8.self), output.warnings)
    }

    func failure(_ yaml: String, _ options: CLCOptions = CLCOptions()) -> [String] {
        do {
            _ = try ContainerLinuxConfig.translate(yaml, options: options)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    static let envelope = #"{"ignition":{"config":{},"security":{"tls":{}},"timeouts":{},"version":"2.2.0"},"networkd":{},"passwd":{},"storage":{},"systemd":{}}"#

    @Test func anEmptyConfigIsTheEmptyEnvelopeWithAWarning() throws {
        let (json, warnings) = try translate("")
        #expect(json == Self.envelope)
        #expect(warnings.map(\.message) == ["the config is empty"])
        #expect(failure("", CLCOptions(strict: true)) == ["error: the config is empty"])
    }

    @Test func aUserWithKeysAndGroupsIsTheUserCtGives() throws {
        let (json, _) = try translate("""
            passwd:
              users:
                - name: core
                  ssh_authorized_keys: [ssh-ed25519 AAAA one, ssh-rsa BBBB two]
                - name: ops
                  uid: 1500
                  groups: [sudo, docker]
                  password_hash: "$6$salt$hash"
                  home_dir: /var/home/ops
                  shell: /bin/bash
              groups:
                - name: docker
                  gid: 233
                  system: true
            """)
        #expect(json.contains(#""passwd":{"groups":[{"gid":233,"name":"docker","system":true}],"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA one","ssh-rsa BBBB two"]},{"groups":["sudo","docker"],"homeDir":"/var/home/ops","name":"ops","passwordHash":"$6$salt$hash","shell":"/bin/bash","uid":1500}]}"#))
    }

    @Test func theIgnitionSectionAndStorage() throws {
        let (json, warnings) = try translate("""
            ignition:
              config:
                append:
                  - source: http://example.com/extra.ign
                    verification:
                      hash:
                        function: sha512
                        sum: \(String(repeating: "a", count: 128))
              timeouts:
                http_total: 30
              security:
                tls:
                  certificate_authorities:
                    - source: https://example.com/ca.pem
            storage:
              disks:
                - device: /dev/sda
                  wipe_table: true
                  partitions:
                    - label: RAID
                      size: 4GiB
                      type_guid: raid_containing_root
              filesystems:
                - name: data
                  mount:
                    device: /dev/md/data
                    format: xfs
                    label: DATA
                    wipe_filesystem: true
              directories:
                - path: /var/lib/app
              links:
                - path: /etc/localtime
                  target: /usr/share/zoneinfo/UTC
            """)
        #expect(json.contains(#""ignition":{"config":{"append":[{"source":"http://example.com/extra.ign","verification":{"hash":"sha512-\#(String(repeating: "a", count: 128))"}}]},"security":{"tls":{"certificateAuthorities":[{"source":"https://example.com/ca.pem","verification":{}}]}},"timeouts":{"httpTotal":30},"version":"2.2.0"}"#))
        #expect(json.contains(#""disks":[{"device":"/dev/sda","partitions":[{"label":"RAID","size":8388608,"typeGuid":"be9067b9-ea49-4f15-b4f6-f36f8c9e1818"}],"wipeTable":true}]"#))
        #expect(json.contains(#""directories":[{"filesystem":"root","path":"/var/lib/app","mode":493}]"#))
        #expect(json.contains(#""links":[{"filesystem":"root","path":"/etc/localtime","target":"/usr/share/zoneinfo/UTC"}]"#))
        #expect(json.contains(#""filesystems":[{"mount":{"device":"/dev/md/data","format":"xfs","label":"DATA","wipeFilesystem":true},"name":"data"}]"#))
        #expect(warnings.map(\.message) == ["mode unspecified for directory, defaulting to 0755"])
    }

    @Test func version2_3WritesMebibytesAndRequiredFields() throws {
        let yaml = "storage:\n  disks:\n    - device: /dev/vda\n      partitions:\n        - label: ROOT\n          size: 4GiB\n          start: 0\n  raid:\n    - name: md0\n      level: raid1\n      devices: [/dev/vda1, /dev/vdb1]\n"
        let (json, _) = try translate(yaml, CLCOptions(ignitionVersion: .v2_3))
        #expect(json.contains(#""version":"2.3.0""#))
        #expect(json.contains(#""partitions":[{"label":"ROOT","sizeMiB":4096,"startMiB":0}]"#))
        let (old, _) = try translate(yaml)
        #expect(old.contains(#""partitions":[{"label":"ROOT","size":8388608}]"#))
        #expect(failure("storage:\n  disks:\n    - device: /dev/vda\n      partitions:\n        - size: 100KiB\n", CLCOptions(ignitionVersion: .v2_3))
            == ["error: line 5 column 17: storage.disks.0.partitions.0.size: invalid dimension \"100KiB\" (finest granularity is 1MiB)"])
    }

    @Test func sugarSectionsAreWrittenAsCtWritesThem() throws {
        let (json, _) = try translate("""
            flannel:
              version: 0.7.1
              etcd_endpoints: http://127.0.0.1:2379
              network_config: '{"Network":"10.2.0.0/16"}'
            docker:
              flags: [--log-driver=journald, --iptables=false]
            etcd:
              version: 3.2.0
              name: node1
              snapshot_count: 0x100
              enable_v2: yes
            update:
              group: Stable
              server: https://updates.example.com/v1/update/
            systemd:
              units:
                - name: etcd-member.service
                  dropins:
                    - name: 40-mine.conf
                      contents: "[Service]\\nEnvironment=A=1"
            """)
        // Units: docker, etcd, flannel, then the user's own (never merged).
        let docker = #"{"dropins":[{"contents":"[Service]\nEnvironment=\"DOCKER_OPTS=--log-driver=journald --iptables=false\"","name":"20-clct-docker.conf"}],"enable":true,"name":"docker.service"}"#
        let etcd = #"{"dropins":[{"contents":"[Service]\nEnvironment=\"ETCD_IMAGE_TAG=v3.2.0\"\nExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  --name=\"node1\" \\\n  --snapshot-count=256 \\\n  --enable-v2=true","name":"20-clct-etcd-member.conf"}],"enable":true,"name":"etcd-member.service"}"#
        let flannel = #"{"dropins":[{"contents":"[Service]\nEnvironment=\"FLANNEL_IMAGE_TAG=v0.7.1\"\nExecStart=\nExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS \\\n  --etcd-endpoints=\"http://127.0.0.1:2379\"\nExecStartPre=/usr/bin/etcdctl --endpoints=\"http://127.0.0.1:2379\" set /coreos.com/network/config \"{\\\"Network\\\":\\\"10.2.0.0/16\\\"}\"","name":"20-clct-flannel.conf"}],"enable":true,"name":"flanneld.service"}"#
        let user = #"{"dropins":[{"contents":"[Service]\nEnvironment=A=1","name":"40-mine.conf"}],"name":"etcd-member.service"}"#
        #expect(json.contains(#""systemd":{"units":[\#(docker),\#(etcd),\#(flannel),\#(user)]}"#))
        #expect(json.contains(#""path":"/etc/coreos/update.conf","contents":{"source":"data:,GROUP%3Dstable%0ASERVER%3Dhttps%3A%2F%2Fupdates.example.com%2Fv1%2Fupdate%2F","verification":{}},"mode":420"#))
    }

    @Test func dynamicDataNeedsAPlatformThatProvidesIt() throws {
        let yaml = "etcd:\n  name: \"{HOSTNAME}\"\n  advertise_client_urls: http://{PRIVATE_IPV4}:2379\n"
        #expect(failure(yaml).first?.hasPrefix("error: line 2 column 3: etcd: platform must be specified to use templating") == true)
        #expect(failure(yaml, CLCOptions(platform: "azure")).first?.contains("unknown field {HOSTNAME}") == true)
        #expect(failure(yaml, CLCOptions(platform: "mainframe")).first?.contains("unsupported platform \"mainframe\"") == true)
        let (json, _) = try translate(yaml, CLCOptions(platform: "custom"))
        #expect(json.contains(#"--name=\"${COREOS_CUSTOM_HOSTNAME}\" \\\n  --advertise-client-urls=\"http://${COREOS_CUSTOM_PRIVATE_IPV4}:2379\""#))
        #expect(json.contains(#"[Unit]\nRequires=coreos-metadata.service\nAfter=coreos-metadata.service\n\n[Service]\nEnvironmentFile=/run/metadata/coreos\n"#))
        // Braces elsewhere are literal.
        let (docker, _) = try translate("docker:\n  flags: [\"--label={PRIVATE_IPV4}\"]\n")
        #expect(docker.contains("--label={PRIVATE_IPV4}"))
        // OpenStack's metadata agent is told its provider.
        let (openstack, _) = try translate("", CLCOptions(platform: "openstack-metadata"))
        #expect(openstack.contains(#"{"dropins":[{"contents":"[Service]\nEnvironment=COREOS_METADATA_OPT_PROVIDER=--provider=openstack-metadata","name":"20-clct-provider-override.conf"}],"enabled":true,"name":"coreos-metadata-sshkeys@.service"}"#))
    }

    @Test func errorsAndWarningsCarryPositions() throws {
        let (_, warnings) = try translate("storage:\n  fils: []\n  files:\n    - path: /etc/motd\n      contents:\n        inline: hi\n")
        #expect(warnings.map(\.description) == [
            "warning: line 2 column 3: storage.fils: unknown key (not part of a Container Linux Config)",
            "warning: line 4 column 7: storage.files.0: mode unspecified for file, defaulting to 0644",
        ])
        #expect(failure("storage:\n  fils: []\n", CLCOptions(strict: true)) == ["error: line 2 column 3: storage.fils: unknown key (not part of a Container Linux Config)"])
        #expect(failure("systemd:\n  units:\n    - name: foo\n") == ["error: line 3 column 13: systemd.units.0.name: invalid systemd unit extension: \"foo\" (one of .service .socket .device .mount .automount .swap .target .path .timer .snapshot .slice .scope)"])
        #expect(failure("storage:\n  files:\n    - path: etc/x\n      mode: 0644\n") == ["error: line 3 column 13: storage.files.0.path: path not absolute: \"etc/x\""])
        #expect(failure("storage:\n  files:\n    - path: /x\n      mode: 99999\n") == ["error: line 4 column 13: storage.files.0.mode: illegal file mode 99999 (0 to 07777; write modes in octal, e.g. 0644)"])
        #expect(failure("storage:\n  files:\n    - path: /x\n      mode: 0644\n      contents:\n        inline: a\n        remote:\n          url: http://x/y\n") == ["error: line 6 column 9: storage.files.0.contents: only one of the following can be set: local, inline, remote.url"])
        #expect(failure("storage:\n  files:\n    - path: /x\n      mode: 0644\n      contents:\n        local: x.txt\n").first?.contains("local files need a files directory") == true)
        #expect(failure("storage:\n  disks:\n    - device: /dev/sda\n      partitions:\n        - size: 1024\n").first?.contains("is not a size") == true)
        #expect(failure("storage:\n  filesystems:\n    - name: x\n      mount:\n        device: /dev/sdb\n        format: ntfs\n").first?.contains("invalid filesystem format \"ntfs\"") == true)
        #expect(failure("locksmith:\n  reboot_strategy: best-effort\n") == ["error: line 2 column 20: locksmith.reboot_strategy: unknown reboot strategy \"best-effort\" (reboot, etcd-lock or off)"])
        #expect(failure("locksmith:\n  window_start: Sun 1:00\n") == ["error: line 2 column 3: locksmith: window-start and window-length must both be specified"])
        #expect(failure("locksmith:\n  window_start: Funday 1:00\n  window_length: 1h\n").first?.contains("unknown day in window start") == true)
        #expect(failure("etcd:\n  version: 4.0.0\n").first?.contains("too new") == true)
        #expect(failure("etcd:\n  version: 3.3\n").first?.contains("is not a version") == true)
        #expect(failure("etcd:\n  version: \"-\"\n").first?.contains("is not a version") == true)
        #expect(failure("flannel:\n  version: +\n").first?.contains("is not a version") == true)
        #expect(failure("flannel:\n  network_config: '{not json'\n").first?.contains("doesn't appear to be valid JSON") == true)
        #expect(failure("systemd:\n  units: [\n").first?.hasPrefix("error: line ") == true)
        #expect(failure("storage: [a, b]\n") == ["error: line 1 column 10: storage: expected a mapping, found a list"])
        let (_, butaneLike) = try translate("version: 1.5.0\n")
        #expect(butaneLike.first?.message.contains("a Butane config needs both variant and version") == true)
    }

    @Test func localFilesAreReadFromTheFilesDirectoryOnly() throws {
        let directory = try makeTemporaryDirectory("kiln-clc-files")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("ssh: yes\n".utf8).write(to: URL(fileURLWithPath: directory + "/motd"))
        let (json, _) = try translate("storage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents:\n        local: motd\n", CLCOptions(filesDirectory: directory))
        #expect(json.contains(#""source":"data:,ssh%3A%20yes%0A""#))
        #expect(failure("storage:\n  files:\n    - path: /etc/p\n      mode: 0644\n      contents:\n        local: ../../etc/passwd\n", CLCOptions(filesDirectory: directory)).count == 1)
    }

    @Test func hostileInputNeverCrashes() {
        var generator = SplitMix64(seed: 18)
        let pieces = ["storage:", "\n  files:", "\n    - path: /a", "\n      mode: 0644", "etcd:", "\n  name: {X}", "[", "]", "{", "}", ":", "- ",
                      "\n  ", "&a", "*a", "<<: *a", "\u{0}", "é", "systemd:\n  units:\n    - name: a.service\n      enable: yes"]
        for _ in 0..<500 {
            var text = ""
            for _ in 0..<Int(generator.next() % 12) { text += pieces[Int(generator.next() % UInt64(pieces.count))] }
            for platform in [nil, "ec2"] {
                if let output = try? ContainerLinuxConfig.translate(text, options: CLCOptions(platform: platform)) {
                    #expect(Ignition2Structure.check(output.json) == [], "\(text.debugDescription)")
                }
            }
        }
    }

    @Test func theFormatIsToldByVariant() {
        #expect(CoreOSConfig.format(of: "variant: fcos\nversion: 1.5.0\n") == .butane)
        #expect(CoreOSConfig.format(of: "{variant: flatcar, version: 1.1.0}") == .butane)
        #expect(CoreOSConfig.format(of: "passwd: {}\n") == .containerLinuxConfig)
        #expect(CoreOSConfig.format(of: "") == .containerLinuxConfig)
    }
}

@Suite struct Ignition2StructureTests {
    @Test func findsWhatIgnition2WouldRefuse() {
        func problems(_ json: String) -> [String] { Ignition2Structure.check(Array(json.utf8)) }
        #expect(problems(#"{"ignition":{"version":"2.2.0"}}"#) == [])
        #expect(problems(#"{"ignition":{"version":"3.0.0"}}"#) == ["ignition.version 3.0.0 is not 2.2.0 or 2.3.0"])
        #expect(problems(#"{"ignition":{"version":"2.2.0"},"storage":{"files":[{"filesystem":"root","path":"x","mode":"420"}]}}"#)
            == ["storage.files.0.mode: expected an integer, found string", "storage.files.0.path: path not absolute: \"x\""])
        #expect(problems(#"{"ignition":{"version":"2.2.0"},"systemd":{"units":[{"name":"a.service","dropins":[{"name":"x"}]}]},"extra":1}"#)
            == ["extra: unknown key", "systemd.units.0.dropins.0.name: invalid drop-in extension: \"x\" must end in .conf"])
        #expect(problems(#"{"ignition":{"version":"2.2.0"},"storage":{"partitions":[]}}"#) == ["storage.partitions: unknown key"])
        #expect(problems(#"{"ignition":{"version":"2.2.0"},"storage":{"disks":[{"device":"/dev/sda","partitions":[{"sizeMiB":4}]}]}}"#)
            == ["storage.disks.0.partitions.0.sizeMiB: unknown key"])
        #expect(problems(#"{"ignition":{"version":"2.3.0"},"storage":{"disks":[{"device":"/dev/sda","partitions":[{"sizeMiB":4}]}]}}"#) == [])
        #expect(problems(#"{"ignition":{"version":"2.2.0"},"storage":{"files":[{"filesystem":"root","path":"/x","contents":{"source":"gopher://x"}}]}}"#).first?.contains("invalid url scheme") == true)
        #expect(problems("not json").first?.hasPrefix("not JSON") == true)
        #expect(problems(#"{"ignition":{"version":"2.2.0"},"storage":{"files":[{"filesystem":"root","path":"/x","mode":1e300}]}}"#)
            == ["storage.files.0.mode: expected an integer, found number"])
    }
}
