/// A Butane variant and version, and what it translates to.
struct ButaneSpec: Sendable {
    enum Variant: String, Sendable {
        case fcos
        case flatcar
    }

    let variant: Variant
    let version: String
    /// The Ignition 3.x minor version this spec produces.
    let ignitionMinor: Int

    var ignitionVersion: String { "3.\(ignitionMinor).0" }
    var name: String { "\(variant.rawValue) \(version)" }

    static let all: [ButaneSpec] = [
        ButaneSpec(variant: .fcos, version: "1.0.0", ignitionMinor: 0),
        ButaneSpec(variant: .fcos, version: "1.1.0", ignitionMinor: 1),
        ButaneSpec(variant: .fcos, version: "1.2.0", ignitionMinor: 2),
        ButaneSpec(variant: .fcos, version: "1.3.0", ignitionMinor: 2),
        ButaneSpec(variant: .fcos, version: "1.4.0", ignitionMinor: 3),
        ButaneSpec(variant: .fcos, version: "1.5.0", ignitionMinor: 4),
        ButaneSpec(variant: .fcos, version: "1.6.0", ignitionMinor: 5),
        ButaneSpec(variant: .flatcar, version: "1.0.0", ignitionMinor: 3),
        ButaneSpec(variant: .flatcar, version: "1.1.0", ignitionMinor: 4),
    ]

    static func find(variant: String, version: String) -> ButaneSpec? {
        all.first { $0.variant.rawValue == variant && $0.version == version }
    }

    static func versions(of variant: Variant) -> String {
        all.filter { $0.variant == variant }.map(\.version).joined(separator: ", ")
    }

    /// Fields a variant refuses outright (an error even when not strict,
    /// as upstream): Flatcar ships no Clevis.
    func forbids(_ field: FieldSchema, in object: ObjectSchema) -> String? {
        if variant == .flatcar, object === IgnitionSchema.luks, field.yaml == "clevis" {
            return "Clevis is not supported on Flatcar: use key_file"
        }
        return nil
    }

    /// Whether a field exists in this spec. Beyond the Ignition version,
    /// fcos 1.3.0 added `boot_device` without a new Ignition spec, and
    /// Flatcar has neither `boot_device`, `grub` nor Clevis.
    func allows(_ field: FieldSchema, in object: ObjectSchema) -> Bool {
        guard field.since <= ignitionMinor else { return false }
        switch (object.name, field.yaml) {
        case ("config", "boot_device"):
            return variant == .fcos && version >= "1.3.0"
        case ("config", "grub"):
            return variant == .fcos
        default:
            return true
        }
    }
}

/// One finding about a Butane config: where (line, column and the YAML
/// path) and what.
public struct ButaneDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    public var severity: Severity
    public var line: Int?
    public var column: Int?
    /// The YAML path, e.g. `storage.files.0.mode`; empty for the document.
    public var path: String
    public var message: String

    public init(_ severity: Severity, line: Int? = nil, column: Int? = nil, path: String, _ message: String) {
        self.severity = severity
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        var where_ = ""
        if let line {
            where_ = "line \(line)"
            if let column { where_ += " column \(column)" }
            where_ += ": "
        }
        let at = path.isEmpty ? "" : "\(path): "
        return "\(severity.rawValue): \(where_)\(at)\(message)"
    }
}

/// What decoding, translating and checking find as they go. Warnings are
/// errors in strict mode.
struct ButaneReport {
    let strict: Bool
    var diagnostics: [ButaneDiagnostic] = []

    init(strict: Bool) {
        self.strict = strict
    }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    mutating func error(_ place: SourcePlace, _ message: String) {
        diagnostics.append(ButaneDiagnostic(.error, line: place.line, column: place.column, path: place.path, message))
    }

    mutating func warning(_ place: SourcePlace, _ message: String) {
        diagnostics.append(ButaneDiagnostic(strict ? .error : .warning, line: place.line, column: place.column, path: place.path, message))
    }
}

/// A translation that failed: its errors (at least one) and any warnings.
public struct ButaneFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ButaneDiagnostic]

    public var errors: [ButaneDiagnostic] { diagnostics.filter { $0.severity == .error } }

    /// The first error, for one-line answers (HTTP 500 reasons, log lines).
    public var description: String {
        (errors.first ?? diagnostics.first)?.description ?? "error: translation failed"
    }
}
