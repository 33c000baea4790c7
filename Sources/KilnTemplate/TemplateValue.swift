import KilnCore

/// A value during template execution, with the kinds Go's text/template
/// sees in matchbox's data: JSON numbers are float64 there, while `len`
/// and integer literals are int, and printing and `printf` tell them apart.
public enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case array([TemplateValue])
    case map([String: TemplateValue])

    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let value): self = .float(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values.map(TemplateValue.init))
        case .object(let object): self = .map(object.mapValues(TemplateValue.init))
        }
    }

    /// Go's notion of truth for `if`, `with`, `and`, `or`, `not`.
    var isTrue: Bool {
        switch self {
        case .null: return false
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .float(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .array(let values): return !values.isEmpty
        case .map(let values): return !values.isEmpty
        }
    }

    /// The Go type name, for error messages and `%!verb(type=value)`.
    var goType: String {
        switch self {
        case .null: return "<nil>"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float64"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .map: return "map[string]interface {}"
        }
    }

    /// What `{{.}}` and `%v` print, as Go's fmt does.
    var printed: String {
        switch self {
        case .null: return "<no value>"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .float(let value): return JSONValue.goFormat(value)
        case .string(let value): return value
        case .array(let values): return "[" + values.map(\.printedNested).joined(separator: " ") + "]"
        case .map(let values): return "map[" + values.keys.sorted().map { "\($0):\(values[$0]!.printedNested)" }.joined(separator: " ") + "]"
        }
    }

    private var printedNested: String {
        if case .null = self { return "<nil>" }
        return printed
    }
}
