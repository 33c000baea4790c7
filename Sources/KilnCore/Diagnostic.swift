/// One finding about the data directory, written the way compilers write
/// them so editors can jump to it: `groups/a.json:3:14: error: reason`.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable {
        case error
        case warning
    }

    public var severity: Severity
    public var path: String
    public var position: JSONReader.Position?
    public var message: String

    public init(_ severity: Severity, path: String, position: JSONReader.Position? = nil, _ message: String) {
        self.severity = severity
        self.path = path
        self.position = position
        self.message = message
    }

    public var description: String {
        var location = path
        if let position { location += ":\(position.line):\(position.column)" }
        return "\(location): \(severity.rawValue): \(message)"
    }
}

extension Array where Element == Diagnostic {
    public var errors: [Diagnostic] { filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { filter { $0.severity == .warning } }
}
