import Foundation
import KilnIgnition
import KilnCore
import Testing
@testable import KilnRender

@Suite struct RendererTests {
    private func catalog(templates: [TemplateFile], boot: BootConfig = BootConfig(kernel: "/k")) -> Catalog {
        Catalog(
            groups: [Group(id: "g", profile: "p", metadata: ["role": .string("worker"), "n": .number(2)])],
            profiles: [Profile(id: "p", boot: boot, ignitionID: "p.ign", cloudID: "c.yaml", genericID: "g.txt", sourcePath: "profiles/p.json")],
            templates: templates)
    }

    private func file(_ kind: TemplateKind, _ id: String, _ text: String) -> TemplateFile {
        TemplateFile(kind: kind, id: id, path: "\(kind.directory)/\(id)", bytes: Array(text.utf8))
    }

    @Test func cloudConfigsAreCheckedAtLoadOrAsRendered() throws {
        // Static: broken YAML fails the load with the file's line; an unknown key is a warning.
        let broken = CompiledCatalog.compile(catalog(templates: [file(.cloud, "c.yaml", "#cloud-config\nwrite_files:\n  - path: /a\n   content: [x\n")]))
        #expect(broken.0 == nil)
        #expect(broken.1.contains { $0.severity == .error && $0.description.hasPrefix("cloud/c.yaml:4") && $0.description.contains("cloud-config: YAML") })
        let typo = CompiledCatalog.compile(catalog(templates: [file(.cloud, "c.yaml", "#cloud-config\nhostnme: a\n")]))
        #expect(typo.0 != nil)
        #expect(typo.1.contains { $0.severity == .warning && $0.description.contains("hostnme") })
        // Templated: checked as rendered for the machine.
        let templated = try #require(CompiledCatalog.compile(catalog(templates: [
            file(.cloud, "c.yaml", "#cloud-config\nhostname: {{.role}}\nwrite_files:\n  - path: /a\n {{.role}}: x\n"),
        ])).0)
        let labels = try Labels(query: "mac=52-54-00-12-34-56")
        guard case .success(let match) = templated.catalog.match(labels) else {
            Issue.record("no match")
            return
        }
        #expect(throws: RenderError.self) { try Renderer(templated).config(.cloud, match, labels) }
    }

    @Test func rendersConfigsAndBootFields() throws {
        let compiled = try #require(CompiledCatalog.compile(catalog(
            templates: [
                file(.generic, "g.txt", "{{.role}} {{.n}} {{.request.query.mac}}"),
                file(.cloud, "c.yaml", "#cloud-config\nhostname: {{.role}}-{{.request.query.serial}}\n"),
                file(.ignition, "p.ign", "{\"ignition\":{\"version\":\"3.4.0\"}}"),
            ],
            boot: BootConfig(kernel: "/k", initrd: ["/i/{{.role}}"], args: ["a={{.n}}", "b=${uuid}"]))).0)
        let renderer = Renderer(compiled)
        let labels = try Labels(query: "mac=52-54-00-12-34-56&serial=S1")
        guard case .success(let match) = compiled.catalog.match(labels) else {
            Issue.record("no match")
            return
        }
        #expect(try renderer.boot(match, labels) == BootConfig(kernel: "/k", initrd: ["/i/worker"], args: ["a=2", "b=${uuid}"]))
        guard case .rendered(let generic) = try renderer.config(.generic, match, labels),
            case .rendered(let cloud) = try renderer.config(.cloud, match, labels),
            case .rendered(let ignition) = try renderer.config(.ignition, match, labels)
        else {
            Issue.record("expected rendered configs")
            return
        }
        #expect(String(decoding: generic.bytes, as: UTF8.self) == "worker 2 52:54:00:12:34:56")
        #expect(String(decoding: cloud.bytes, as: UTF8.self) == "#cloud-config\nhostname: worker-S1\n")
        #expect(ignition.contentType == "application/json")
    }

    @Test func templatesThatDoNotParseFailTheLoadWithPositions() {
        let (compiled, diagnostics) = CompiledCatalog.compile(catalog(
            templates: [file(.generic, "g.txt", "line one\n{{if .role}}unclosed")],
            boot: BootConfig(kernel: "/k", args: ["ok", "x={{.role"])))
        #expect(compiled == nil)
        let messages = diagnostics.map(\.description)
        #expect(messages.contains("generic/g.txt:2:1: error: template: unexpected EOF: {{if}} has no {{end}}"))
        #expect(messages.contains { $0.hasPrefix("profiles/p.json: error: boot.args[1]: template: unclosed action") })
    }

    @Test func plainBootFieldsAreNotCompiled() throws {
        let compiled = try #require(CompiledCatalog.compile(catalog(templates: [])).0)
        #expect(compiled.bootTemplates.isEmpty)
    }
}

