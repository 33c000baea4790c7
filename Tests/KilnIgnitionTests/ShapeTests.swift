import Foundation
@testable import KilnIgnition
import Testing

/// A shape filled with values must give byte for byte what translating the
/// text with those values gives, or decline (nil) so the caller does that.
@Suite struct ShapeTests {
    /// `@0@`, `@1@`, … stand where a template printed value 0, 1, …; like a
    /// template's actions, each occurrence is a placeholder of its own.
    static func occurrences(_ template: String) -> (shape: String, values: [Int]) {
        var shape = ""
        var order: [Int] = []
        var rest = Substring(template)
        while let start = rest.firstIndex(of: "@"), let end = rest[rest.index(after: start)...].firstIndex(of: "@"),
              let value = Int(rest[rest.index(after: start)..<end]) {
            shape += rest[..<start]
            shape += IgnitionShape.placeholder(order.count)
            order.append(value)
            rest = rest[rest.index(after: end)...]
        }
        return (shape + rest, order)
    }

    static func fullText(_ template: String, _ values: [String]) -> String {
        values.enumerated().reduce(template) { text, pair in text.replacingOccurrences(of: "@\(pair.offset)@", with: pair.element) }
    }

    struct Shaped {
        let shape: IgnitionShape
        let order: [Int]
        func fill(_ values: [String]) -> [UInt8]? { shape.fill(order.map { values[$0] }) }
    }

    static func compile(_ template: String, filesDirectory: String? = nil) -> Shaped? {
        let (text, order) = occurrences(template)
        return IgnitionShape.compile(text, holes: order.count, options: ButaneOptions(filesDirectory: filesDirectory)).map { Shaped(shape: $0, order: order) }
    }

    /// Fills and compares with the full translation; returns whether the
    /// shape answered (rather than declining).
    @discardableResult
    static func check(_ shape: Shaped, _ template: String, _ values: [String], filesDirectory: String? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard let filled = shape.fill(values) else { return false }
        let full = try? Butane.translate(fullText(template, values), options: ButaneOptions(filesDirectory: filesDirectory))
        #expect(full != nil, "the shape answered where full translation fails: \(values)", sourceLocation: sourceLocation)
        if let full {
            #expect(String(decoding: filled, as: UTF8.self) == String(decoding: full.json, as: UTF8.self), "values \(values)", sourceLocation: sourceLocation)
        }
        return true
    }

    static let machineTemplate = """
        variant: fcos
        version: 1.5.0
        passwd:
          users:
            - name: core
              gecos: "Core user on @0@"
              ssh_authorized_keys:
                - @1@
                - '@2@'
        storage:
          files:
            - path: /etc/hostname
              mode: 0644
              contents:
                inline: @0@
            - path: /etc/kiln/machine.env
              contents:
                inline: |
                  HOST=@0@
                  MAC=@3@
            - path: /etc/kiln/long.txt
              contents:
                inline: >
                  @3@ repeated text repeated text repeated text repeated text repeated text
                  repeated text repeated text repeated text repeated text repeated text
        systemd:
          units:
            - name: app.service
              enabled: true
              contents: |
                [Service]
                Environment=NODE=@3@ HOST=@0@
                ExecStart=/usr/bin/app --name "@0@"
              dropins:
                - name: extra.conf
                  contents: "[Service]\\nEnvironment=EXTRA=@0@"
        """

