import Yams

/// How a Butane config is translated.
public struct ButaneOptions: Sendable {
    /// Unknown keys (and other warnings) become errors, as `butane --strict`.
    public var strict: Bool
    /// Where `local`, `contents_local`, `ssh_authorized_keys_local` and
    /// `trees` are read from; nil refuses them.
    public var filesDirectory: String?
    /// Indented JSON instead of one line.
    public var pretty: Bool

    public init(strict: Bool = false, filesDirectory: String? = nil, pretty: Bool = false) {
        self.strict = strict
        self.filesDirectory = filesDirectory
        self.pretty = pretty
    }
}

/// A translated config: Ignition JSON, the spec it is written to, and
/// warnings that did not stop the translation.
public struct IgnitionOutput: Sendable {
    public var json: [UInt8]
    public var ignitionVersion: String
    public var warnings: [ButaneDiagnostic]

    package init(json: [UInt8], ignitionVersion: String, warnings: [ButaneDiagnostic]) {
        self.json = json
        self.ignitionVersion = ignitionVersion
        self.warnings = warnings
    }
}

/// Butane (fcos 1.0.0–1.7.0, flatcar 1.0.0–1.1.0, r4e 1.0.0–1.1.0, fiot 1.0.0) to Ignition 3.0.0–3.6.0.
/// Pure apart from reading the files directory; the same input gives the
/// same bytes.
public enum Butane {
    public static func translate(_ text: String, options: ButaneOptions = ButaneOptions()) throws(ButaneFailure) -> IgnitionOutput {
        try translate(root: ButaneDecoder.parse(text), options: options)
    }

    /// An already parsed document (Kiln parses once to tell Butane from a
    /// Container Linux Config).
    package static func translate(root: Node?, options: ButaneOptions) throws(ButaneFailure) -> IgnitionOutput {
        guard let root else {
            throw ButaneFailure(diagnostics: [ButaneDiagnostic(.error, path: "", "the config is empty: it needs at least variant and version")])
        }
        let spec = try Self.spec(of: root)
        var decoder = ButaneDecoder(spec: spec, strict: options.strict)
        let decoded = decoder.decodeObject(root, IgnitionSchema.config, path: "")
        guard let decoded, !decoder.report.hasErrors else {
            throw ButaneFailure(diagnostics: decoder.report.diagnostics)
        }
        var translator = ButaneTranslator(spec: spec, options: options, report: decoder.report)
        let config = translator.translate(decoded)
        guard !translator.report.hasErrors else {
            throw ButaneFailure(diagnostics: translator.report.diagnostics)
        }
        return IgnitionOutput(json: IgnitionJSONWriter.write(config, pretty: options.pretty), ignitionVersion: spec.ignitionVersion, warnings: translator.report.diagnostics)
    }

    static func spec(of root: Node) throws(ButaneFailure) -> ButaneSpec {
        guard case .mapping(let mapping) = root else {
            throw ButaneFailure(diagnostics: [ButaneDiagnostic(.error, line: root.mark?.line, column: root.mark?.column, path: "", "a Butane config is a mapping with variant and version at the top")])
        }
        func scalar(_ key: String) -> (String, Mark?)? {
            for (keyNode, value) in mapping {
                if case .scalar(let name) = keyNode, name.string == key, case .scalar(let text) = value {
                    return (text.string, value.mark)
                }
            }
            return nil
        }
        guard let (variant, variantMark) = scalar("variant") else {
            throw ButaneFailure(diagnostics: [ButaneDiagnostic(.error, line: 1, path: "variant", "missing: set variant to fcos, flatcar, r4e or fiot")])
        }
        guard let known = ButaneSpec.Variant(rawValue: variant) else {
            throw ButaneFailure(diagnostics: [ButaneDiagnostic(.error, line: variantMark?.line, column: variantMark?.column, path: "variant", "unsupported variant \"\(variant)\" (Kiln translates fcos, flatcar, r4e and fiot)")])
        }
        guard let (version, versionMark) = scalar("version") else {
            throw ButaneFailure(diagnostics: [ButaneDiagnostic(.error, line: 1, path: "version", "missing: set version, e.g. \(ButaneSpec.all.last { $0.variant == known }!.version)")])
        }
        guard let spec = ButaneSpec.find(variant: variant, version: version) else {
            throw ButaneFailure(diagnostics: [ButaneDiagnostic(.error, line: versionMark?.line, column: versionMark?.column, path: "version", "unsupported \(variant) version \"\(version)\" (Kiln knows \(ButaneSpec.versions(of: known)))")])
        }
        return spec
    }
}
