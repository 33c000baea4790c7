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
