/// Ignition's config merge, as Butane uses it to lay the user's config over
/// generated sugar: list entries with the same key are merged field by
/// field (the child's values win), new entries are appended, and scalars
/// are replaced.
enum Merge {
    static func merge(parent: IgnitionObject, child: IgnitionObject) -> IgnitionObject {
        var out = parent
        for (key, childValue) in child.values {
            guard let parentValue = parent.values[key] else {
                out.values[key] = childValue
                continue
            }
            switch (parentValue, childValue) {
            case (.object(let parentObject), .object(let childObject)):
                out.values[key] = .object(merge(parent: parentObject, child: childObject))
            case (.list(let parentList), .list(let childList)):
                out.values[key] = .list(mergeLists(parentList, childList))
            default:
                out.values[key] = childValue
            }
        }
        return out
    }

    private static func mergeLists(_ parent: [IgnitionValue], _ child: [IgnitionValue]) -> [IgnitionValue] {
        var result = parent
        for entry in child {
            guard let object = entry.object, let key = key(of: object),
                  let index = result.firstIndex(where: { $0.object.flatMap(Self.key(of:)) == key }),
                  let existing = result[index].object else {
                // Scalar lists (kernel args, SSH keys) keep every distinct value.
                if entry.object == nil, result.contains(entry) { continue }
                result.append(entry)
                continue
            }
            result[index] = .object(merge(parent: existing, child: object))
        }
        return result
    }

    /// The field(s) that identify an entry in its list, per Ignition.
    static func key(of object: IgnitionObject) -> String? {
        let schema = object.schema
        func text(_ field: String) -> String? { object[field]?.string }
        switch schema.name {
        case "disk", "filesystem": return text("device")
        case "partition":
            if case .int(let number) = object["number"], number != 0 { return "#\(number)" }
            return text("label").map { "label:\($0)" }
        case "file", "directory", "link": return text("path")
        case "luks", "raid", "unit", "dropin", "user", "group", "http header": return text("name")
        case "tang": return text("url")
        case "file contents", "config", "key file": return text("source")
        default: return nil
        }
    }
}
