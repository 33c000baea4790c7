/// DHCP options in the order first seen. A code that appears more than once
/// has its values joined (RFC 3396), so a long option split across several
/// entries reads as one.
public struct DHCPOptions: Sendable, Equatable {
    public private(set) var codes: [UInt8] = []
    private var values: [UInt8: [UInt8]] = [:]

    public init() {}

    public init(_ entries: [(UInt8, [UInt8])]) {
        for (code, value) in entries { append(code, value) }
    }

    public subscript(code: UInt8) -> [UInt8]? {
        values[code]
    }

    public mutating func append(_ code: UInt8, _ value: [UInt8]) {
        if values[code] == nil { codes.append(code) }
        values[code, default: []] += value
    }

    public mutating func set(_ code: UInt8, _ value: [UInt8]) {
        if values[code] == nil { codes.append(code) }
        values[code] = value
    }

    public mutating func set(_ code: UInt8, _ text: String) {
        set(code, Array(text.utf8))
    }

    /// Encoded as code, length, value; values over 255 bytes split into
    /// consecutive entries of the same code (RFC 3396). No END.
    func encode(into out: inout [UInt8]) {
        for code in codes {
            guard let value = values[code] else { continue }
            var rest = value[...]
            repeat {
                let piece = rest.prefix(255)
                out.append(code)
                out.append(UInt8(piece.count))
                out += piece
                rest = rest.dropFirst(piece.count)
            } while !rest.isEmpty
        }
    }
}

/// The option codes Kiln reads or writes, by RFC 2132, RFC 4578 and iPXE.
public enum DHCPOption {
    public static let pad: UInt8 = 0
    public static let requestedAddress: UInt8 = 50
    public static let overload: UInt8 = 52
    public static let messageType: UInt8 = 53
    public static let serverIdentifier: UInt8 = 54
    public static let parameterRequestList: UInt8 = 55
    public static let maximumMessageSize: UInt8 = 57
    public static let vendorClass: UInt8 = 60
    public static let clientIdentifier: UInt8 = 61
    public static let tftpServerName: UInt8 = 66
    public static let bootFileName: UInt8 = 67
    public static let vendorSpecific: UInt8 = 43
    public static let userClass: UInt8 = 77
    public static let relayAgentInformation: UInt8 = 82
    public static let clientArchitecture: UInt8 = 93
    public static let networkInterface: UInt8 = 94
    public static let clientMachineID: UInt8 = 97
    /// iPXE's encapsulated options: their presence says the client is iPXE.
    public static let iPXEEncapsulated: UInt8 = 175
    public static let end: UInt8 = 255
}

/// DHCP message types (option 53).
public enum DHCPMessageType: UInt8, Sendable, CustomStringConvertible {
    case discover = 1, offer, request, decline, ack, nak, release, inform

    public var description: String {
        switch self {
        case .discover: return "DISCOVER"
        case .offer: return "OFFER"
        case .request: return "REQUEST"
        case .decline: return "DECLINE"
        case .ack: return "ACK"
        case .nak: return "NAK"
        case .release: return "RELEASE"
        case .inform: return "INFORM"
        }
    }
}
