import Foundation

/// Text for pages. Mustache escapes what templates print; these are for
/// what the server draws itself (the timeline's SVG) and for shortening
/// what machines send, which can be any length.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// At most `limit` characters, with an ellipsis when cut; control
    /// characters shown as U+FFFD so a label cannot fake a line break.
    static func short(_ text: String, _ limit: Int) -> String {
        let visible = String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit + 1).map { scalar in
            scalar.properties.generalCategory == .control ? "\u{FFFD}" : scalar
        }))
        guard visible.unicodeScalars.count > limit else { return visible }
        return String(String.UnicodeScalarView(visible.unicodeScalars.prefix(limit))) + "…"
    }

    static func time(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// "12:04:31 UTC, 3 min ago"-style text for a tile.
    static func ago(_ date: Date, now: Date = Date()) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<60: return "\(seconds) s ago"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86400) d ago"
        }
    }

    static func seconds(_ value: Double) -> String {
        if value < 10 { return String(format: "%.2f s", value) }
        if value < 100 { return String(format: "%.1f s", value) }
        return String(format: "%.0f s", value)
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// A whole number with thousands separators, the same on every machine.
    static func count(_ value: Int) -> String {
        let digits = String(value)
        var grouped = ""
        for (index, digit) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return String(grouped.reversed())
    }
}
