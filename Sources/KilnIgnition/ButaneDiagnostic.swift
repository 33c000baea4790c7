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
package struct ButaneReport {
    package let strict: Bool
    package var diagnostics: [ButaneDiagnostic] = []

    package init(strict: Bool) {
        self.strict = strict
    }

    package var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    package mutating func error(_ place: SourcePlace, _ message: String) {
        diagnostics.append(ButaneDiagnostic(.error, line: place.line, column: place.column, path: place.path, message))
    }

    package mutating func warning(_ place: SourcePlace, _ message: String) {
        diagnostics.append(ButaneDiagnostic(strict ? .error : .warning, line: place.line, column: place.column, path: place.path, message))
    }
}

/// A translation that failed: its errors (at least one) and any warnings.
public struct ButaneFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ButaneDiagnostic]

    package init(diagnostics: [ButaneDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [ButaneDiagnostic] { diagnostics.filter { $0.severity == .error } }

    /// The first error, for one-line answers (HTTP 500 reasons, log lines).
    public var description: String {
        (errors.first ?? diagnostics.first)?.description ?? "error: translation failed"
    }
}
