import Foundation
import KilnCore
@testable import KilnIgnition
import KilnTestSupport
import Testing

@Suite struct TranslationTests {
    @Test func versionsMapToTheirIgnitionSpecs() throws {
        let expected = [
            ("fcos", "1.0.0", "3.0.0"), ("fcos", "1.1.0", "3.1.0"), ("fcos", "1.2.0", "3.2.0"), ("fcos", "1.3.0", "3.2.0"),
            ("fcos", "1.4.0", "3.3.0"), ("fcos", "1.5.0", "3.4.0"), ("fcos", "1.6.0", "3.5.0"), ("fcos", "1.7.0", "3.6.0"),
            ("flatcar", "1.0.0", "3.3.0"), ("flatcar", "1.1.0", "3.4.0"),
            ("r4e", "1.0.0", "3.3.0"), ("r4e", "1.1.0", "3.4.0"), ("fiot", "1.0.0", "3.4.0"),
        ]
        for (variant, version, ignition) in expected {
            let output = try translate("variant: \(variant)\nversion: \(version)\n")
            #expect(json(output) == #"{"ignition":{"version":"\#(ignition)"}}"#)
        }
    }

    @Test func unknownVariantsAndVersionsAreRefusedWithWhatIsKnown() {
        #expect(throws: ButaneFailure.self) { try translate("variant: fcos\nversion: 1.7.0-experimental\n") }
        do {
            _ = try translate("variant: fcos\nversion: 9.9.9\n")
        } catch {
            #expect(error.description.contains("1.0.0, 1.1.0"))
            #expect(error.description.contains("line 2"))
        }
        #expect(throws: ButaneFailure.self) { try translate("variant: rhcos\nversion: 0.1.0\n") }
        #expect(throws: ButaneFailure.self) { try translate("version: 1.4.0\n") }
        #expect(throws: ButaneFailure.self) { try translate("") }
        #expect(throws: ButaneFailure.self) { try translate("- a list\n") }
    }

    @Test func keysAreRenamedToIgnitionsCamelCase() throws {
        let output = try translate("""
            variant: fcos
            version: 1.4.0
            storage:
              disks:
                - device: /dev/sda
                  wipe_table: false
                  partitions:
                    - label: var
                      size_mib: 1000
                      start_mib: 200
                      type_guid: 0FC63DAF-8483-4772-8E79-3D69D8477DE4
                      wipe_partition_entry: true
            passwd:
              users:
                - name: ops
                  home_dir: /home/ops
                  no_create_home: true
            """)
        let text = json(output)
        for key in ["\"sizeMiB\":1000", "\"startMiB\":200", "\"typeGuid\"", "\"wipePartitionEntry\":true", "\"wipeTable\":false", "\"homeDir\"", "\"noCreateHome\":true"] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
        #expect(FieldSchema.snakeCase("sizeMiB") == "size_mib")
        #expect(FieldSchema.snakeCase("httpResponseHeaders") == "http_response_headers")
    }

    @Test func octalModesAndYAMLIntegerForms() throws {
        #expect(ButaneDecoder.integer("0644") == 420)
        #expect(ButaneDecoder.integer("0o755") == 493)
        #expect(ButaneDecoder.integer("0x1ED") == 493)
        #expect(ButaneDecoder.integer("1_000") == 1000)
        #expect(ButaneDecoder.integer("-5") == -5)
        #expect(ButaneDecoder.integer("0") == 0)
        #expect(ButaneDecoder.integer("09") == nil)
        #expect(ButaneDecoder.integer("12abc") == nil)
        let output = try translate("variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /opt/x\n      mode: 0500\n")
        #expect(json(output).contains("\"mode\":320"))
    }

    @Test func dataURLsPickTheShortestEncoding() throws {
        // Text: percent-encoding; compressible: gzip+base64; binary: base64.
        let text = DataURL.encode(Array("hello world\n".utf8), userCompression: nil, allowCompression: true)
        #expect(text == DataURL.Encoded(urlBytes: Array("data:,hello%20world%0A".utf8), compression: ""))
        let repetitive = Array(String(repeating: "kiln ", count: 200).utf8)
        let gzipped = DataURL.encode(repetitive, userCompression: nil, allowCompression: true)
        #expect(gzipped.compression == "gzip")
        #expect(gzipped.url.hasPrefix("data:;base64,H4sIAAAAAAAC/"))
        #expect(DataURL.decode(gzipped.url, compression: "gzip") == repetitive)
        let binary: [UInt8] = (0..<64).map { UInt8(($0 * 97 + 13) % 256) }
        let base64 = DataURL.encode(binary, userCompression: nil, allowCompression: true)
        #expect(base64.url.hasPrefix("data:;base64,"))
        #expect(base64.compression == "")
        #expect(DataURL.decode(base64.url, compression: nil) == binary)
        // Already compressed by the user: never compressed again, their value kept.
        let userCompressed = DataURL.encode(repetitive, userCompression: "gzip", allowCompression: true)
        #expect(userCompressed.compression == "gzip")
        #expect(DataURL.decode(userCompressed.url, compression: nil) == repetitive)
        // Where the spec has no compression field (3.0.0 configs), none is used.
        #expect(DataURL.encode(repetitive, userCompression: nil, allowCompression: false).compression == "")
    }

