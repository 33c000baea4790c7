import Yams

/// Where a value sat in the Butane document.
package struct SourcePlace: Sendable {
    package var line: Int?
    package var column: Int?
    package var path: String

    package init(line: Int?, column: Int?, path: String) {
        self.line = line
        self.column = column
        self.path = path
    }

    package func child(_ component: String) -> SourcePlace {
        SourcePlace(line: line, column: column, path: path.isEmpty ? component : "\(path).\(component)")
    }
}

/// A Butane value, checked against the schema: every key known to the
/// spec, every scalar of its field's type.
indirect enum ButaneValue: Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case object(ButaneObject)
    case list([ButaneValue])

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var int: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var object: ButaneObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    var list: [ButaneValue] {
        if case .list(let values) = self { return values }
        return []
    }
}

struct ButaneObject: Sendable {
    let schema: ObjectSchema
    let place: SourcePlace
    /// Keyed by YAML name.
    var values: [String: ButaneValue]
    var places: [String: SourcePlace]

    subscript(_ yaml: String) -> ButaneValue? { values[yaml] }

    func place(of yaml: String) -> SourcePlace {
        places[yaml] ?? place.child(yaml)
    }
}

/// YAML text to schema-checked values. Scalars are resolved the way Go's
/// yaml.v3 resolves them for typed fields (which is what Butane uses), so
/// `mode: 0644` is octal and `name: 123` is the string "123".
package struct ButaneDecoder {
    let spec: ButaneSpec
    var report: ButaneReport
    /// Set when decoding a shape (see IgnitionShape): the only fields whose
    /// scalars may hold placeholders.
    var holeFields: Set<String>?

    init(spec: ButaneSpec, strict: Bool) {
        self.spec = spec
        self.report = ButaneReport(strict: strict)
    }

    package static func parse(_ text: String) throws(ButaneFailure) -> Node? {
        do {
            // The basic resolver: Kiln resolves scalars itself against the
            // schema, and Yams' default one runs seven NSRegularExpressions
            // per scalar (most of a translation's time).
            // UTF-8 named explicitly: Yams' default copies the whole process
            // environment on every parse to decide.
            return try Yams.compose(yaml: text, .basic, .default, .utf8)
        } catch let error as YamlError {
            throw ButaneFailure(diagnostics: [Self.diagnostic(for: error)])
        } catch {
            throw ButaneFailure(diagnostics: [ButaneDiagnostic(.error, path: "", "YAML: \(error)")])
        }
    }

    /// A YAML parser error as a diagnostic with its line and column (Butane and cloud-configs).
    package static func diagnostic(for error: YamlError) -> ButaneDiagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            let what = context.map { "\(problem) \($0.text)" } ?? problem
            return ButaneDiagnostic(.error, line: mark.line, column: mark.column, path: "", "YAML: \(what)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ButaneDiagnostic(.error, line: context.mark.line, column: context.mark.column, path: "", "YAML: duplicate key \(duplicates.joined(separator: ", "))")
        case .reader(let problem, _, _, _):
            return ButaneDiagnostic(.error, path: "", "YAML: \(problem)")
        default:
            return ButaneDiagnostic(.error, path: "", "YAML: \(error)")
        }
    }

    package static func place(_ node: Node, _ path: String) -> SourcePlace {
        SourcePlace(line: node.mark?.line, column: node.mark?.column, path: path)
    }

    mutating func decodeObject(_ node: Node, _ schema: ObjectSchema, path: String) -> ButaneObject? {
        let place = Self.place(node, path)
        guard case .mapping(let mapping) = node else {
            report.error(place, "expected a mapping, found \(Self.describe(node))")
            return nil
        }
        var object = ButaneObject(schema: schema, place: place, values: [:], places: [:])
        for (keyNode, valueNode) in Self.mergingKeys(mapping) {
            guard case .scalar(let keyScalar) = keyNode else {
                report.error(Self.place(keyNode, path), "keys must be strings")
                continue
            }
            let key = keyScalar.string
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            let keyPlace = Self.place(keyNode, childPath)
            guard let field = schema.field(yaml: key), !key.isEmpty else {
                report.warning(keyPlace, "unknown key (not part of \(spec.name))")
                continue
            }
            if let reason = spec.forbids(field, in: schema) {
                report.error(keyPlace, reason)
                continue
            }
            guard spec.allows(field, in: schema) else {
                let why = field.since > spec.ignitionMinor || spec.variant == .fcos ? "a later version has it" : "\(spec.variant.rawValue) does not support it"
                report.warning(keyPlace, "unknown key: not part of \(spec.name); \(why)")
                continue
            }
            if Self.isNull(valueNode) { continue }
            if let value = decode(valueNode, field.kind, path: childPath) {
                object.values[key] = value
                object.places[key] = Self.place(valueNode, childPath)
            }
        }
        return object
    }

    mutating func decode(_ node: Node, _ kind: FieldKind, path: String) -> ButaneValue? {
        let place = Self.place(node, path)
        switch kind {
        case .object(let schema):
            return decodeObject(node, schema, path: path).map(ButaneValue.object)
        case .list(let element):
            guard case .sequence(let sequence) = node else {
                report.error(place, "expected a list, found \(Self.describe(node))")
                return nil
            }
            var values: [ButaneValue] = []
            for (index, item) in sequence.enumerated() {
                if Self.isNull(item), case .object = element {
                    report.error(Self.place(item, "\(path).\(index)"), "empty list entry")
                    continue
                }
                if let value = decode(item, element, path: "\(path).\(index)") { values.append(value) }
            }
            return .list(values)
        case .string, .int, .bool:
            guard case .scalar(let scalar) = node else {
                report.error(place, "expected \(kind.describe), found \(Self.describe(node))")
                return nil
            }
            switch kind {
            case .string:
                if let holeFields, Marker.contains(scalar.string.utf8), !holeFields.contains(Self.fieldName(path)) {
                    report.error(place, "a placeholder in a field Kiln reads")
                }
                return .string(scalar.string)
            case .int:
                guard scalar.style == .plain, let value = Self.integer(scalar.string) else {
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

    /// The field a path ends in, past list indices.
    static func fieldName(_ path: String) -> String {
        let components = path.split(separator: ".")
        return String(components.last { !$0.allSatisfy(\.isNumber) } ?? "")
    }

    /// YAML merge keys (`<<: *anchor`), which yaml.v3 honours: the merged
    /// mappings' pairs first, each overridden by the mapping's own keys.
    package static func mergingKeys(_ mapping: Node.Mapping) -> [(Node, Node)] {
        var own: [(Node, Node)] = []
        var merged: [(Node, Node)] = []
        for (key, value) in mapping {
            if case .scalar(let scalar) = key, scalar.style == .plain, scalar.string == "<<" {
                let sources: [Node]
                if case .sequence(let sequence) = value { sources = Array(sequence) } else { sources = [value] }
                for case .mapping(let inner) in sources {
                    merged += mergingKeys(inner)
                }
            } else {
                own.append((key, value))
            }
        }
        guard !merged.isEmpty else { return own }
        let ownKeys = Set(own.compactMap { key, _ -> String? in
            if case .scalar(let scalar) = key { return scalar.string }
            return nil
        })
        var seen: Set<String> = []
        let inherited = merged.filter { key, _ in
            guard case .scalar(let scalar) = key else { return false }
            return !ownKeys.contains(scalar.string) && seen.insert(scalar.string).inserted
        }
        return inherited + own
    }

    package static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    package static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "\"\(scalar.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// Go's strconv.ParseInt with base 0 after yaml.v3's underscore removal:
    /// `0x1F`, `0o755`, `0755` (octal, as Butane users write modes), `0b101`.
    package static func integer(_ text: String) -> Int? {
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        var negative = false
        if digits.first == "+" || digits.first == "-" {
            negative = digits.first == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var radix = 10
        let lower = digits.lowercased()
        if lower.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if lower.hasPrefix("0o") {
            radix = 8
            digits = digits.dropFirst(2)
        } else if lower.hasPrefix("0b") {
            radix = 2
            digits = digits.dropFirst(2)
        } else if digits.count > 1, digits.first == "0" {
            radix = 8
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, let magnitude = Int(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    package static func boolean(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }
}
