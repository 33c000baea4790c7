import KilnCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Go's fmt.Sprintf for the verbs templates use: %v %s %d %q %t %f %e %g
/// %x %X %o %b %c %%, with flags `-`, `+`, `0`, width and precision, and
/// Go's `%!verb(type=value)`, `%!verb(MISSING)` and `%!(EXTRA …)` forms.
enum GoFormat {
    static func printf(_ format: String, _ arguments: [TemplateValue]) -> String {
        var out = ""
        var next = 0
        var characters = Array(format)[...]
        while let character = characters.popFirst() {
            guard character == "%" else {
                out.append(character)
                continue
            }
            var leftAlign = false, plus = false, zero = false
            while let flag = characters.first, "-+0 #".contains(flag) {
                if flag == "-" { leftAlign = true }
                if flag == "+" { plus = true }
                if flag == "0" { zero = true }
                characters.removeFirst()
            }
            var width: Int?
            while let digit = characters.first, let value = digit.wholeNumberValue {
                width = (width ?? 0) * 10 + value
                characters.removeFirst()
            }
            var precision: Int?
            if characters.first == "." {
                characters.removeFirst()
                precision = 0
                while let digit = characters.first, let value = digit.wholeNumberValue {
                    precision = precision! * 10 + value
                    characters.removeFirst()
                }
            }
            guard let verb = characters.popFirst() else {
                out += "%!(NOVERB)"
                break
            }
            if verb == "%" {
                out += "%"
                continue
            }
            guard next < arguments.count else {
                out += "%!\(verb)(MISSING)"
                continue
            }
            let argument = arguments[next]
            next += 1
            let formatted = render(argument, verb: verb, plus: plus, precision: precision)
            let isNumeric = "dfegxXob".contains(verb)
            out += pad(formatted, width: width, leftAlign: leftAlign, zero: zero && isNumeric)
        }
        if next < arguments.count {
            out += "%!(EXTRA " + arguments[next...].map { "\($0.goType)=\($0.printed)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    private static func pad(_ text: String, width: Int?, leftAlign: Bool, zero: Bool) -> String {
        guard let width, text.count < width else { return text }
        let fill = String(repeating: zero && !leftAlign ? "0" : " ", count: width - text.count)
        if leftAlign { return text + fill }
        if zero, text.hasPrefix("-") || text.hasPrefix("+") { return String(text.first!) + fill + text.dropFirst() }
        return fill + text
    }

    private static func bad(_ verb: Character, _ value: TemplateValue) -> String {
        if case .null = value { return "%!\(verb)(<nil>)" }
        return "%!\(verb)(\(value.goType)=\(value.printed))"
    }

    private static func render(_ value: TemplateValue, verb: Character, plus: Bool, precision: Int?) -> String {
        switch (verb, value) {
        case ("v", _):
            if case .null = value { return "<nil>" }
            return value.printed
        case ("s", .string(let text)):
            return precision.map { String(text.prefix($0)) } ?? text
        case ("q", .string(let text)):
            return quote(text)
        case ("q", .int(let code)):
            return Unicode.Scalar(UInt32(clamping: code)).map { "'\(Character($0))'" } ?? bad(verb, value)
        case ("t", .bool(let flag)):
            return flag ? "true" : "false"
        case ("d", .int(let number)):
            return (plus && number >= 0 ? "+" : "") + String(number)
        case ("x", .int(let number)), ("X", .int(let number)), ("o", .int(let number)), ("b", .int(let number)):
            let radix = verb == "o" ? 8 : (verb == "b" ? 2 : 16)
            let digits = String(number.magnitude, radix: radix, uppercase: verb == "X")
            return (number < 0 ? "-" : "") + digits
        case ("x", .string(let text)), ("X", .string(let text)):
            return text.utf8.map { byte in
                let hex = String(byte, radix: 16, uppercase: verb == "X")
                return hex.count == 1 ? "0" + hex : hex
            }.joined()
        case ("c", .int(let code)):
            return Unicode.Scalar(UInt32(clamping: code)).map { String(Character($0)) } ?? bad(verb, value)
        case ("f", .float(let number)), ("e", .float(let number)), ("g", .float(let number)):
            return cFormat(number, verb: verb, plus: plus, precision: precision)
        default:
            return bad(verb, value)
        }
    }

    private static func cFormat(_ number: Double, verb: Character, plus: Bool, precision: Int?) -> String {
        if verb == "g" && precision == nil { return (plus && number >= 0 ? "+" : "") + JSONValue.goFormat(number) }
        let spec = "%" + (plus ? "+" : "") + "." + String(precision ?? 6) + String(verb)
        var buffer = [CChar](repeating: 0, count: 512)
        _ = withVaList([number]) { vsnprintf(&buffer, buffer.count, spec, $0) }
        // Go writes exponents with at least two digits, as C does.
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// strconv.Quote: double quotes, Go escapes for control characters.
    static func quote(_ text: String) -> String {
        let body = Builtins.escapeScalars(text) { scalar in
            switch scalar {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\t": return "\\t"
            case "\r": return "\\r"
            case "\u{07}": return "\\a"
            case "\u{08}": return "\\b"
            case "\u{0C}": return "\\f"
            case "\u{0B}": return "\\v"
            default:
                guard scalar.value < 0x20 || scalar.value == 0x7F else { return nil }
                let hex = String(scalar.value, radix: 16)
                return "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return "\"" + body + "\""
    }
}
