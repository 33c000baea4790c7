import Foundation
import KilnCore
@testable import KilnIgnition
import KilnTestSupport
import Testing

@Suite struct LocalFilesTests {
    /// A files directory with a secret beside it, a symlink pointing at the
    /// secret, a tree, an SSH key file and a unit file.
    static func makeFilesDirectory() throws -> (root: String, files: String) {
        let root = try makeTemporaryDirectory("kiln-butane-files")
        let files = root + "/files"
        let manager = FileManager.default
        try manager.createDirectory(atPath: files + "/tree/bin", withIntermediateDirectories: true)
        try "secret\n".write(toFile: root + "/secret.txt", atomically: true, encoding: .utf8)
        try manager.createSymbolicLink(atPath: files + "/escape", withDestinationPath: root + "/secret.txt")
        try "readme\n".write(toFile: files + "/tree/README", atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho hi\n".write(toFile: files + "/tree/bin/hello", atomically: true, encoding: .utf8)
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: files + "/tree/bin/hello")
        try manager.createSymbolicLink(atPath: files + "/tree/latest", withDestinationPath: "bin/hello")
        try "ssh-ed25519 AAAA one\r\n\nssh-rsa BBBB two\n".write(toFile: files + "/keys.pub", atomically: true, encoding: .utf8)
        try "[Service]\nExecStart=/bin/true\n".write(toFile: files + "/unit.service", atomically: true, encoding: .utf8)
        return (root, files)
    }

    @Test func localContentsAreEmbedded() throws {
        let (root, files) = try Self.makeFilesDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let output = try translate("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/readme
                  contents:
                    local: tree/README
            passwd:
              users:
                - name: core
                  ssh_authorized_keys: [ssh-ed25519 CCCC inline]
                  ssh_authorized_keys_local: [keys.pub]
            systemd:
              units:
                - name: local.service
                  contents_local: unit.service
                  dropins:
                    - name: extra.conf
                      contents_local: unit.service
            """, strict: true, filesDirectory: files)
        let text = json(output)
        #expect(text.contains(#""source":"data:,readme%0A""#))
        #expect(text.contains(#""sshAuthorizedKeys":["ssh-ed25519 CCCC inline","ssh-ed25519 AAAA one","ssh-rsa BBBB two"]"#))
        #expect(text.contains(#""contents":"[Service]\nExecStart=/bin/true\n""#))
    }

    @Test func nothingOutsideTheFilesDirectoryIsReadable() throws {
        let (root, files) = try Self.makeFilesDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for local in ["../secret.txt", "tree/../../secret.txt", "escape", "/../secret.txt", "missing.txt", "tree"] {
            do {
                _ = try translate("variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        local: \"\(local)\"\n", filesDirectory: files)
                Issue.record("\(local) was read")
            } catch {
                #expect(!error.description.contains("secret\n"))
                #expect(error.errors.first?.path == "storage.files.0.contents.local")
            }
        }
        // Without a files directory nothing local is read at all.
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        local: tree/README\n")
        }
    }

    @Test func treesEmbedFilesAndSymlinksWithOverrides() throws {
        let (root, files) = try Self.makeFilesDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let output = try translate("""
            variant: fcos
            version: 1.4.0
            storage:
              trees:
                - local: tree
                  path: /opt/app
              files:
                - path: /opt/app/README
                  mode: 0600
            """, strict: true, filesDirectory: files)
        let text = json(output)
        #expect(text.contains(#"{"path":"/opt/app/README","contents":{"compression":"","source":"data:,readme%0A"},"mode":384}"#))
        #expect(text.contains(#""path":"/opt/app/bin/hello","contents":{"compression":"","source":"data:,%23!%2Fbin%2Fsh%0Aecho%20hi%0A"},"mode":493"#))
        #expect(text.contains(#"{"path":"/opt/app/latest","target":"bin/hello"}"#))
        // A tree entry may not replace contents given explicitly.
        #expect(throws: ButaneFailure.self) {
            try translate("""
                variant: fcos
                version: 1.4.0
                storage:
                  trees:
                    - local: tree
                  files:
                    - path: /README
                      contents:
                        inline: mine
                """, filesDirectory: files)
        }
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.4.0\nstorage:\n  trees:\n    - local: ../\n", filesDirectory: files)
        }
    }

    @Test func fcos17TreesCarryOwnersAndModes() throws {
        let (root, files) = try Self.makeFilesDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let output = try translate("""
            variant: fcos
            version: 1.7.0
            storage:
              trees:
                - local: tree
                  path: /opt/app
                  file_mode: 0640
                  dir_mode: 0750
                  user: {name: app}
                  group: {id: 1000}
            """, strict: true, filesDirectory: files)
        let text = json(output)
        #expect(text.contains(#""directories":[{"group":{"id":1000},"path":"/opt/app","user":{"name":"app"},"mode":488},{"group":{"id":1000},"path":"/opt/app/bin","user":{"name":"app"},"mode":488}]"#))
        #expect(text.contains(#"{"group":{"id":1000},"path":"/opt/app/README","user":{"name":"app"},"contents":{"compression":"","source":"data:,readme%0A"},"mode":416}"#))
        // file_mode replaces the executable-bit rule.
        #expect(text.contains(#""path":"/opt/app/bin/hello","user":{"name":"app"},"contents":{"compression":"","source":"data:,%23!%2Fbin%2Fsh%0Aecho%20hi%0A"},"mode":416"#))
        #expect(text.contains(#"{"group":{"id":1000},"path":"/opt/app/latest","user":{"name":"app"},"target":"bin/hello"}"#))
        #expect(IgnitionStructure.check(output.json) == [])
        // An explicit directory inside an owned tree collides, as upstream.
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.7.0\nstorage:\n  directories:\n    - path: /opt/app/bin\n  trees:\n    - local: tree\n      path: /opt/app\n      dir_mode: 0700\n", filesDirectory: files)
        }
        // Earlier specs do not know the fields.
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.6.0\nstorage:\n  trees:\n    - local: tree\n      file_mode: 0600\n", strict: true, filesDirectory: files)
        }
        // Without owner or dir_mode no directories are written (as before 1.7.0).
        let plain = json(try translate("variant: fcos\nversion: 1.7.0\nstorage:\n  trees:\n    - local: tree\n", filesDirectory: files))
        #expect(!plain.contains("directories"))
    }

    @Test func fcos17RefusesALuksBootDeviceWithoutAMethod() {
        #expect(throws: ButaneFailure.self) {
            try translate("variant: fcos\nversion: 1.7.0\nboot_device:\n  luks:\n    device: /dev/sda\n")
        }
    }
}