@Suite struct TranslationCacheTests {
    @Test func boundedInEntriesAndBytes() {
        let cache = TranslationCache(maximumEntries: 3, maximumBytes: 1000)
        for index in 0..<5 { cache.store("text \(index)", Array("json \(index)".utf8)) }
        #expect(cache.count == 3)
        #expect(cache.lookup("text 0") == nil)
        #expect(cache.lookup("text 4") == Array("json 4".utf8))
        // Anything over a sixteenth of the byte budget is never kept.
        cache.store(String(repeating: "x", count: 100), [])
        #expect(cache.lookup(String(repeating: "x", count: 100)) == nil)
    }
}

/// Per-machine Butane through shapes must answer exactly what rendering
/// the full text and translating it answers, whatever the values.
@Suite struct ShapedIgnitionTests {
    static let template = """
        variant: fcos
        version: 1.5.0
        passwd:
          users:
            - name: core
              ssh_authorized_keys:
        {{- range .keys}}
                - {{.}}
        {{- end}}
        storage:
          files:
        {{- if .motd}}
            - path: /etc/motd
              contents:
                inline: |
                  {{.motd}}
        {{- end}}
            - path: /etc/hostname
              contents:
                inline: {{.hostname}}
        systemd:
          units:
            - name: app.service
              contents: |
                [Service]
                Environment=NODE={{.request.query.mac}} HOST={{.hostname}}
        """

    static func machines(_ metadata: [[String: JSONValue]]) -> Catalog {
        var groups: [Group] = []
        for (index, data) in metadata.enumerated() {
            groups.append(Group(id: "m\(index)", profile: "p", selector: ["mac": mac(index)], metadata: data))
        }
        return Catalog(groups: groups, profiles: [Profile(id: "p", ignitionID: "m.yaml", sourcePath: "profiles/p.json")],
                       templates: [TemplateFile(kind: .ignition, id: "m.yaml", path: "ignition/m.yaml", bytes: Array(template.utf8))])
    }

    /// Machines m0, m1, … (MAC 52:54:00:00:00:<index>, hostname n<index>)
    /// on profile p, whose Ignition is the Butane template `text`.
    static func hostnames(_ count: Int, template text: String) -> Catalog {
        Catalog(
            groups: (0..<count).map { Group(id: "m\($0)", profile: "p", selector: ["mac": mac($0)], metadata: ["hostname": .string("n\($0)")]) },
            profiles: [Profile(id: "p", ignitionID: "t.yaml", sourcePath: "profiles/p.json")],
            templates: [TemplateFile(kind: .ignition, id: "t.yaml", path: "ignition/t.yaml", bytes: Array(text.utf8))])
    }

    static func mac(_ index: Int) -> String { String(format: "52:54:00:00:00:%02x", index) }

    /// Machine `index`'s match and labels, or nil (recorded) when it has none.
    static func machine(_ index: Int, in catalog: Catalog) throws -> (Match, Labels)? {
        let labels = try Labels(query: "mac=" + mac(index))
        guard case .success(let match) = catalog.match(labels) else {
            Issue.record("machine \(index) did not match")
            return nil
        }
        return (match, labels)
    }

    /// Machine `index`'s rendered Ignition, or nil (recorded).
    static func ignition(_ index: Int, in catalog: Catalog, _ renderer: Renderer) throws -> RenderedConfig? {
        guard let (match, labels) = try machine(index, in: catalog) else { return nil }
        guard case .rendered(let config) = try renderer.config(.ignition, match, labels) else {
            Issue.record("machine \(index) got no Ignition")
            return nil
        }
        return config
    }

    /// Each machine's answer against the full path, run twice so the
    /// second pass is served from the shapes compiled by the first.
    static func expectFullTranslation(_ catalog: Catalog) throws {
        let compiled = try #require(CompiledCatalog.compile(catalog).0)
        let renderer = Renderer(compiled)
        let fullTemplate = try #require(compiled.templates[TemplateKey(.ignition, "m.yaml")])
        for _ in 0..<2 {
            for index in catalog.groups.indices {
                guard let (match, labels) = try machine(index, in: catalog) else { continue }
                let text = try fullTemplate.render(renderer.variables(match, labels))
                let expected = Result { try Butane.translate(text, options: compiled.butaneOptions).json }
                let answered = Result { () throws -> [UInt8] in
                    guard case .rendered(let config) = try renderer.config(.ignition, match, labels) else { return [] }
                    return config.bytes
                }
                switch (expected, answered) {
                case (.success(let want), .success(let got)):
                    #expect(String(decoding: got, as: UTF8.self) == String(decoding: want, as: UTF8.self), "machine \(index)")
                case (.failure, .failure):
                    break
                default:
                    Issue.record("machine \(index): full translation \(expected), answer \(answered)")
                }
            }
        }
    }

