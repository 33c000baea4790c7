import KilnCLC
import KilnCore
import KilnIgnition
import KilnTemplate

/// What a rendering failed on: the file (or profile field), line, column
/// and reason, in one line for the HTTP answer and the log.
public struct RenderError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// A config file rendered for one machine.
public struct RenderedConfig: Sendable {
    public var bytes: [UInt8]
    public var contentType: String
    /// Butane's warnings for this machine's config (file, line, path,
    /// what), each given once per data load: a template that warns would
    /// otherwise fill the log with one line per machine.
    public var warnings: [String] = []
}

/// Renders what a matched machine gets: its boot configuration (with
/// template variables in kernel, initrd and args), and its generic, cloud
/// or raw Ignition config. Pure: values in, values out.
public struct Renderer: Sendable {
    public let compiled: CompiledCatalog

    public init(_ compiled: CompiledCatalog) {
        self.compiled = compiled
    }

    public var catalog: Catalog { compiled.catalog }

    /// matchbox's template data (see `MachineVariables`), with the group's
    /// part taken as the compiled catalog converted it at load.
    func variables(_ match: Match, _ labels: Labels) -> TemplateValue {
        var data = compiled.groupVariables[match.group.id] ?? MachineVariables.group(match.group).mapValues(TemplateValue.init)
        data["request"] = MachineVariables.templateRequest(labels)
        return .map(data)
    }

    /// The profile's boot configuration with its templates rendered. iPXE's
    /// own `${…}` are not template syntax and pass through untouched.
    public func boot(_ match: Match, _ labels: Labels) throws(RenderError) -> BootConfig? {
        guard let boot = match.profile.boot else { return nil }
        guard let templates = compiled.bootTemplates[match.profile.id] else { return boot }
        let data = variables(match, labels)
        do {
            return BootConfig(
                kernel: try templates.kernel.render(data),
                initrd: try templates.initrd.map { template throws(TemplateError) in try template.render(data) },
                args: try templates.args.map { template throws(TemplateError) in try template.render(data) })
        } catch {
            throw RenderError(description: error.description)
        }
    }

    public enum ConfigOutcome: Sendable {
        case rendered(RenderedConfig)
        case missing(MatchFailure)
    }

    public func config(_ kind: TemplateKind, _ match: Match, _ labels: Labels) throws(RenderError) -> ConfigOutcome {
        let file: TemplateFile
        switch catalog.template(kind, for: match.profile) {
        case .success(let found): file = found
        case .failure(let failure): return .missing(failure)
        }
        if file.isRawIgnition {
            return .rendered(RenderedConfig(bytes: file.bytes, contentType: "application/json"))
        }
        let clc = compiled.clcOptions(for: match.profile)
        if kind == .ignition, let translated = compiled.translatedIgnition[CompiledCatalog.translationKey(file.id, clc, default: compiled.defaultCLCOptions)] {
            return .rendered(RenderedConfig(bytes: translated, contentType: Self.json))
        }
        guard let template = compiled.templates[TemplateKey(kind, file.id)] else {
            return .rendered(RenderedConfig(bytes: file.bytes, contentType: Self.plainText))
        }
        let data = variables(match, labels)
        let text: String
        do {
            if kind == .ignition, compiled.shapes.isWorthShaping(file.id) {
                let (trace, values) = try template.renderTrace(data)
                let shape = compiled.shapes.shape(ShapeCache.Key(file: file.id, trace: trace)) {
                    guard let text = try? template.renderShape(data, placeholder: IgnitionShape.placeholder).shape else { return nil }
                    return IgnitionShape.compile(text, holes: values.count, options: compiled.butaneOptions)
                }
                if let shape, let json = shape.fill(values) {
                    return .rendered(RenderedConfig(bytes: json, contentType: Self.json,
                                                    warnings: compiled.warnings.firstSightings(shape.warnings, file: file.path)))
                }
            }
            text = try template.render(data)
        } catch {
            throw RenderError(description: error.description)
        }
        if kind == .cloud, CloudConfig.isCloudConfig(text) {
            // A templated cloud-config is checked as it was rendered: broken
            // YAML fails like a broken template, unknown keys are logged once.
            let findings = CloudConfig.check(text)
            if let error = findings.first(where: { $0.severity == .error }) {
                throw RenderError(description: "\(file.path) (as rendered for this machine): cloud-config: \(error)")
            }
            return .rendered(RenderedConfig(bytes: Array(text.utf8), contentType: Self.plainText,
                                            warnings: compiled.warnings.firstSightings(findings, file: file.path)))
        }
        guard kind == .ignition else {
            return .rendered(RenderedConfig(bytes: Array(text.utf8), contentType: Self.plainText))
        }
        // A CLC's bytes depend on the profile's settings as well as the text.
        let cacheKey = clc == compiled.defaultCLCOptions ? text : text + "\u{0}\(clc.ignitionVersion.rawValue)\u{0}\(clc.platform ?? "")"
        if let cached = compiled.translations.lookup(cacheKey) {
            return .rendered(RenderedConfig(bytes: cached, contentType: Self.json))
        }
        do {
            let output = try CoreOSConfig.translate(text, butane: compiled.butaneOptions, clc: clc)
            compiled.translations.store(cacheKey, output.json)
            return .rendered(RenderedConfig(bytes: output.json, contentType: Self.json,
                                            warnings: compiled.warnings.firstSightings(output.warnings, file: file.path)))
        } catch {
            // Lines count in the rendered text, which is what Butane read.
            throw RenderError(description: "\(file.path) (as rendered for this machine): \(error.description)")
        }
    }

    static let plainText = "text/plain; charset=utf-8"
    static let json = "application/json"
}
