import KilnCore
import KilnTemplate

/// The variables a machine's configs are rendered with, as matchbox collects
/// them: the group's metadata, then its selectors (keys lowercased) on top,
/// then `request.query` (the labels) and `request.raw_query`. The one place
/// that rule is written: templates, `/metadata` and config drives all use it.
public enum MachineVariables {
    /// The group's part: the same for every machine of the group, so a
    /// compiled catalog converts it once per load.
    public static func group(_ group: Group) -> [String: JSONValue] {
        var data = group.metadata
        for (key, value) in group.selector {
            data[key.lowercased()] = .string(value)
        }
        return data
    }

    /// The request's part, under the key `request`.
    public static func request(_ labels: Labels) -> JSONValue {
        .object([
            "query": .object(labels.values.mapValues { .string($0) }),
            "raw_query": .string(labels.rawQuery),
        ])
    }

    public static func collect(group: Group, labels: Labels) -> [String: JSONValue] {
        var data = Self.group(group)
        data["request"] = request(labels)
        return data
    }

    /// `request` as a template value, built straight from the labels: this
    /// runs on every templated request.
    static func templateRequest(_ labels: Labels) -> TemplateValue {
        .map([
            "query": .map(labels.values.mapValues { .string($0) }),
            "raw_query": .string(labels.rawQuery),
        ])
    }

    /// `/metadata`: `KEY=value` lines, nested keys joined with `_` and
    /// upper-cased; strings, numbers and booleans only (arrays and nulls are
    /// left out, as in matchbox). Sorted by key, where matchbox's order is
    /// random.
    public static func environmentFile(_ data: [String: JSONValue]) -> String {
        var lines: [(String, String)] = []
        func walk(_ object: [String: JSONValue], prefix: String) {
            for (key, value) in object {
                let name = prefix + key
                switch value {
                case .string(let string): lines.append((name.uppercased(), string))
                case .bool(let bool): lines.append((name.uppercased(), bool ? "true" : "false"))
                case .number(let number): lines.append((name.uppercased(), JSONValue.goFormat(number)))
                case .object(let nested): walk(nested, prefix: name + "_")
                case .array, .null: break
                }
            }
        }
        walk(data, prefix: "")
        lines.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var out = ""
        for (key, value) in lines { out += key + "=" + value + "\n" }
        return out
    }
}
