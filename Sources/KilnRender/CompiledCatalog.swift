import KilnCLC
import KilnCore
import KilnIgnition
import KilnTemplate

/// A catalog with every template parsed, built once per data load: config
/// templates (generic, cloud, Butane) and profiles' boot fields that use
/// `{{ }}`. A template that does not parse makes the load fail, with the
/// file, line and column, like any other broken file. A class: every
/// request takes the current one, and a reference is one retain where
/// this many fields were one each.
public final class CompiledCatalog: Sendable {
    public let catalog: Catalog
    let templates: [TemplateKey: Template]
    let bootTemplates: [String: BootTemplates]
    /// Butane and CLC templates without `{{ }}`, translated once at load
    /// (a CLC once per distinct profile setting, see `translationKey`):
    /// every machine gets the same bytes, so no request pays for translation.
    let translatedIgnition: [String: [UInt8]]
    /// How Butane templates are translated: local files come from the data
    /// directory's files/.
    let butaneOptions: ButaneOptions
    /// How each profile's Container Linux Configs are translated.
    let clcOptions: [String: CLCOptions]
    let defaultCLCOptions: CLCOptions
    let translations: TranslationCache
    let shapes: ShapeCache
    let warnings = WarningLedger()
    /// Each group's template variables without the request's part
    /// (metadata, then selectors with lowercased keys), converted once.
    let groupVariables: [String: [String: TemplateValue]]

    init(catalog: Catalog, templates: [TemplateKey: Template], bootTemplates: [String: BootTemplates],
         translatedIgnition: [String: [UInt8]], butaneOptions: ButaneOptions, clcOptions: [String: CLCOptions], defaultCLCOptions: CLCOptions,
         translations: TranslationCache,
         shapes: ShapeCache, groupVariables: [String: [String: TemplateValue]]) {
        self.catalog = catalog
        self.templates = templates
        self.bootTemplates = bootTemplates
        self.translatedIgnition = translatedIgnition
        self.butaneOptions = butaneOptions
        self.clcOptions = clcOptions
        self.defaultCLCOptions = defaultCLCOptions
        self.translations = translations
        self.shapes = shapes
        self.groupVariables = groupVariables
    }

    struct BootTemplates: Sendable {
        var kernel: Template
        var initrd: [Template]
        var args: [Template]
    }

    /// - Parameter filesDirectory: where Butane's `local` references read
    ///   from (the data directory's `files/`); nil refuses them.
    public static func compile(_ catalog: Catalog, filesDirectory: String? = nil) -> (CompiledCatalog?, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var templates: [TemplateKey: Template] = [:]
        var translatedIgnition: [String: [UInt8]] = [:]
        let butaneOptions = ButaneOptions(filesDirectory: filesDirectory)
        let defaultCLCOptions = CLCOptions(filesDirectory: filesDirectory)
        var clcOptions: [String: CLCOptions] = [:]
        // Each CLC file is translated at load under the settings of the
        // profiles that use it (the default when none does, so a broken
        // file is still reported).
        var clcOptionsByFile: [String: [CLCOptions]] = [:]
        for profile in catalog.profiles.values.sorted(by: { $0.id < $1.id }) {
            var options = defaultCLCOptions
            if let version = profile.clcIgnitionVersion, let known = CLCOptions.IgnitionVersion(rawValue: version) { options.ignitionVersion = known }
            if let platform = profile.clcPlatform {
                guard CLCOptions.platforms.contains(platform) else {
                    diagnostics.append(Diagnostic(.error, path: profile.sourcePath,
                                                  "clc_platform \"\(platform)\" is not one of \(CLCOptions.platforms.joined(separator: ", "))"))
                    continue
                }
                options.platform = platform
            }
            if options != defaultCLCOptions { clcOptions[profile.id] = options }
            if case .success(let file) = catalog.template(.ignition, for: profile), !(clcOptionsByFile[file.id] ?? []).contains(options) {
                clcOptionsByFile[file.id, default: []].append(options)
            }
        }
        for (key, file) in catalog.templates.sorted(by: { $0.value.path < $1.value.path }) where !file.isRawIgnition {
            let source = String(decoding: file.bytes, as: UTF8.self)
            if file.kind == .ignition, !source.contains("{{") {
                var seen: Set<String> = []
                // A CLC is translated once per setting profiles ask for; a
                // Butane config reads none of them, so once.
                let parsed = CoreOSConfig.parse(source)
                let isButane = parsed.format == .butane
                for (index, clc) in (isButane ? [defaultCLCOptions] : clcOptionsByFile[file.id] ?? [defaultCLCOptions]).enumerated() {
                    switch Result(catching: { () throws(ButaneFailure) in try CoreOSConfig.translate(parsed, butane: butaneOptions, clc: clc) }) {
                    case .success(let output):
                        translatedIgnition[Self.translationKey(file.id, clc, default: defaultCLCOptions)] = output.json
                        if index == 0 { diagnostics += output.warnings.map { Self.diagnostic($0, file.path, isButane ? "butane" : "clc") } }
                    case .failure(let failure):
                        for diagnostic in failure.diagnostics.map({ Self.diagnostic($0, file.path, isButane ? "butane" : "clc") })
                        where seen.insert(diagnostic.description).inserted {
                            diagnostics.append(diagnostic)
                        }
                    }
                }
                continue
            }
            // A static cloud-config is checked once, at load, like a Butane file.
            if file.kind == .cloud, !source.contains("{{"), CloudConfig.isCloudConfig(source) {
                diagnostics += CloudConfig.check(source).map { Self.diagnostic($0, file.path, "cloud-config") }
            }
            do {
                templates[key] = try Template(name: file.path, source: source)
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
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return (nil, diagnostics) }
        let compiled = CompiledCatalog(catalog: catalog, templates: templates, bootTemplates: bootTemplates,
                                       translatedIgnition: translatedIgnition, butaneOptions: butaneOptions,
                                       clcOptions: clcOptions, defaultCLCOptions: defaultCLCOptions, translations: TranslationCache(), shapes: ShapeCache(),
                                       groupVariables: Self.groupVariables(catalog))
        return (compiled, diagnostics)
    }

    /// The CLC settings a profile's machines get.
    func clcOptions(for profile: Profile) -> CLCOptions {
        clcOptions[profile.id] ?? defaultCLCOptions
    }

    /// Where a statically translated template is kept: by file, and for a
    /// CLC translated under a profile's own settings, by those too.
    static func translationKey(_ file: String, _ options: CLCOptions, default defaultOptions: CLCOptions) -> String {
        options == defaultOptions ? file : "\(file)\u{0}\(options.ignitionVersion.rawValue)\u{0}\(options.platform ?? "")"
    }

    private static func groupVariables(_ catalog: Catalog) -> [String: [String: TemplateValue]] {
        var variables: [String: [String: TemplateValue]] = [:]
        for group in catalog.groups {
            variables[group.id] = MachineVariables.group(group).mapValues(TemplateValue.init)
        }
        return variables
    }

    private static func diagnostic(_ finding: ButaneDiagnostic, _ path: String, _ format: String = "butane") -> Diagnostic {
        let severity: Diagnostic.Severity = finding.severity == .error ? .error : .warning
        let at = finding.path.isEmpty ? "" : "\(finding.path): "
        let position = finding.line.map { JSONReader.Position(line: $0, column: finding.column ?? 1) }
        return Diagnostic(severity, path: path, position: position, "\(format): \(at)\(finding.message)")
    }

    private static func usesTemplates(_ boot: BootConfig) -> Bool {
        ([boot.kernel] + boot.initrd + boot.args).contains { $0.contains("{{") }
    }
}
