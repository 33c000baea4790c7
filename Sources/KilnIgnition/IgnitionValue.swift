/// An Ignition config being built: objects know their schema, so they are
/// written in Ignition's field order and empty values are left out the way
/// Go's `omitempty` leaves them out.
package indirect enum IgnitionValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case object(IgnitionObject)
    case list([IgnitionValue])

    package var object: IgnitionObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    package var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    package var int: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    package var list: [IgnitionValue] {
        if case .list(let values) = self { return values }
        return []
    }
}

package struct IgnitionObject: Sendable, Equatable {
    package let schema: ObjectSchema
    /// Keyed by JSON name.
    package var values: [String: IgnitionValue] = [:]

    package init(_ schema: ObjectSchema, _ values: [String: IgnitionValue] = [:]) {
        self.schema = schema
        self.values = values
    }

    package subscript(_ json: String) -> IgnitionValue? {
        get { values[json] }
        set { values[json] = newValue }
    }

    package static func == (lhs: IgnitionObject, rhs: IgnitionObject) -> Bool {
        lhs.schema === rhs.schema && lhs.values == rhs.values
    }

    /// Go's omitempty: an object whose fields are all omitted counts as
    /// empty too, the way Ignition's own marshalling drops `"config": {}`.
    package var isEmpty: Bool {
        schema.fields.allSatisfy { field in
            guard !field.butaneOnly, let value = values[field.json] else { return true }
            return !field.required && IgnitionValue.omitted(value)
        }
    }
}

extension IgnitionValue {
    package static func omitted(_ value: IgnitionValue) -> Bool {
        switch value {
        case .list(let values): values.isEmpty
        case .object(let object): object.isEmpty
        default: false
        }
    }
}

/// Writes JSON exactly as Go's encoding/json does for Ignition's types:
/// `<`, `>`, `&`, U+2028 and U+2029 escaped, compact or indented by two.
package enum IgnitionJSONWriter {
    package static func write(_ object: IgnitionObject, pretty: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        writeObject(object, pretty: pretty, depth: 0, into: &out)
        return out
    }

    private static func newline(_ pretty: Bool, _ depth: Int, into out: inout [UInt8]) {
        guard pretty else { return }
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<depth { out.append(UInt8(ascii: " ")); out.append(UInt8(ascii: " ")) }
    }

    private static func writeObject(_ object: IgnitionObject, pretty: Bool, depth: Int, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for field in object.schema.fields where !field.butaneOnly {
            let value: IgnitionValue
            if let present = object.values[field.json] {
                if !field.required, IgnitionValue.omitted(present) { continue }
                if field.omitsZero, present == .int(0) || present == .string("") { continue }
                value = present
            } else if field.required {
                value = Self.zero(field.kind)
            } else {
                continue
            }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            newline(pretty, depth + 1, into: &out)
            writeString(field.json, into: &out)
            out.append(UInt8(ascii: ":"))
            if pretty { out.append(UInt8(ascii: " ")) }
            writeValue(value, pretty: pretty, depth: depth + 1, into: &out)
        }
        if !first { newline(pretty, depth, into: &out) }
        out.append(UInt8(ascii: "}"))
    }

    private static func zero(_ kind: FieldKind) -> IgnitionValue {
        switch kind {
        case .string: .string("")
        case .int: .int(0)
        case .bool: .bool(false)
        case .object(let schema): .object(IgnitionObject(schema))
        case .list: .list([])
        }
    }

    private static func writeValue(_ value: IgnitionValue, pretty: Bool, depth: Int, into out: inout [UInt8]) {
        switch value {
        case .string(let text):
            writeString(text, into: &out)
        case .int(let number):
            out.append(contentsOf: Array(String(number).utf8))
        case .bool(let flag):
            out.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case .object(let object):
            writeObject(object, pretty: pretty, depth: depth, into: &out)
        case .list(let values):
            if values.isEmpty {
                out.append(contentsOf: Array("null".utf8))
                return
            }
            out.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(pretty, depth + 1, into: &out)
                writeValue(element, pretty: pretty, depth: depth + 1, into: &out)
            }
            newline(pretty, depth, into: &out)
            out.append(UInt8(ascii: "]"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        writeStringBody(text, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// A string's escaped characters without the quotes around them.
    static func writeStringBody(_ text: String, into out: inout [UInt8]) {
        if text.utf8.withContiguousStorageIfAvailable({ writeStringBody($0, into: &out) }) == nil {
            Array(text.utf8).withUnsafeBufferPointer { writeStringBody($0, into: &out) }
        }
    }

    private static func writeStringBody(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var index = 0
        while index < bytes.count {
            // Runs that need no escaping are copied in one go.
            var end = index
            while end < bytes.count, !needsEscape(bytes[end]) { end += 1 }
            if end > index {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
                index = end
                if index == bytes.count { break }
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""): out.append(0x5C); out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C); out.append(0x5C)
            case UInt8(ascii: "\n"): out.append(0x5C); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(0x5C); out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): out.append(0x5C); out.append(UInt8(ascii: "t"))
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                unicodeEscape(UInt32(byte), into: &out)
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                unicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, into: &out)
                index += 2
            default:
                if byte < 0x20 {
                    unicodeEscape(UInt32(byte), into: &out)
                } else {
                    out.append(byte)
                }
            }
            index += 1
        }
    }

    /// Bytes that may need escaping: quotes, backslash, control characters,
    /// HTML's `<>&`, and 0xE2 (which starts U+2028 and U+2029). Compared
    /// inline: a static table costs a lazy-initialisation check per call.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x3C || byte == 0x3E || byte == 0x26 || byte == 0xE2
    }

    private static func unicodeEscape(_ value: UInt32, into out: inout [UInt8]) {
        out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hex[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
