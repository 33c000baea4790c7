import KilnCore
import KilnIgnition

/// A check of Ignition 2.2.0 / 2.3.0 JSON: every key in the spec, every
/// value of its type, and Ignition's value rules (absolute paths, modes,
/// unit names, filesystem formats, RAID levels, URL schemes, data URLs,
/// hashes). Debian's ignition-validate only reads 3.x, so this is what
/// checks the configs Kiln writes for Container Linux and Flatcar.
public enum Ignition2Structure {
    public static func check(_ bytes: [UInt8]) -> [String] {
        let document: JSONReader.Document
        do {
            document = try JSONReader.parse(bytes, positionDepth: 0)
        } catch {
            return ["not JSON: \(error)"]
        }
        guard case .object(let root) = document.value else { return ["the config must be a JSON object"] }
        guard case .string(let version)? = root["ignition"]?.objectValue?["version"] else { return ["ignition.version is missing"] }
        let schema: Ignition2Schema
        switch version {
        case "2.2.0": schema = .v2_2
        case "2.3.0": schema = .v2_3
        default: return ["ignition.version \(version) is not 2.2.0 or 2.3.0"]
        }
        var problems: [String] = []
        checkObject(document.value, schema.config, path: "", problems: &problems)
        return problems
    }

    private static func checkObject(_ value: JSONValue, _ schema: ObjectSchema, path: String, problems: inout [String]) {
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
            if case .null = child { continue }
            checkValue(child, field.kind, path: childPath, problems: &problems)
        }
        rules(object, schema.name, path: path, problems: &problems)
    }

    private static func checkValue(_ value: JSONValue, _ kind: FieldKind, path: String, problems: inout [String]) {
        switch kind {
        case .string:
            if case .string = value { return }
        case .bool:
            if case .bool = value { return }
        case .int:
            if case .number(let number) = value, number == number.rounded(), abs(number) < 1e15 { return }
        case .object(let schema):
            checkObject(value, schema, path: path, problems: &problems)
            return
        case .list(let element):
            if case .array(let values) = value {
                for (index, item) in values.enumerated() {
                    checkValue(item, element, path: "\(path).\(index)", problems: &problems)
                }
                return
            }
        }
        problems.append("\(path): expected \(kind.describe), found \(value.kindName)")
    }

    private static func rules(_ object: [String: JSONValue], _ name: String, path: String, problems: inout [String]) {
        func string(_ key: String) -> String? { object[key]?.stringValue }
        func add(_ key: String, _ problem: String?) {
            if let problem { problems.append("\(path.isEmpty ? key : "\(path).\(key)"): \(problem)") }
        }
        func required(_ key: String) {
            if (string(key) ?? "").isEmpty { add(key, "required") }
        }
        switch name {
        case "configReference":
            add("source", string("source").flatMap { Ignition2Rules.url($0) })
        case "verification":
            add("hash", string("hash").flatMap(Ignition2Rules.hash))
        case "contents":
            add("compression", string("compression").flatMap(Ignition2Rules.compression))
            add("source", string("source").flatMap { Ignition2Rules.url($0, compression: string("compression")) })
        case "file", "directory", "link":
            required("filesystem")
            required("path")
            add("path", string("path").flatMap { $0.isEmpty ? nil : Ignition2Rules.absolutePath($0) })
            if case .number(let mode)? = object["mode"], mode == mode.rounded(), abs(mode) < 1e15 { add("mode", Ignition2Rules.mode(Int(mode))) }
            if name == "link" { required("target") }
            if case .bool(true)? = object["append"], case .bool(true)? = object["overwrite"] {
                add("append", "cannot set both append and overwrite to true")
            }
        case "disk":
            required("device")
            add("device", string("device").flatMap { $0.isEmpty ? nil : Ignition2Rules.absolutePath($0) })
        case "partition":
            add("guid", string("guid").flatMap(Ignition2Rules.guid))
            add("typeGuid", string("typeGuid").flatMap(Ignition2Rules.guid))
            add("label", string("label").flatMap(Ignition2Rules.partitionLabel))
        case "raid":
            required("name")
            required("level")
            add("level", string("level").flatMap { $0.isEmpty ? nil : Ignition2Rules.raidLevel($0) })
        case "filesystem":
            switch (object["mount"], object["path"]) {
            case (nil, nil), (.null?, .null?), (nil, .null?), (.null?, nil): add("mount", "filesystem is missing mount or path")
            case (.object?, .string?): add("mount", "filesystem has both mount and path defined")
            default: break
            }
            add("path", string("path").flatMap(Ignition2Rules.absolutePath))
        case "mount":
            required("device")
            add("device", string("device").flatMap { $0.isEmpty ? nil : Ignition2Rules.absolutePath($0) })
            add("format", string("format").flatMap(Ignition2Rules.format))
            if let label = string("label"), let format = string("format") { add("label", Ignition2Rules.label(label, format: format)) }
        case "unit":
            add("name", Ignition2Rules.unitName(string("name") ?? ""))
            add("contents", string("contents").flatMap(Ignition2Rules.unitContents))
        case "networkdUnit":
            add("name", Ignition2Rules.networkdName(string("name") ?? ""))
        case "dropin":
            add("name", Ignition2Rules.dropinName(string("name") ?? ""))
        case "user", "group":
            required("name")
        default:
            break
        }
    }
}
