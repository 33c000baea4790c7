/// systemd's path escaping for unit names (`systemd-escape --path`).
enum SystemdEscape {
    static func path(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard !trimmed.isEmpty else { return "-" }
        var out = ""
        for (index, byte) in trimmed.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "/"):
                out.append("-")
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "_"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: ".") where index > 0:
                out.append(".")
            default:
                out.append("\\x" + String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16))
            }
        }
        return out
    }
}

enum SlashPath {
    /// Joins and cleans like Go's path.Join.
    static func join(_ base: String, _ relative: String) -> String {
        var parts: [Substring] = []
        for component in (base + "/" + relative).split(separator: "/") {
            switch component {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