    @Test func machinesGetWhatAFullTranslationGives() throws {
        let hostile = ["node-1.example.com", "a: b", "#x", "", "null", "it's \"q\"", "x\ny", "日本.example", "<&>", "- dash", "[x]", "true"]
        var metadata: [[String: JSONValue]] = []
        for (index, hostname) in hostile.enumerated() {
            metadata.append([
                "hostname": .string(hostname),
                "keys": .array((0..<(index % 3)).map { .string("ssh-ed25519 AAAA\($0) user\(index)@example") }),
                "motd": index % 2 == 0 ? .string("Welcome to \(hostname)") : .string(""),
            ])
        }
        try Self.expectFullTranslation(Self.machines(metadata))
    }

    @Test func sharedShapesAreCompiledOnce() throws {
        let metadata: [[String: JSONValue]] = (0..<20).map { index in
            ["hostname": .string("node\(index)"), "keys": .array([.string("ssh-ed25519 AAAA key\(index)")]), "motd": .string("hi")]
        }
        let catalog = Self.machines(metadata)
        try Self.expectFullTranslation(catalog)
        let compiled = try #require(CompiledCatalog.compile(catalog).0)
        let renderer = Renderer(compiled)
        for index in 0..<20 {
            _ = try Self.ignition(index, in: catalog, renderer)
        }
        #expect(compiled.shapes.count == 1)
    }

    @Test func templatesWhoseShapesAreRefusedStillAnswer() throws {
        // The hostname lands in a path, which Kiln reads: never shaped.
        let catalog = Self.hostnames(24, template: """
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/{{.hostname}}
            {{- if eq .hostname "n3" "n5" "n7" "n9" "n11" "n13" "n15" "n17" "n19" "n21" "n23"}}
                  mode: 0600
            {{- end}}
            """)
        let compiled = try #require(CompiledCatalog.compile(catalog).0)
        let renderer = Renderer(compiled)
        for index in 0..<24 {
            guard let config = try Self.ignition(index, in: catalog, renderer) else { continue }
            #expect(String(decoding: config.bytes, as: UTF8.self).contains("\"path\":\"/etc/n\(index)\""))
        }
        // Two shapes (with and without mode), both refused: far under the
        // limit, so shaping is still tried; the limit itself is exercised
        // by ShapeCacheTests.
        #expect(compiled.shapes.count == 2)
    }
}

