import KilnIgnition
import Yams

/// The shape of a Container Linux Config: each mapping's keys and their
/// value types, as ct's Go types declare them.
indirect enum CLCKind: Sendable {
    case string
    case int
    case bool
    case list(CLCKind)
    case object(CLCObjectSchema)

    var describe: String {
        switch self {
        case .string: "a string"
        case .int: "an integer"
        case .bool: "a boolean (true or false)"
        case .list: "a list"
        case .object: "a mapping"
        }
    }
}

final class CLCObjectSchema: Sendable {
    let name: String
    let fields: [String: CLCKind]

    init(_ name: String, _ fields: [String: CLCKind]) {
        self.name = name
        self.fields = fields
    }
}

/// A decoded value: every key known to the schema, every scalar of its
/// field's type.
indirect enum CLCValue: Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([CLCValue])
    case object(CLCObject)
}

struct CLCObject: Sendable {
    let place: SourcePlace
    var values: [String: CLCValue] = [:]
    var places: [String: SourcePlace] = [:]

    init(place: SourcePlace) {
        self.place = place
    }

    func place(of key: String) -> SourcePlace { places[key] ?? place.child(key) }

    func string(_ key: String) -> String? {
        if case .string(let value)? = values[key] { return value }
        return nil
    }

    func int(_ key: String) -> Int? {
        if case .int(let value)? = values[key] { return value }
        return nil
    }

    func bool(_ key: String) -> Bool? {
        if case .bool(let value)? = values[key] { return value }
        return nil
    }

    func object(_ key: String) -> CLCObject? {
        if case .object(let value)? = values[key] { return value }
        return nil
    }

    func objects(_ key: String) -> [CLCObject] {
        guard case .list(let items)? = values[key] else { return [] }
        return items.compactMap { if case .object(let object) = $0 { object } else { nil } }
    }

    func strings(_ key: String) -> [String] {
        guard case .list(let items)? = values[key] else { return [] }
        return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    func has(_ key: String) -> Bool { values[key] != nil }
}

/// YAML to schema-checked values, the way ct reads it with Go's yaml.v2:
/// YAML 1.1 scalars (`mode: 0644` is octal, `yes` is true for a boolean
/// field), any scalar's text for a string field, unknown keys warned.
struct CLCDecoder {
    var report: ButaneReport

    init(strict: Bool) {
        report = ButaneReport(strict: strict)
    }

    mutating func decodeObject(_ node: Node, _ schema: CLCObjectSchema, path: String) -> CLCObject? {
        let place = ButaneDecoder.place(node, path)
        guard case .mapping(let mapping) = node else {
            report.error(place, "expected a mapping, found \(ButaneDecoder.describe(node))")
            return nil
        }
        var object = CLCObject(place: place)
        for (keyNode, valueNode) in ButaneDecoder.mergingKeys(mapping) {
            guard case .scalar(let keyScalar) = keyNode else {
                report.error(ButaneDecoder.place(keyNode, path), "keys must be strings")
                continue
            }
            let key = keyScalar.string
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            guard let kind = schema.fields[key] else {
                report.warning(ButaneDecoder.place(keyNode, childPath), Self.unknownKeyMessage(key, in: schema))
                continue
            }
            if ButaneDecoder.isNull(valueNode) { continue }
            if let value = decode(valueNode, kind, path: childPath) {
                object.values[key] = value
                object.places[key] = ButaneDecoder.place(valueNode, childPath)
            }
        }
        return object
    }

    static func unknownKeyMessage(_ key: String, in schema: CLCObjectSchema) -> String {
        if schema.name == "config", key == "variant" || key == "version" {
            return "unknown key: a Container Linux Config has no \(key) (a Butane config needs both variant and version)"
        }
        return "unknown key (not part of a Container Linux Config)"
    }

    mutating func decode(_ node: Node, _ kind: CLCKind, path: String) -> CLCValue? {
        let place = ButaneDecoder.place(node, path)
        switch kind {
        case .object(let schema):
            return decodeObject(node, schema, path: path).map(CLCValue.object)
        case .list(let element):
            guard case .sequence(let sequence) = node else {
                report.error(place, "expected a list, found \(ButaneDecoder.describe(node))")
                return nil
            }
            var values: [CLCValue] = []
            for (index, item) in sequence.enumerated() {
                if ButaneDecoder.isNull(item), case .object = element {
                    report.error(ButaneDecoder.place(item, "\(path).\(index)"), "empty list entry")
                    continue
                }
                if let value = decode(item, element, path: "\(path).\(index)") { values.append(value) }
            }
            return .list(values)
        case .string, .int, .bool:
            guard case .scalar(let scalar) = node else {
                report.error(place, "expected \(kind.describe), found \(ButaneDecoder.describe(node))")
                return nil
            }
            switch kind {
            case .string:
                return .string(scalar.string)
            case .int:
                guard scalar.style == .plain, let value = ButaneDecoder.integer(scalar.string) else {
                    report.error(place, "expected \(kind.describe), found \"\(scalar.string)\"")
                    return nil
                }
                return .int(value)
            default:
                guard scalar.style == .plain, let value = Self.boolean(scalar.string) else {
                    report.error(place, "expected \(kind.describe), found \"\(scalar.string)\"")
                    return nil
                }
                return .bool(value)
            }
        }
    }

    /// YAML 1.1's booleans, which yaml.v2 (ct's parser) resolves.
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on", "y": true
        case "false", "no", "off", "n": false
        default: nil
        }
    }
}
