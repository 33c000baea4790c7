import KilnCore

/// A DHCP request from firmware that wants to network-boot: option 60
/// starts with `PXEClient` or `HTTPClient` and option 93 names the
/// architecture. Anything else is ordinary DHCP, which Kiln never answers.
public struct BootRequest: Sendable {
    public enum ClientClass: String, Sendable {
        case pxe = "PXEClient"
        case http = "HTTPClient"
    }

    public var packet: DHCPPacket
    public var messageType: DHCPMessageType
    /// `52:54:00:12:34:56`, as labels write MACs.
    public var mac: String
    public var vendorClass: String
    public var clientClass: ClientClass
    public var architecture: FirmwareArchitecture
    /// Option 77 as text (iPXE sends `iPXE`), nil when absent.
    public var userClass: String?
    /// iPXE already runs: it gets Kiln's boot script, not another iPXE.
    public var isIPXE: Bool

    /// The boot request in `packet`, or why it is not one.
    public static func classify(_ packet: DHCPPacket) -> Result<BootRequest, DHCPSilence> {
        guard packet.op == .request else { return .failure(.notARequest) }
        guard let typeBytes = packet.options[DHCPOption.messageType], typeBytes.count == 1,
              let messageType = DHCPMessageType(rawValue: typeBytes[0]) else {
            return .failure(.notDHCP)
        }
        let vendorBytes = packet.options[DHCPOption.vendorClass] ?? []
        let clientClass: ClientClass
        if vendorBytes.starts(with: Array("PXEClient".utf8)) {
            clientClass = .pxe
        } else if vendorBytes.starts(with: Array("HTTPClient".utf8)) {
            clientClass = .http
        } else {
            return .failure(.notABootClient)
        }
        // Option 93 may list several architectures; the first is the one booting.
        guard let arch = packet.options[DHCPOption.clientArchitecture], arch.count >= 2, arch.count % 2 == 0 else {
            return .failure(.notABootClient)
        }
        let userBytes = packet.options[DHCPOption.userClass]
        let userClass = userBytes.map { Self.printable($0) }
        let isIPXE = userBytes == Array("iPXE".utf8) || packet.options[DHCPOption.iPXEEncapsulated] != nil
        // The codec accepts only Ethernet's 6-byte chaddr, so this always succeeds.
        guard let mac = MACAddress(bytes: packet.mac)?.description else { return .failure(.notABootClient) }
        return .success(BootRequest(
            packet: packet, messageType: messageType, mac: mac, vendorClass: Self.printable(vendorBytes),
            clientClass: clientClass, architecture: FirmwareArchitecture(UInt16(arch[0]) << 8 | UInt16(arch[1])),
            userClass: userClass, isIPXE: isIPXE))
    }

    /// Text from the network, safe to log: printable ASCII kept, the rest
    /// escaped, at most 64 bytes.
    static func printable(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes.prefix(64) {
            if byte >= 0x21 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return bytes.count > 64 ? text + "…" : text
    }
}

/// Why Kiln stays silent. Ordinary DHCP and malformed packets are silences
/// too: the site's DHCP server answers those.
public enum DHCPSilence: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(DHCPDecodeError)
    case notARequest
    case notDHCP
    case notABootClient
    case unexpectedMessage(DHCPMessageType, port: UInt16)
    /// A REQUEST on port 67 that names another server: the client is
    /// taking the site's offer.
    case requestForAnotherServer
    case notLoaded
    case noGroup
    case noFirstStage(FirmwareArchitecture)
    case missingFirstStage(FirmwareArchitecture, String)

    /// The `result` label of `kiln_dhcp_packets_total`.
    public var result: String {
        switch self {
        case .malformed: return "malformed"
        case .notARequest, .notDHCP, .notABootClient, .unexpectedMessage, .requestForAnotherServer: return "ignored"
        case .notLoaded: return "not_loaded"
        case .noGroup: return "no_group"
        case .noFirstStage, .missingFirstStage: return "no_first_stage"
        }
    }

    /// Deliberate silences to a boot client are worth an info line; the
    /// rest of a busy network's DHCP is not.
    public var isAboutABootClient: Bool {
        switch self {
        case .notLoaded, .noGroup, .noFirstStage, .missingFirstStage: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .malformed(let error): return "malformed packet: \(error)"
        case .notARequest: return "not a client request"
        case .notDHCP: return "no DHCP message type"
        case .notABootClient: return "not a boot client (no PXEClient/HTTPClient vendor class with option 93)"
        case .unexpectedMessage(let type, let port): return "\(type) on port \(port) is not answered"
        case .requestForAnotherServer: return "REQUEST for another server"
        case .notLoaded: return "the catalog is not loaded yet"
        case .noGroup: return "no group"
        case .noFirstStage(let arch): return "no first stage for \(arch.name) (arch \(arch.code)); set one with --dhcp-bootfile \(arch.code)=FILE"
        case .missingFirstStage(let arch, let file): return "first stage \(file) for \(arch.name) (arch \(arch.code)) is not in the TFTP root; add it, or set --dhcp-bootfile \(arch.code)=FILE"
        }
    }
}
