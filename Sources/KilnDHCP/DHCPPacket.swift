/// A BOOTP/DHCP message (RFC 2131 §2, RFC 2132), decoded from bytes without
/// trusting any length it states: machines on the rack network are
/// untrusted, and a packet Kiln cannot read completely is never answered.
public struct DHCPPacket: Sendable, Equatable {
    public enum Op: UInt8, Sendable {
        case request = 1
        case reply = 2
    }

    public var op: Op
    public var hardwareType: UInt8 = 1
    public var hardwareLength: UInt8 = 6
    public var hops: UInt8 = 0
    public var transactionID: UInt32
    public var seconds: UInt16 = 0
    public var flags: UInt16 = 0
    public var clientAddress: IPv4 = .zero
    public var yourAddress: IPv4 = .zero
    public var serverAddress: IPv4 = .zero
    public var relayAddress: IPv4 = .zero
    /// The 16-byte `chaddr` field; the MAC is its first six bytes.
    public var clientHardware: [UInt8]
    /// `sname` and `file`, without their NUL padding.
    public var serverName: [UInt8] = []
    public var bootFile: [UInt8] = []
    public var options: DHCPOptions

    public static let magicCookie: [UInt8] = [99, 130, 83, 99]
    /// Offsets of RFC 2131's fixed fields.
    static let snameOffset = 44
    static let fileOffset = 108
    static let optionsOffset = 240
    /// BOOTP's minimum message: every field plus 64 bytes of vendor area.
    static let minimumEncodedLength = 300
    /// Larger datagrams are refused: firmware sends a few hundred bytes,
    /// and nothing legitimate comes near an Ethernet frame's size.
    public static let maximumLength = 1500

    public init(op: Op, transactionID: UInt32, clientHardware: [UInt8], options: DHCPOptions = DHCPOptions()) {
        self.op = op
        self.transactionID = transactionID
        self.clientHardware = clientHardware
        self.options = options
    }

    /// The client's Ethernet address (the request's `chaddr`).
    public var mac: [UInt8] { Array(clientHardware.prefix(6)) }

    /// The broadcast bit (RFC 2131 §4.1): the client cannot receive unicast
    /// before it has an address.
    public var wantsBroadcast: Bool { flags & 0x8000 != 0 }
}

/// An IPv4 address as four bytes, in network order.
public struct IPv4: Sendable, Hashable, CustomStringConvertible {
    public var bytes: (UInt8, UInt8, UInt8, UInt8)

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        bytes = (a, b, c, d)
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var values: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            values.append(value)
        }
        self.init(values[0], values[1], values[2], values[3])
    }

    init(_ array: ArraySlice<UInt8>) {
        let start = array.startIndex
        self.init(array[start], array[start + 1], array[start + 2], array[start + 3])
    }

    public static let zero = IPv4(0, 0, 0, 0)
    public static let broadcast = IPv4(255, 255, 255, 255)

    public var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3] }
    public var isZero: Bool { self == .zero }
    public var description: String { "\(bytes.0).\(bytes.1).\(bytes.2).\(bytes.3)" }

    public static func == (lhs: IPv4, rhs: IPv4) -> Bool { lhs.array == rhs.array }
    public func hash(into hasher: inout Hasher) { hasher.combine(array) }
}