    @Test func gzipIsDeterministicAndStandard() async throws {
        let input = Array(String(repeating: "deterministic ", count: 500).utf8)
        let first = try #require(Gzip.compress(input))
        #expect(first == Gzip.compress(input))
        #expect(Array(first.prefix(10)) == [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xFF])
        guard let gunzip = ProcessRunner.find("gzip") else { return }
        let directory = try makeTemporaryDirectory("kiln-gzip")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(first).write(to: URL(fileURLWithPath: directory + "/x.gz"))
        let result = try await ProcessRunner.run(gunzip, ["-t", directory + "/x.gz"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func appendAndInlineBecomeDataURLsWithEmptyCompression() throws {
        let output = try translate("""
            variant: fcos
            version: 1.4.0
            storage:
              files:
                - path: /etc/issue
                  append:
                    - inline: hi
            """)
        #expect(json(output).contains(#""append":[{"compression":"","source":"data:,hi"}]"#))
    }

    @Test func compressionIsOnlyWrittenWhereTheSpecHasIt() throws {
        let output = try translate("""
            variant: fcos
            version: 1.0.0
            storage:
              files:
                - path: /etc/issue
                  contents:
                    inline: hi
            """)
        #expect(json(output).contains(#""compression":"""#))
        let ca = try translate("""
            variant: fcos
            version: 1.1.0
            ignition:
              security:
                tls:
                  certificate_authorities:
                    - inline: pem
            """)
        #expect(json(ca).contains(#""certificateAuthorities":[{"compression":"","source":"data:,pem"}]"#))
    }

    @Test func sourceInlineAndLocalAreMutuallyExclusive() {
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        inline: x\n        source: https://example.com/x\n")
        }
    }

    @Test func unknownKeysWarnWithTheirPathAndFailWhenStrict() throws {
        let source = "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /a\n      mdoe: 0644\n"
        let lenient = try translate(source)
        #expect(lenient.warnings.count == 1)
        #expect(lenient.warnings.first?.path == "storage.files.0.mdoe")
        #expect(lenient.warnings.first?.line == 6)
        do {
            _ = try translate(source, strict: true)
            Issue.record("strict mode accepted an unknown key")
        } catch {
            #expect(error.description.contains("storage.files.0.mdoe"))
            #expect(error.description.contains("line 6"))
        }
    }

    @Test func fieldsFromLaterSpecsAreUnknownInEarlierOnes() throws {
        let source = "variant: fcos\nversion: 1.3.0\nkernel_arguments:\n  should_exist: [quiet]\n"
        #expect(throws: ButaneFailure.self) { try translate(source, strict: true) }
        let lenient = try translate(source)
        #expect(json(lenient) == #"{"ignition":{"version":"3.2.0"}}"#)
        #expect(lenient.warnings.first?.message.contains("a later version") == true)
    }

    @Test func typeErrorsNameTheLineAndTheExpectedType() {
        do {
            _ = try translate("variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /a\n      mode: rw-r--r--\n")
            Issue.record("accepted a non-integer mode")
        } catch {
            #expect(error.description.contains("line 6"))
            #expect(error.description.contains("expected an integer"))
        }
        #expect(throws: ButaneFailure.self) { try translate("variant: fcos\nversion: 1.4.0\nstorage: [1, 2]\n") }
        #expect(throws: ButaneFailure.self) { try translate("variant: fcos\nversion: 1.4.0\nsystemd:\n  units:\n    - name: a.service\n      enabled: maybe\n") }
    }

    @Test func brokenYAMLIsReportedWithItsLine() {
        do {
            _ = try translate("variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /a\n     bad indentation: [\n")
            Issue.record("accepted broken YAML")
        } catch {
            #expect(error.description.contains("YAML"))
            #expect(error.errors.first?.line != nil)
        }
    }

    @Test func flatcarHasNoClevisNoBootDeviceNoGrub() throws {
        let clevis = "variant: flatcar\nversion: 1.1.0\nstorage:\n  luks:\n    - name: data\n      device: /dev/vdb\n      clevis:\n        tpm2: true\n"
        #expect(throws: ButaneFailure.self) { try translate(clevis) }
        let bootDevice = "variant: flatcar\nversion: 1.1.0\nboot_device:\n  mirror:\n    devices: [/dev/sda, /dev/sdb]\n"
        #expect(throws: ButaneFailure.self) { try translate(bootDevice, strict: true) }
        #expect(try translate(bootDevice).warnings.first?.message.contains("flatcar does not support it") == true)
    }

    @Test func withMountUnitGeneratesMountAndSwapUnits() throws {
        let output = try translate("""
            variant: fcos
            version: 1.4.0
            storage:
              filesystems:
                - device: /dev/disk/by-label/var-lib
                  path: /var/lib/containers
                  format: xfs
                  mount_options: [noatime]
                  with_mount_unit: true
                - device: /dev/vdc
                  format: swap
                  with_mount_unit: true
            """)
        let text = json(output)
        #expect(text.contains(#""name":"var-lib-containers.mount""#))
        #expect(text.contains(#"Requires=systemd-fsck@dev-disk-by\\x2dlabel-var\\x2dlib.service"#))
        #expect(text.contains(#"Options=noatime"#))
        #expect(text.contains(#""name":"dev-vdc.swap""#))
        #expect(SystemdEscape.path("/") == "-")
        #expect(SystemdEscape.path("/var/.hidden/a b") == "var-.hidden-a\\x20b")
    }

    @Test func mountUnitsOnTangLUKSAreRemote() throws {
        let output = try translate("""
            variant: fcos
            version: 1.4.0
            storage:
              luks:
                - name: data
                  device: /dev/vdb
                  clevis:
                    tang:
                      - url: https://tang.example.com
                        thumbprint: abc
              filesystems:
                - device: /dev/mapper/data
                  path: /var/data
                  format: ext4
                  with_mount_unit: true
            """)
        #expect(json(output).contains("Options=_netdev"))
        #expect(json(output).contains("RequiredBy=remote-fs.target"))
    }

    @Test func userUnitsOverrideGeneratedOnes() throws {
        let output = try translate("""
            variant: fcos
            version: 1.4.0
            storage:
              filesystems:
                - device: /dev/vdb
                  path: /var/data
                  format: ext4
                  with_mount_unit: true
            systemd:
              units:
                - name: var-data.mount
                  enabled: false
            """)
        let units = try #require(try meaning(output).objectValue?["systemd"]?.objectValue?["units"])
        guard case .array(let list) = units else { Issue.record("no units"); return }
        #expect(list.count == 1)
        #expect(list.first?.objectValue?["enabled"] == .bool(false))
        #expect(list.first?.objectValue?["contents"] != nil)
    }

    @Test func bootDeviceMirrorAndLUKS() throws {
        let output = try translate("""
            variant: fcos
            version: 1.4.0
            boot_device:
              luks:
                tpm2: true
              mirror:
                devices: [/dev/sda, /dev/sdb]
            """, strict: true)
        let text = json(output)
        #expect(text.contains(#""label":"bios-1","sizeMiB":1,"typeGuid":"21686148-6449-6E6F-744E-656564454649""#))
        #expect(text.contains(#""label":"esp-2""#))
        #expect(text.contains(#""name":"md-boot","options":["--metadata=1.0"]"#))
        #expect(text.contains(#""device":"/dev/md/md-root""#))
        #expect(text.contains(#""clevis":{"tpm2":true}"#))
        #expect(text.contains(#""device":"/dev/mapper/root","format":"xfs","label":"root","wipeFilesystem":true"#))
        #expect(IgnitionStructure.check(output.json) == [])
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.4.0\nboot_device:\n  mirror:\n    devices: [/dev/sda]\n")
        }
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.4.0\nboot_device:\n  layout: s390x-eckd\n  luks:\n    tpm2: true\n")
        }
    }