    @Test func fillingGivesWhatTranslatingTheFullTextGives() throws {
        let shape = try #require(Self.compile(Self.machineTemplate))
        let usual = ["node001.rack1.example.com", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ops@example", "ssh-rsa AAAAB3Nza+/= admin@example", "52:54:00:00:00:07"]
        #expect(Self.check(shape, Self.machineTemplate, usual))
        // Characters that are plain text in every position used here.
        #expect(Self.check(shape, Self.machineTemplate, ["né-ü.例え.example", "k1 a=b c@d", "k2 x", "<&> 100%"]))
        #expect(Self.check(shape, Self.machineTemplate, ["a:b", "k#1", "it's", "x"]) == false, "a quote in a single-quoted scalar")
    }

    @Test func valuesThatWouldChangeTheYAMLAreDeclined() throws {
        let shape = try #require(Self.compile(Self.machineTemplate))
        let usual = ["node001", "key-a", "key-b", "mac"]
        let hostileHostnames = [
            "", " node", "node ", "a\nb", "a\rb", "a\tb", "a: b", "ends:", "a #comment", "#x", "- item", "[x]", "{x}", "a,b",
            "&anchor", "*alias", "!tag", "|", ">", "'q", "\"q", "%x", "@x", "`x", "\u{2028}", "\u{85}", "\u{E000}0\u{E001}",
            "null", "~", "true", "123", "0644", "a\"b", "a\\b",
        ]
        for hostname in hostileHostnames {
            var values = usual
            values[0] = hostname
            // Either declined or identical to the full translation.
            Self.check(shape, Self.machineTemplate, values)
        }
        for declined in ["", "a\nb", "a: b", "#x", "- item", "a\"b", "a\\b", "\u{2028}"] {
            #expect(shape.fill([declined, "k", "k", "m"]) == nil, "hostname \(declined.debugDescription)")
        }
    }

    /// Random values over the characters YAML gives meaning to: every fill
    /// either declines or equals the full translation. Seeded, bounded.
    @Test func randomValuesNeverFillDifferently() throws {
        let shape = try #require(Self.compile(Self.machineTemplate))
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzAZ0189 :#-'\"\\\n\t[]{},&*!|>%@`~?.<>é✓\u{2028}")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var answered = 0
        for _ in 0..<1500 {
            let values = (0..<4).map { _ in String((0..<(1 + next(8))).map { _ in alphabet[next(alphabet.count)] }) }
            if Self.check(shape, Self.machineTemplate, values) { answered += 1 }
        }
        #expect(answered > 100, "the shape answered \(answered) of 1500")
    }

    @Test func nullLookingBareScalarsAreDeclined() throws {
        let template = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/a\n      contents:\n        inline: @0@@1@\n"
        let shape = try #require(Self.compile(template))
        #expect(Self.check(shape, template, ["no", "de"]))
        #expect(shape.fill(["nu", "ll"]) == nil)
        #expect(Self.check(shape, template, ["~", "x"]))
        Self.check(shape, template, ["tr", "ue"])
        Self.check(shape, template, ["12", "3"])
    }

    @Test func compressedContentsAreEncodedPerMachine() throws {
        let repeated = String(repeating: "the same line of configuration text\n          ", count: 40)
        let template = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/big\n      contents:\n        inline: |\n          @0@\n          \(repeated)@1@\n"
        let shape = try #require(Self.compile(template))
        #expect(Self.check(shape, template, ["first", "last"]))
        let filled = String(decoding: try #require(shape.fill(["first", "last"])), as: UTF8.self)
        #expect(filled.contains(#""compression":"gzip""#))
        #expect(Self.check(shape, template, ["x", "y"]))
    }

    @Test func grubPasswordHashesAreFilledInsideTheirDataURL() throws {
        let template = "variant: fcos\nversion: 1.5.0\ngrub:\n  users:\n    - name: root\n      password_hash: @0@\n"
        let shape = try #require(Self.compile(template))
        #expect(Self.check(shape, template, ["grub.pbkdf2.sha512.10000.ABCDEF"]))
    }

    @Test func placeholdersInFieldsKilnReadsAreNotShaped() {
        let refused = [
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/@0@\n",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/a\n      mode: @0@\n",
            "variant: fcos\nversion: 1.5.0\nsystemd:\n  units:\n    - name: @0@.service\n",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/a\n      contents:\n        local: @0@\n",
            "variant: fcos\nversion: 1.5.0\npasswd:\n  users:\n    - name: @0@\n",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  filesystems:\n    - device: /dev/@0@\n      path: /var\n      format: xfs\n      with_mount_unit: true\n",
            "variant: fcos\nversion: @0@\n",
            "variant: fcos\nversion: 1.5.0\n@0@: {}\n",
            "variant: fcos\nversion: 1.5.0\n# @0@\n",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/a\n      contents:\n        inline: \"\\u00e9 @0@\"\n",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/a\n      contents:\n        inline: @0@\n        compression: @1@\n",
        ]
        for template in refused {
            #expect(Self.compile(template) == nil, "\(template)")
        }
        // Markers that are not the placeholders counted, or counted twice.
        #expect(IgnitionShape.compile("variant: fcos\nversion: 1.5.0\n", holes: 1, options: ButaneOptions()) == nil)
        let twice = "variant: fcos\nversion: 1.5.0\npasswd:\n  users:\n    - name: core\n      gecos: \(IgnitionShape.placeholder(0))\(IgnitionShape.placeholder(0))\n"
        #expect(IgnitionShape.compile(twice, holes: 1, options: ButaneOptions()) == nil)
    }

    @Test func aShapeWithoutPlaceholdersIsTheTranslation() throws {
        let template = "variant: flatcar\nversion: 1.1.0\npasswd:\n  users:\n    - name: core\n"
        let shape = try #require(Self.compile(template))
        #expect(Self.check(shape, template, []))
    }

    @Test func localFilesJoinAShape() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-shape-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("welcome\n".utf8).write(to: URL(fileURLWithPath: directory + "/motd"))
        try Data("sneaky \u{E000}0\u{E001}\n".utf8).write(to: URL(fileURLWithPath: directory + "/marked"))
        let template = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        local: motd\n    - path: /etc/host\n      contents:\n        inline: @0@\n"
        let shape = try #require(Self.compile(template, filesDirectory: directory))
        #expect(Self.check(shape, template, ["node7"], filesDirectory: directory))
        let marked = template.replacingOccurrences(of: "local: motd", with: "local: marked")
        #expect(Self.compile(marked, filesDirectory: directory) == nil)
    }
}
