/// The checks Ignition makes when it reads a config, run on the translated
/// result so a mistake is reported at translation time with its Butane
/// line, not at first boot on a machine's console.
struct IgnitionChecks {
    let minor: Int
    let source: ButaneObject
    var report: ButaneReport

    init(minor: Int, source: ButaneObject, report: ButaneReport) {
        self.minor = minor
        self.source = source
        self.report = report
    }

    static let unitSuffixes = [".service", ".socket", ".device", ".mount", ".automount", ".swap", ".target", ".path", ".timer", ".snapshot", ".slice", ".scope"]

    mutating func check(_ config: IgnitionObject) {
        let storage = config["storage"]?.object
        var nodePaths: [String: [String]] = [:]
        for kind in ["files", "directories", "links"] {
            for (index, entry) in (storage?[kind]?.list ?? []).enumerated() {
                guard let node = entry.object else { continue }
                let at = ["storage", kind, String(index)]
                let path = node["path"]?.string ?? ""
                if !path.hasPrefix("/") { error(at + ["path"], "path \"\(path)\" must be absolute") }
                if let previous = nodePaths[path] {
                    error(at + ["path"], "duplicate path \(path) (also at \(previous.joined(separator: ".")))")
                } else {
                    nodePaths[path] = at
                }
                if case .int(let mode) = node["mode"] {
                    if mode < 0 || mode > 0o7777 {
                        error(at + ["mode"], "mode \(mode) is not a permission mode")
                    } else if mode > 0o777 && minor < 6 {
                        if Self.looksDecimal(mode) {
                            warn(at + ["mode"], "mode \(mode) is decimal; write it in octal as 0\(mode)")
                        } else {
                            warn(at + ["mode"], "setuid/setgid/sticky bits may be ignored: Ignition specs before 3.6.0 do not promise them")
                        }
                    }
                }
                if kind == "files", node["overwrite"] == .bool(true), node["contents"]?.object?["source"] == nil {
                    error(at + ["overwrite"], "overwrite needs contents: without them the file would be emptied")
                }
                if kind != "links", minor < 6, let mode = node["mode"]?.int, mode & 0o7000 != 0 {
                    warn(at + ["mode"], "setuid, setgid and sticky bits (mode \(String(mode, radix: 8))) are ignored by Ignition before spec 3.6.0 (fcos 1.7.0)")
                }
                if kind == "links", node["target"] == nil {
                    error(at, "link \(path) needs a target")
                }
            }
        }
        checkUnique(storage?["disks"]?.list, ["storage", "disks"], "device")
        checkUnique(storage?["filesystems"]?.list, ["storage", "filesystems"], "device")
        checkUnique(storage?["raid"]?.list, ["storage", "raid"], "name")
        checkUnique(storage?["luks"]?.list, ["storage", "luks"], "name")
        // The config's own filesystems, as written: boot_device puts its
        // generated ones first in the translation, so an index there is not
        // the same filesystem as the index in the source.
        for (index, entry) in (locate(["storage", "filesystems"]).value?.list ?? []).enumerated() {
            guard let filesystem = entry.object else { continue }
            let at = ["storage", "filesystems", String(index)]
            if let path = filesystem["path"]?.string, !path.hasPrefix("/") { error(at + ["path"], "path \"\(path)\" must be absolute") }
            if filesystem["with_mount_unit"]?.bool == true {
                let format = filesystem["format"]?.string
                if format == nil { error(at + ["format"], "with_mount_unit needs a format") }
                if format != "swap", filesystem["path"] == nil { error(at + ["path"], "with_mount_unit needs a path") }
            }
        }
        let units = config["systemd"]?.object?["units"]?.list ?? []
        checkUnique(units, ["systemd", "units"], "name")
        for (index, entry) in units.enumerated() {
            guard let unit = entry.object else { continue }
            let at = ["systemd", "units", String(index)]
            let name = unit["name"]?.string ?? ""
            if !Self.unitSuffixes.contains(where: { name.hasSuffix($0) && name.count > $0.count }) {
                error(at + ["name"], "unit name \"\(name)\" needs a unit type suffix such as .service")
            }
            for (dropinIndex, dropinEntry) in (unit["dropins"]?.list ?? []).enumerated() {
                let dropinName = dropinEntry.object?["name"]?.string ?? ""
                if !dropinName.hasSuffix(".conf") || dropinName == ".conf" {
                    error(at + ["dropins", String(dropinIndex), "name"], "drop-in name \"\(dropinName)\" must end in .conf")
                }
            }
        }
        let passwd = config["passwd"]?.object
        checkUnique(passwd?["users"]?.list, ["passwd", "users"], "name")
        checkUnique(passwd?["groups"]?.list, ["passwd", "groups"], "name")
        for (kind, list) in [("users", passwd?["users"]?.list), ("groups", passwd?["groups"]?.list)] {
            for (index, entry) in (list ?? []).enumerated() where (entry.object?["name"]?.string ?? "").isEmpty {
                error(["passwd", kind, String(index), "name"], "name is required")
            }
        }
    }

    /// 644, 755, 600…: digits that only make sense as octal.
    static func looksDecimal(_ mode: Int) -> Bool {
        let digits = String(mode)
        return digits.count == 3 && digits.allSatisfy { ("0"..."7").contains($0) }
    }

    private mutating func checkUnique(_ list: [IgnitionValue]?, _ at: [String], _ key: String) {
        var seen: Set<String> = []
        for (index, entry) in (list ?? []).enumerated() {
            guard let value = entry.object?[key]?.string else { continue }
            if !seen.insert(value).inserted {
                error(at + [String(index), key], "duplicate \(key) \(value)")
            }
        }
    }

    private mutating func error(_ jsonPath: [String], _ message: String) {
        report.error(place(jsonPath), message)
    }

    private mutating func warn(_ jsonPath: [String], _ message: String) {
        report.warning(place(jsonPath), message)
    }

    private func place(_ jsonPath: [String]) -> SourcePlace {
        locate(jsonPath).place
    }

    /// The Butane value a JSON path came from (nil for what sugar made), and
    /// its line, or the line of its nearest ancestor that has one.
    private func locate(_ jsonPath: [String]) -> (value: ButaneValue?, place: SourcePlace) {
        var best = source.place
        var current: ButaneValue? = .object(source)
        var yamlPath: [String] = []
        for component in jsonPath {
            var yaml = component
            switch current {
            case .object(let object)?:
                yaml = object.schema.field(json: component)?.yaml ?? component
                if let next = object[yaml] {
                    best = object.place(of: yaml)
                    current = next
                } else {
                    current = nil
                }
            case .list(let values)?:
                if let index = Int(component), values.indices.contains(index) {
                    current = values[index]
                    if case .object(let object) = values[index] { best = object.place }
                } else {
                    current = nil
                }
            default:
                current = nil
            }
            yamlPath.append(yaml)
        }
        return (current, SourcePlace(line: best.line, column: best.column, path: yamlPath.joined(separator: ".")))
    }
}