    /// Butane's documented "Mirrored boot disk" example: boot_device's own
    /// filesystems come first in the translation, and a RAID filesystem of
    /// the config's own with a mount unit was checked at the wrong index
    /// ("with_mount_unit needs a path") before.
    @Test func bootDeviceBesideARAIDFilesystemWithItsMountUnit() throws {
        let output = try translate("""
            variant: fcos
            version: 1.3.0
            boot_device:
              layout: x86_64
              luks:
                tpm2: true
              mirror:
                devices:
                  - /dev/sda
                  - /dev/sdb
            storage:
              disks:
                - device: /dev/sda
                  partitions:
                    - label: root-1
                      size_mib: 10240
                    - label: var-1
                - device: /dev/sdb
                  partitions:
                    - label: root-2
                      size_mib: 10240
                    - label: var-2
              raid:
                - name: md-var
                  level: raid1
                  devices:
                    - /dev/disk/by-partlabel/var-1
                    - /dev/disk/by-partlabel/var-2
              filesystems:
                - device: /dev/md/md-var
                  path: /var
                  format: xfs
                  wipe_filesystem: true
                  with_mount_unit: true
            """, strict: true)
        let text = json(output)
        #expect(text.contains(#""name":"var.mount""#))
        #expect(text.contains(#"What=/dev/md/md-var"#))
        #expect(text.contains(#"Requires=systemd-fsck@dev-md-md\\x2dvar.service"#))
        #expect(text.contains(#""name":"md-var""#) && text.contains(#""name":"md-root""#))
        #expect(IgnitionStructure.check(output.json) == [])
        // A filesystem of the config's own that lacks a path is still reported, at its own line.
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.3.0\nboot_device:\n  mirror:\n    devices: [/dev/sda, /dev/sdb]\nstorage:\n  filesystems:\n    - device: /dev/md/x\n      format: xfs\n      with_mount_unit: true\n")
        }
    }

    @Test func grubUsersWriteUserCfg() throws {
        let output = try translate("""
            variant: fcos
            version: 1.5.0
            grub:
              users:
                - name: root
                  password_hash: grub.pbkdf2.sha512.10000.AB
            """, strict: true)
        let text = try #require(try meaning(output).objectValue?["storage"]?.objectValue?["files"])
        guard case .array(let files) = text else { Issue.record("no files"); return }
        let append = files.first?.objectValue?["append"]
        guard case .array(let fragments)? = append else { Issue.record("no append"); return }
        #expect(fragments.first?.objectValue?["source"] == .string("decoded:# Generated by Butane\n\nset superusers=\"root\"\npassword_pbkdf2 root grub.pbkdf2.sha512.10000.AB\n"))
        #expect(json(output).contains(#""device":"/dev/disk/by-label/boot","format":"ext4","path":"/boot""#))
        #expect(throws: ButaneFailure.self) { try translate("variant: fcos\nversion: 1.5.0\ngrub:\n  users:\n    - name: root\n") }
    }

    @Test func ignitionChecksCatchWhatIgnitionWouldRefuseAtBoot() {
        let bad = [
            "storage:\n  files:\n    - path: relative\n",
            "storage:\n  files:\n    - path: /a\n    - path: /a\n",
            "storage:\n  files:\n    - path: /a\n  directories:\n    - path: /a\n",
            "systemd:\n  units:\n    - name: nosuffix\n",
            "systemd:\n  units:\n    - name: a.service\n      dropins:\n        - name: x.txt\n",
            "passwd:\n  users:\n    - name: a\n    - name: a\n",
            "storage:\n  files:\n    - path: /a\n      overwrite: true\n",
            "storage:\n  links:\n    - path: /a\n",
            "storage:\n  files:\n    - path: /a\n      mode: 99999\n",
            "storage:\n  filesystems:\n    - device: /dev/a\n      with_mount_unit: true\n",
        ]
        for body in bad {
            #expect(throws: ButaneFailure.self, "\(body)") { try translate("variant: fcos\nversion: 1.4.0\n" + body) }
        }
    }

    @Test func outputEscapesLikeGo() throws {
        let output = try translate("variant: fcos\nversion: 1.4.0\nsystemd:\n  units:\n    - name: a.service\n      contents: \"<&>\\u2028\\t\\\"\"\n")
        #expect(json(output).contains(#""contents":"\u003c\u0026\u003e\u2028\t\"""#))
    }

    @Test func prettyOutputIsIndentedByTwo() throws {
        let output = try Butane.translate("variant: fcos\nversion: 1.4.0\n", options: ButaneOptions(pretty: true))
        #expect(json(output) == "{\n  \"ignition\": {\n    \"version\": \"3.3.0\"\n  }\n}")
    }
}

@Suite struct YAMLFeatureTests {
    @Test func anchorsAliasesAndMergeKeys() throws {
        let output = try translate("""
            variant: fcos
            version: 1.4.0
            systemd:
              units:
                - &base
                  name: a.service
                  enabled: true
                - <<: *base
                  name: b.service
            """, strict: true)
        #expect(json(output).contains(#"{"enabled":true,"name":"a.service"},{"enabled":true,"name":"b.service"}"#))
    }

    @Test func quotedScalarsAreStringsNotNumbers() {
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /a\n      mode: \"0644\"\n")
        }
    }

    @Test func numbersAndBooleansInStringFieldsStayAsWritten() throws {
        let output = try translate("variant: fcos\nversion: 1.4.0\npasswd:\n  users:\n    - name: 0123\n      gecos: true\n")
        #expect(json(output).contains(#""gecos":"true","name":"0123""#))
    }
}
