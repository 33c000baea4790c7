import KilnCore

/// A structural check of Ignition JSON against the 3.0.0–3.6.0 schema:
/// the version is one Kiln knows, every key exists in that version, every
/// value has its type, required keys are present and data URLs decode.
/// Debian's ignition-validate stops at 3.3.0; this covers 3.4.0 to 3.6.0.
public enum IgnitionStructure {
    public static func check(_ bytes: [UInt8]) -> [String] {
        let document: JSONReader.Document
        do {
            document = try JSONReader.parse(bytes, positionDepth: 0)
        } catch {
            return ["not JSON: \(error)"]
        }
        guard case .object(let root) = document.value else { return ["the config must be a JSON object"] }
        guard case .string(let version)? = root["ignition"]?.objectValue?["version"] else { return ["ignition.version is missing"] }
        let parts = version.split(separator: ".")
        guard parts.count == 3, parts[0] == "3", parts[2] == "0", let minor = Int(parts[1]), (0...IgnitionSchema.newestMinor).contains(minor) else {
            return ["ignition.version \(version) is not one of 3.0.0 to 3.\(IgnitionSchema.newestMinor).0"]
        }
        var problems: [String] = []
        checkObject(document.value, IgnitionSchema.config, minor: minor, path: "", problems: &problems)
        return problems
    }

    private static func checkObject(_ value: JSONValue, _ schema: ObjectSchema, minor: Int, path: String, problems: inout [String]) {
        guard case .object(let object) = value else {
            problems.append("\(path.isEmpty ? "config" : path): expected an object, found \(value.kindName)")
            return
        }
        for (key, child) in object.sorted(by: { $0.key < $1.key }) {
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            guard let field = schema.field(json: key) else {
                problems.append("\(childPath): unknown key")
                continue
            }
            guard field.since <= minor else {
                problems.append("\(childPath): not part of spec 3.\(minor).0")
                continue
            }
            if case .null = child { continue }
            checkValue(child, field.kind, minor: minor, path: childPath, problems: &problems)
        }
        for field in schema.fields where field.required && !field.butaneOnly && field.since <= minor && object[field.json] == nil {
            problems.append("\(path.isEmpty ? field.json : "\(path).\(field.json)"): required")
        }
        if schema === IgnitionSchema.fileResource || schema === IgnitionSchema.configResource || schema === IgnitionSchema.keyFileResource,
           case .string(let source)? = object["source"], source.hasPrefix("data:") {
            let compression = object["compression"]?.stringValue
            if let compression, !compression.isEmpty, compression != "gzip" {
                problems.append("\(path).compression: \(compression) is not gzip")
            } else if DataURL.decode(source, compression: compression) == nil {
                problems.append("\(path).source: the data URL does not decode")
            }
        }
    }

    private static func checkValue(_ value: JSONValue, _ kind: FieldKind, minor: Int, path: String, problems: inout [String]) {
        switch kind {
        case .string:
            if case .string = value { return }
        case .bool:
            if case .bool = value { return }
        case .int:
            if case .number(let number) = value, number == number.rounded(), abs(number) < 1e15 { return }
        case .object(let schema):
            checkObject(value, schema, minor: minor, path: path, problems: &problems)
            return
        case .list(let element):
            if case .array(let values) = value {
                for (index, item) in values.enumerated() {
                    checkValue(item, element, minor: minor, path: "\(path).\(index)", problems: &problems)
                }
                return
            }
        }
        problems.append("\(path): expected \(kind.describe), found \(value.kindName)")
    }
}
