import KilnCore

/// Go text/template's predefined functions, with Go's results and errors.
enum Builtins {
    struct Failure: Error {
        var message: String
    }

    static func call(_ name: String, _ arguments: [TemplateValue]) throws(Failure) -> TemplateValue {
        func want(_ count: Int) throws(Failure) {
            guard arguments.count == count else {
                throw Failure(message: "wrong number of args for \(name): want \(count) got \(arguments.count)")
            }
        }
        switch name {
        case "not":
            try want(1)
            return .bool(!arguments[0].isTrue)
        case "eq":
            guard arguments.count >= 2 else { throw Failure(message: "missing argument for comparison") }
            for other in arguments.dropFirst() where try equal(arguments[0], other) { return .bool(true) }
            return .bool(false)
        case "ne":
            try want(2)
            return .bool(!(try equal(arguments[0], arguments[1])))
        case "lt", "le", "gt", "ge":
            try want(2)
            let order = try compare(arguments[0], arguments[1])
            switch name {
            case "lt": return .bool(order < 0)
            case "le": return .bool(order <= 0)
            case "gt": return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case "len":
            try want(1)
            switch arguments[0] {
            case .string(let value): return .int(value.utf8.count)
            case .array(let values): return .int(values.count)
            case .map(let values): return .int(values.count)
            default: throw Failure(message: "len of type \(arguments[0].goType)")
            }
        case "index":
            guard var current = arguments.first else { throw Failure(message: "wrong number of args for index: want at least 1 got 0") }
            for key in arguments.dropFirst() {
                switch (current, key) {
                case (.map(let values), .string(let name)):
                    current = values[name] ?? .null
                case (.array(let values), .int(let position)):
                    guard values.indices.contains(position) else { throw Failure(message: "index out of range: \(position)") }
                    current = values[position]
                case (.null, _):
                    throw Failure(message: "index of untyped nil")
                default:
                    throw Failure(message: "cannot index \(current.goType) with \(key.goType)")
                }
            }
            return current
        case "print":
            return .string(sprint(arguments))
        case "println":
            return .string(arguments.map(\.printed).joined(separator: " ") + "\n")
        case "printf":
            guard case .string(let format)? = arguments.first else {
                throw Failure(message: "printf needs a format string first")
            }
            return .string(GoFormat.printf(format, Array(arguments.dropFirst())))
        case "html":
            return .string(escapeHTML(text(arguments)))
        case "js":
            return .string(escapeJS(text(arguments)))
        case "urlquery":
            return .string(escapeQuery(text(arguments)))
        default:
            throw Failure(message: "function \"\(name)\" not defined")
        }
    }

    /// fmt.Sprint: spaces between operands when neither is a string.
    static func sprint(_ arguments: [TemplateValue]) -> String {
        var out = ""
        for (i, argument) in arguments.enumerated() {
            if i > 0, !isString(arguments[i - 1]), !isString(argument) { out += " " }
            out += argument.printed
        }
        return out
    }

    private static func isString(_ value: TemplateValue) -> Bool {
        if case .string = value { return true }
        return false
    }

    /// The escapers take one string as is, or fmt.Sprint of their arguments.
    private static func text(_ arguments: [TemplateValue]) -> String {
        if arguments.count == 1, case .string(let value) = arguments[0] { return value }
        return sprint(arguments)
    }

    private static func number(_ value: TemplateValue) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .float(let number): return number
        default: return nil
        }
    }

    static func equal(_ a: TemplateValue, _ b: TemplateValue) throws(Failure) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.array, _), (.map, _), (_, .array), (_, .map):
            throw Failure(message: "non-comparable type \(a.goType)")
        default:
            throw Failure(message: "incompatible types for comparison")
        }
    }

    private static func compare(_ a: TemplateValue, _ b: TemplateValue) throws(Failure) -> Int {
        if let x = number(a), let y = number(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        if case .string(let x) = a, case .string(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        throw Failure(message: "invalid type for comparison")
    }

    /// Rebuilds `text`, replacing the scalars `replacement` names.
    static func escapeScalars(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) {
                out += replaced
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func escapeHTML(_ text: String) -> String {
        escapeScalars(text) { scalar in
            switch scalar {
            case "\"": return "&#34;"
            case "'": return "&#39;"
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "\0": return "\u{FFFD}"
            default: return nil
            }
        }
    }

    static func escapeJS(_ text: String) -> String {
        escapeScalars(text) { scalar in
            switch scalar {
            case "\\": return "\\\\"
            case "'": return "\\'"
            case "\"": return "\\\""
            case "<": return "\\u003C"
            case ">": return "\\u003E"
            case "&": return "\\u0026"
            case "=": return "\\u003D"
            default:
                guard scalar.value < 0x20 || scalar.value == 0x7F else { return nil }
                let hex = String(scalar.value, radix: 16, uppercase: true)
                return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
    }

    /// url.QueryEscape: unreserved bytes as they are, space as +, the rest %XX.
    static func escapeQuery(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
