/// Why a datagram was not read as a DHCP message. Each is a reason to stay
/// silent, logged at debug: a stray or hostile packet must not fill the log.
public enum DHCPDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case tooLong(Int)
    case badOp(UInt8)
    case notEthernet(type: UInt8, length: UInt8)
    case noMagicCookie
    /// An option's stated length runs past the end of its area.
    case optionOverrun(code: UInt8, area: String)
    case missingEnd(area: String)
    case badOverload

    public var description: String {
        switch self {
        case .tooShort(let count): return "\(count) bytes, shorter than a DHCP message's 240"
        case .tooLong(let count): return "\(count) bytes, longer than \(DHCPPacket.maximumLength)"
        case .badOp(let op): return "op \(op) is neither request nor reply"
        case .notEthernet(let type, let length): return "hardware type \(type) length \(length) is not Ethernet"
        case .noMagicCookie: return "no DHCP magic cookie"
        case .optionOverrun(let code, let area): return "option \(code) runs past the end of the \(area)"
        case .missingEnd(let area): return "no END option in the \(area)"
        case .badOverload: return "option 52 (overload) is malformed"
        }
    }
}

extension DHCPPacket {
    /// Reads a datagram. Every length is checked against what is there;
    /// options may continue in `file` then `sname` when option 52 says so.
    public static func decode(_ bytes: [UInt8]) throws(DHCPDecodeError) -> DHCPPacket {
        guard bytes.count >= optionsOffset else { throw .tooShort(bytes.count) }
        guard bytes.count <= maximumLength else { throw .tooLong(bytes.count) }
        guard let op = Op(rawValue: bytes[0]) else { throw .badOp(bytes[0]) }
        guard bytes[1] == 1, bytes[2] == 6 else { throw .notEthernet(type: bytes[1], length: bytes[2]) }
        guard Array(bytes[236..<240]) == magicCookie else { throw .noMagicCookie }
        var packet = DHCPPacket(op: op, transactionID: readUInt32(bytes, 4), clientHardware: Array(bytes[28..<44]))
        packet.hops = bytes[3]
        packet.seconds = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        packet.flags = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        packet.clientAddress = IPv4(bytes[12..<16])
        packet.yourAddress = IPv4(bytes[16..<20])
        packet.serverAddress = IPv4(bytes[20..<24])
        packet.relayAddress = IPv4(bytes[24..<28])

        var options = DHCPOptions()
        try readOptions(bytes[optionsOffset...], area: "options field", into: &options)
        var overload: UInt8 = 0
        if let value = options[DHCPOption.overload] {
            guard value.count == 1, (1...3).contains(value[0]) else { throw .badOverload }
            overload = value[0]
        }
        // RFC 2131 §4.1: the options field, then file, then sname.
        if overload & 1 != 0 {
            try readOptions(bytes[fileOffset..<236], area: "file field", into: &options)
        } else {
            packet.bootFile = untilNUL(bytes[fileOffset..<236])
        }
        if overload & 2 != 0 {
            try readOptions(bytes[snameOffset..<fileOffset], area: "sname field", into: &options)
        } else {
            packet.serverName = untilNUL(bytes[snameOffset..<fileOffset])
        }
        packet.options = options
        return packet
    }

    private static func readOptions(_ area: ArraySlice<UInt8>, area name: String, into options: inout DHCPOptions) throws(DHCPDecodeError) {
        var index = area.startIndex
        while index < area.endIndex {
            let code = area[index]
            if code == DHCPOption.end { return }
            if code == DHCPOption.pad {
                index += 1
                continue
            }
            guard index + 1 < area.endIndex else { throw .optionOverrun(code: code, area: name) }
            let length = Int(area[index + 1])
            let start = index + 2
            guard start + length <= area.endIndex else { throw .optionOverrun(code: code, area: name) }
            // Overload may only be stated in the options field itself.
            if code == DHCPOption.overload && name != "options field" { throw .badOverload }
            options.append(code, Array(area[start..<start + length]))
            index = start + length
        }
        throw .missingEnd(area: name)
    }

    private static func untilNUL(_ field: ArraySlice<UInt8>) -> [UInt8] {
        Array(field.prefix { $0 != 0 })
    }

    private static func readUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    /// The message as sent: fixed fields, NUL-terminated `sname` and `file`
    /// (truncated to leave room for the NUL), options, END, padded to
    /// BOOTP's 300 bytes for old relays and ROMs.
    public func encode() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.optionsOffset)
        out[0] = op.rawValue
        out[1] = hardwareType
        out[2] = hardwareLength
        out[3] = hops
        for (index, shift) in [24, 16, 8, 0].enumerated() { out[4 + index] = UInt8(truncatingIfNeeded: transactionID >> UInt32(shift)) }
        out[8] = UInt8(seconds >> 8)
        out[9] = UInt8(truncatingIfNeeded: seconds)
        out[10] = UInt8(flags >> 8)
        out[11] = UInt8(truncatingIfNeeded: flags)
        for (offset, address) in [(12, clientAddress), (16, yourAddress), (20, serverAddress), (24, relayAddress)] {
            out.replaceSubrange(offset..<offset + 4, with: address.array)
        }
        let hardware = Array(clientHardware.prefix(16))
        out.replaceSubrange(28..<28 + hardware.count, with: hardware)
        let name = Array(serverName.prefix(63))
        out.replaceSubrange(Self.snameOffset..<Self.snameOffset + name.count, with: name)
        let file = Array(bootFile.prefix(127))
        out.replaceSubrange(Self.fileOffset..<Self.fileOffset + file.count, with: file)
        out.replaceSubrange(236..<240, with: Self.magicCookie)
        options.encode(into: &out)
        out.append(DHCPOption.end)
        if out.count < Self.minimumEncodedLength {
            out += [UInt8](repeating: 0, count: Self.minimumEncodedLength - out.count)
        }
        return out
    }
}
