import KilnIgnition

/// Ignition 2.x's value rules, each a function from a value to the reason
/// it is refused: the translator reports them at the CLC line that wrote
/// the value, the structural check at the JSON path.
enum Ignition2Rules {
    static let unitExtensions = [".service", ".socket", ".device", ".mount", ".automount", ".swap", ".target", ".path",
                                 ".timer", ".snapshot", ".slice", ".scope"]
    static let networkdExtensions = [".link", ".netdev", ".network"]
    static let formats = ["ext4", "btrfs", "xfs", "swap", "vfat"]
    static let labelLimits = ["ext4": 16, "btrfs": 256, "xfs": 12, "swap": 15, "vfat": 11]
    static let raidLevels = ["linear", "raid0", "0", "stripe", "raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10"]
    static let schemes = ["http", "https", "oem", "tftp", "s3", "data"]

    static func absolutePath(_ path: String) -> String? {
        path.hasPrefix("/") ? nil : "path not absolute: \"\(path)\""
    }

    static func mode(_ mode: Int) -> String? {
        (0...0o7777).contains(mode) ? nil : "illegal file mode \(mode) (0 to 07777; write modes in octal, e.g. 0644)"
    }

    static func unitName(_ name: String) -> String? {
        unitExtensions.contains(where: name.hasSuffix) ? nil : "invalid systemd unit extension: \"\(name)\" (one of \(unitExtensions.joined(separator: " ")))"
    }

    static func networkdName(_ name: String) -> String? {
        networkdExtensions.contains(where: name.hasSuffix) ? nil : "invalid networkd unit extension: \"\(name)\" (.link, .netdev or .network)"
    }

    static func dropinName(_ name: String) -> String? {
        name.hasSuffix(".conf") ? nil : "invalid drop-in extension: \"\(name)\" must end in .conf"
    }

    static func format(_ format: String) -> String? {
        formats.contains(format) ? nil : "invalid filesystem format \"\(format)\" (ext4, btrfs, xfs, swap or vfat)"
    }

    static func label(_ label: String, format: String) -> String? {
        guard let limit = labelLimits[format], label.utf8.count > limit else { return nil }
        return "filesystem labels cannot be longer than \(limit) characters when using \(format)"
    }

    static func raidLevel(_ level: String) -> String? {
        raidLevels.contains(level) ? nil : "unrecognized raid level \"\(level)\""
    }

    static func guid(_ text: String) -> String? {
        guard !text.isEmpty else { return nil }
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        let lengths = [8, 4, 4, 4, 12]
        let ok = groups.count == 5 && zip(groups, lengths).allSatisfy { group, length in
            group.count == length && group.allSatisfy(\.isHexDigit)
        }
        return ok ? nil : "\"\(text)\" doesn't match the form \"01234567-89AB-CDEF-EDCB-A98765432101\""
    }

    static func partitionLabel(_ label: String) -> String? {
        label.count > 36 ? "partition labels may not exceed 36 characters" : nil
    }

    /// A config or file source: a scheme Ignition 2.x fetches, and a data URL that decodes.
    static func url(_ source: String, compression: String? = nil) -> String? {
        guard !source.isEmpty else { return nil }
        guard let colon = source.firstIndex(of: ":") else { return "invalid url \"\(source)\": no scheme" }
        let scheme = source[..<colon].lowercased()
        guard schemes.contains(scheme) else { return "invalid url scheme \"\(scheme)\" in \"\(source)\" (\(schemes.joined(separator: ", ")))" }
        if scheme == "data", DataURL.decode(source, compression: compression == "gzip" ? "gzip" : nil) == nil {
            return "invalid url \"\(source.prefix(60))\": the data URL does not decode"
        }
        return nil
    }

    static func compression(_ value: String) -> String? {
        value.isEmpty || value == "gzip" ? nil : "invalid compression method \"\(value)\" (only gzip)"
    }

    static func hash(_ value: String) -> String? {
        guard let dash = value.firstIndex(of: "-") else { return "invalid hash \"\(value)\": expected function-sum" }
        let function = value[..<dash], sum = value[value.index(after: dash)...]
        switch function {
        case "sha512":
            return sum.count == 128 && sum.allSatisfy(\.isHexDigit) ? nil : "invalid hash: a sha512 sum is 128 hex digits"
        default:
            return "unrecognized hash function \"\(function)\" (Ignition 2.x knows sha512)"
        }
    }

    /// True when the text has a `[Install]` section, which `enable` needs.
    static func hasInstallSection(_ contents: String) -> Bool {
        var found = false
        forEachLine(contents) { line in
            found = line.elementsEqual("[Install]".utf8)
            return !found
        }
        return found
    }

    /// The one unit-file error systemd's parser reports that a config can
    /// carry: a section header that never closes.
    static func unitContents(_ contents: String) -> String? {
        var problem: String?
        forEachLine(contents) { line in
            guard line.first == UInt8(ascii: "["), line.last != UInt8(ascii: "]") else { return true }
            problem = "invalid unit content: unable to find end of section in \"\(String(decoding: line.prefix(40), as: UTF8.self))\""
            return false
        }
        return problem
    }

    /// Each line's bytes without surrounding blanks, until `body` says stop:
    /// a byte scan without allocations, since every unit of every machine's
    /// config passes through here.
    private static func forEachLine(_ text: String, _ body: (UnsafeBufferPointer<UInt8>.SubSequence) -> Bool) {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") }
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                var low = start, high = end
                while low < high, isBlank(bytes[low]) { low += 1 }
                while high > low, isBlank(bytes[high - 1]) { high -= 1 }
                if !body(bytes[low..<high]) { return }
                start = end + 1
            }
        }
    }
}
