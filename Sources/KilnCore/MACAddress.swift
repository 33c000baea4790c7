/// A hardware address, accepted in the forms firmware and operators write:
/// `52:54:00:12:34:56`, `52-54-00-12-34-56` (iPXE's `${mac:hexhyp}`),
/// `525400123456`, `5254.0012.3456`, in any case. 6-byte (Ethernet) and
/// 8-byte (EUI-64) addresses are accepted, 20-byte (InfiniBand) as well.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard let bytes = Self.parse(utf8), [6, 8, 20].contains(bytes.count) else { return nil }
        self.bytes = bytes
    }

    /// The address as a packet carries it (DHCP's `chaddr`).
    public init?(bytes: [UInt8]) {
        guard [6, 8, 20].contains(bytes.count) else { return nil }
        self.bytes = bytes
    }

    /// Lowercase, colon-separated: the form matchbox (Go's net.HardwareAddr)
    /// prints, and so the form labels and selectors are compared in.
    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for (i, byte) in bytes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }


    private static func parseHex(_ digits: ArraySlice<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            guard let high = hexDigitValue(digits[i]), let low = hexDigitValue(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func parse(_ text: [UInt8]) -> [UInt8]? {
        let colon = UInt8(ascii: ":"), hyphen = UInt8(ascii: "-"), dot = UInt8(ascii: ".")
        if text.contains(colon) || text.contains(hyphen) {
            // Two hex digits per group, one separator kind throughout.
            let separator = text.contains(colon) ? colon : hyphen
            if separator == colon && text.contains(hyphen) { return nil }
            let groups = text.split(separator: separator, omittingEmptySubsequences: false)
            var out: [UInt8] = []
            for group in groups {
                guard group.count == 2, let byte = parseHex(group) else { return nil }
                out.append(contentsOf: byte)
            }
            return out
        }
        if text.contains(dot) {
            // Cisco style: groups of four hex digits.
            let groups = text.split(separator: dot, omittingEmptySubsequences: false)
            var out: [UInt8] = []
            for group in groups {
                guard group.count == 4, let bytes = parseHex(group) else { return nil }
                out.append(contentsOf: bytes)
            }
            return out
        }
        return parseHex(text[...])
    }
}
