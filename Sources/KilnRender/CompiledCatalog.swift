import KilnCore
import KilnTemplate

/// A catalog with every template parsed, built once per data load: config
/// templates (generic, cloud, Butane) and profiles' boot fields that use
/// `{{ }}`. A template that does not parse makes the load fail, with the
/// file, line and column, like any other broken file.
public struct CompiledCatalog: Sendable {
    public let catalog: Catalog
    let templates: [TemplateKey: Template]
    let bootTemplates: [String: BootTemplates]

    struct BootTemplates: Sendable {
        var kernel: Template
        var initrd: [Template]
        var args: [Template]
    }

    public static func compile(_ catalog: Catalog) -> (CompiledCatalog?, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var templates: [TemplateKey: Template] = [:]
        for (key, file) in catalog.templates where !file.isRawIgnition {
            do {
                templates[key] = try Template(name: file.path, source: String(decoding: file.bytes, as: UTF8.self))
            } catch {
                diagnostics.append(Diagnostic(.error, path: file.path, position: .init(line: error.line, column: error.column), "template: \(error.message)"))
            }
        }
        var bootTemplates: [String: BootTemplates] = [:]
        for profile in catalog.profiles.values {
            guard let boot = profile.boot, Self.usesTemplates(boot) else { continue }
            func compile(_ text: String, _ field: String) -> Template? {
                do {
                    return try Template(name: "\(profile.sourcePath) \(field)", source: text)
                } catch {
                    diagnostics.append(Diagnostic(.error, path: profile.sourcePath, "\(field): template: \(error.message) (column \(error.column))"))
                    return nil
                }
            }
            let kernel = compile(boot.kernel, "boot.kernel")
            let initrd = boot.initrd.enumerated().map { compile($0.element, "boot.initrd[\($0.offset)]") }
            let args = boot.args.enumerated().map { compile($0.element, "boot.args[\($0.offset)]") }
            if let kernel, !initrd.contains(where: { $0 == nil }), !args.contains(where: { $0 == nil }) {
                bootTemplates[profile.id] = BootTemplates(kernel: kernel, initrd: initrd.map { $0! }, args: args.map { $0! })
            }
        }
        guard diagnostics.isEmpty else { return (nil, diagnostics) }
        return (CompiledCatalog(catalog: catalog, templates: templates, bootTemplates: bootTemplates), [])
    }

    private static func usesTemplates(_ boot: BootConfig) -> Bool {
        ([boot.kernel] + boot.initrd + boot.args).contains { $0.contains("{{") }
    }
}