extension ShapedIgnitionTests {
    /// A template with a misspelt key warns: the first machine's answer
    /// carries the warning (with file, line and path), later ones do not,
    /// whether the config came from a shape or a full translation.
    @Test(arguments: ["inline: {{.hostname}}", "inline: /etc/{{.hostname}}\n    - path: /etc/{{.hostname}}"])
    func butaneWarningsAreGivenOncePerLoad(_ contents: String) throws {
        let catalog = Self.hostnames(3, template: """
            variant: fcos
            version: 1.5.0
            storage:
              fils: []
              files:
                - path: /etc/hostname
                  contents:
                    \(contents)
            """)
        let renderer = Renderer(try #require(CompiledCatalog.compile(catalog).0))
        var given: [[String]] = []
        for index in 0..<3 {
            guard let config = try Self.ignition(index, in: catalog, renderer) else { continue }
            given.append(config.warnings)
        }
        #expect(given.first == ["ignition/t.yaml (as rendered for this machine): warning: line 4 column 3: storage.fils: unknown key (not part of fcos 1.5.0)"])
        #expect(given.dropFirst().allSatisfy { $0.isEmpty })
    }

    @Test func aConfigDriveCarriesTheWarningsOfItsUserData() throws {
        let catalog = Self.hostnames(1, template: "variant: fcos\nversion: 1.5.0\nstorage:\n  fils: []\n  files:\n    - path: /etc/{{.hostname}}\n")
        let renderer = Renderer(try #require(CompiledCatalog.compile(catalog).0))
        guard let (match, labels) = try Self.machine(0, in: catalog) else {
            Issue.record("no config drive")
            return
        }
        let warnings = try renderer.answer(.configDrive, match, labels).warnings
        #expect(warnings.count == 1 && warnings[0].contains("storage.fils: unknown key"))
        guard case .rendered(let config) = try renderer.config(.ignition, match, labels) else { return }
        #expect(config.warnings.isEmpty)
    }
}

@Suite struct ShapeCacheTests {
    @Test func aTemplateRefusedOftenStopsBeingShaped() {
        let cache = ShapeCache(maximumEntries: 8, refusalLimit: 3)
        for trace in 0..<3 {
            #expect(cache.isWorthShaping("t"))
            _ = cache.shape(ShapeCache.Key(file: "t", trace: [trace])) { nil }
        }
        #expect(!cache.isWorthShaping("t"))
        #expect(cache.isWorthShaping("other"))
        #expect(cache.count == 3)
    }

    @Test func boundedInEntries() {
        let cache = ShapeCache(maximumEntries: 4, refusalLimit: 100)
        for trace in 0..<10 { _ = cache.shape(ShapeCache.Key(file: "t", trace: [trace])) { nil } }
        #expect(cache.count == 4)
    }
}

@Suite struct ConfigDriveRenderTests {
    static func catalog(_ profile: Profile, metadata: [String: JSONValue] = [:]) -> Catalog {
        Catalog(
            groups: [Group(id: "g", profile: profile.id, selector: ["mac": "52:54:00:12:34:56"], metadata: metadata)],
            profiles: [profile],
            templates: [
                TemplateFile(kind: .ignition, id: "m.ign", path: "ignition/m.ign", bytes: Array(#"{"ignition":{"version":"3.3.0"}}"#.utf8)),
                TemplateFile(kind: .generic, id: "user.txt", path: "generic/user.txt", bytes: Array("#cloud-config\nhostname: {{.hostname}}\n".utf8)),
                TemplateFile(kind: .generic, id: "net.json", path: "generic/net.json", bytes: Array(#"{"links":[{"id":"eth0","ethernet_mac_address":"{{.request.query.mac}}"}]}"#.utf8)),
            ])
    }

    static func outcome(_ catalog: Catalog, _ query: String = "mac=52-54-00-12-34-56") throws -> Result<MachineAnswer, AnswerFailure> {
        let compiled = try #require(CompiledCatalog.compile(catalog).0)
        let labels = try Labels(query: query)
        guard case .success(let match) = catalog.match(labels) else { throw MatchFailure.noGroup(labels) }
        return Result { () throws(AnswerFailure) in try Renderer(compiled).answer(.configDrive, match, labels) }
    }

    @Test func userDataIsTheChosenConfigAndMetadataComesFromTheGroup() throws {
        let profile = Profile(id: "p", ignitionID: "m.ign", genericID: "user.txt",
                              configDrive: ConfigDriveSpec(userData: .generic, networkDataID: "net.json"))
        let metadata: [String: JSONValue] = ["hostname": .string("node1"), "uuid": .string("u-1"), "ssh_authorized_keys": .array([.string("k1"), .string("k2")])]
        guard case .success(let answer) = try Self.outcome(Self.catalog(profile, metadata: metadata)), case .configDrive(let contents) = answer.body else {
            Issue.record("no contents")
            return
        }
        #expect(contents.userData == Array("#cloud-config\nhostname: node1\n".utf8))
        #expect(contents.networkData == Array(#"{"links":[{"id":"eth0","ethernet_mac_address":"52:54:00:12:34:56"}]}"#.utf8))
        #expect(contents.instanceID == "u-1")
        #expect(contents.hostname == "node1")
        #expect(contents.publicKeys == [.init(name: "key-1", key: "k1"), .init(name: "key-2", key: "k2")])
    }

    @Test func withoutAChoiceIgnitionComesFirstAndLabelsFillIn() throws {
        let profile = Profile(id: "p", ignitionID: "m.ign", genericID: "user.txt")
        guard case .success(let answer) = try Self.outcome(Self.catalog(profile, metadata: ["public_keys": .object(["b": .string("kb"), "a": .string("ka")])]),
                                                           "mac=52-54-00-12-34-56&hostname=from-label"),
              case .configDrive(let contents) = answer.body else {
            Issue.record("no contents")
            return
        }
        #expect(contents.userData == Array(#"{"ignition":{"version":"3.3.0"}}"#.utf8))
        #expect(contents.instanceID == "00000000-0000-0000-0000-525400123456")
        #expect(contents.hostname == "from-label")
        #expect(contents.publicKeys == [.init(name: "a", key: "ka"), .init(name: "b", key: "kb")])
    }

    @Test func nothingToPutOnTheDriveIsExplained() throws {
        let cases: [(Profile, String)] = [
            (Profile(id: "p"), "names no ignition_id, cloud_id or generic_id"),
            (Profile(id: "p", ignitionID: "m.ign", configDrive: ConfigDriveSpec(userData: .cloud)), "has no cloud_id"),
            (Profile(id: "p", ignitionID: "gone.ign"), "gone.ign"),
            (Profile(id: "p", ignitionID: "m.ign", configDrive: ConfigDriveSpec(networkDataID: "nope.json")), "generic/nope.json"),
        ]
        for (profile, reason) in cases {
            guard case .failure(.unavailable(let text)) = try Self.outcome(Self.catalog(profile)) else {
                Issue.record("expected a reason for \(profile)")
                continue
            }
            #expect(text.contains(reason), "\(text)")
        }
    }
}
