/// The boot scripts matchbox serves, byte for byte, so that machines and
/// tooling written against matchbox see no difference.
public enum BootScripts {
    /// `/boot.ipxe`: makes iPXE report what it knows about the machine and
    /// chain to `/ipxe` with it.
    public static let ipxeBootstrap = "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n"

    /// `/ipxe`: kernel line with its arguments, one `initrd` line per initrd.
    public static func ipxe(_ boot: BootConfig) -> String {
        var script = "#!ipxe\nkernel " + boot.kernel
        for arg in boot.args { script += " " + arg }
        script += "\n"
        for initrd in boot.initrd { script += "initrd " + initrd + "\n" }
        script += "boot\n"
        return script
    }

    /// `/grub`: an EFI entry (`linuxefi`/`initrdefi`) and a BIOS entry.
    public static func grub(_ boot: BootConfig) -> String {
        var args = ""
        for arg in boot.args { args += " " + arg }
        var initrds = ""
        for initrd in boot.initrd { initrds += " \"" + initrd + "\"" }
        return """
            default=0
            fallback=1
            timeout=1
            menuentry "CoreOS (EFI)" {
            echo "Loading kernel"
            linuxefi "\(boot.kernel)"\(args)
            echo "Loading initrd"
            initrdefi \(initrds)
            }
            menuentry "CoreOS (BIOS)" {
            echo "Loading kernel"
            linux "\(boot.kernel)"\(args)
            echo "Loading initrd"
            initrd \(initrds)
            }

            """
    }
}

/// The variables a machine's configs are rendered with, as matchbox collects
/// them: the group's metadata, then its selectors (keys lowercased) on top,
/// then `request.query` (the labels) and `request.raw_query`.
public enum MachineVariables {
    public static func collect(group: Group, labels: Labels) -> [String: JSONValue] {
        var data = group.metadata
        for (key, value) in group.selector {
            data[key.lowercased()] = .string(value)
        }
        data["request"] = .object([
            "query": .object(labels.values.mapValues { .string($0) }),
            "raw_query": .string(labels.rawQuery),
        ])
        return data
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
