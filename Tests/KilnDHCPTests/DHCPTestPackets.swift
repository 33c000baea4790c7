@testable import KilnDHCP

/// Requests laid out as the firmware named sends them: option order and
/// contents follow captures of each client (EDK2/OVMF, iPXE, a PXE 2.1 BIOS
/// ROM, UEFI HTTP Boot).
enum TestPackets {
    static let ovmfMAC: [UInt8] = [0x52, 0x54, 0x00, 0xe2, 0xe0, 0x20]
    static let machineID: [UInt8] = [0] + (1...16).map { UInt8($0) }

    static func request(_ type: DHCPMessageType, mac: [UInt8] = ovmfMAC, xid: UInt32 = 0x1234_5678, broadcast: Bool = true,
                        relay: IPv4 = .zero, client: IPv4 = .zero, options: [(UInt8, [UInt8])]) -> DHCPPacket {
        var packet = DHCPPacket(op: .request, transactionID: xid, clientHardware: mac + [UInt8](repeating: 0, count: 10),
                                options: DHCPOptions([(DHCPOption.messageType, [type.rawValue])] + options))
        packet.flags = broadcast ? 0x8000 : 0
        packet.relayAddress = relay
        packet.clientAddress = client
        if !relay.isZero { packet.hops = 1 }
        return packet
    }

    /// EDK2's PxeBcDhcp4 (OVMF): max size, parameter list, UNDI, arch,
    /// machine id, vendor class.
    static func edk2(_ type: DHCPMessageType = .discover, arch: UInt16 = 7, extra: [(UInt8, [UInt8])] = []) -> DHCPPacket {
        let archText = String(repeating: "0", count: 5 - String(arch).count) + String(arch)
        return request(type, options: [
            (DHCPOption.maximumMessageSize, [0x05, 0xC0]),
            (DHCPOption.parameterRequestList, [1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135]),
            (DHCPOption.networkInterface, [1, 3, 0]),
            (DHCPOption.clientArchitecture, [UInt8(arch >> 8), UInt8(arch & 0xFF)]),
            (DHCPOption.clientMachineID, machineID),
            (DHCPOption.vendorClass, Array("PXEClient:Arch:\(archText):UNDI:003000".utf8)),
        ] + extra)
    }

    /// A PXE 2.1 BIOS option ROM.
    static func biosROM(_ type: DHCPMessageType = .discover) -> DHCPPacket {
        request(type, mac: [0x52, 0x54, 0x00, 0xe2, 0xe0, 0x21], options: [
            (DHCPOption.maximumMessageSize, [0x04, 0xEC]),
            (DHCPOption.parameterRequestList, [1, 2, 3, 5, 6, 11, 12, 13, 15, 16, 17, 18, 43, 54, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135]),
            (DHCPOption.clientMachineID, machineID),
            (DHCPOption.networkInterface, [1, 2, 1]),
            (DHCPOption.clientArchitecture, [0, 0]),
            (DHCPOption.vendorClass, Array("PXEClient:Arch:00000:UNDI:002001".utf8)),
        ])
    }

    /// iPXE (a NIC ROM or a chained iPXE): user class iPXE and its own
    /// encapsulated options (175).
    static func iPXE(arch: UInt16 = 0, mac: [UInt8] = [0x52, 0x54, 0x00, 0xe2, 0xe0, 0x0a]) -> DHCPPacket {
        let archText = String(repeating: "0", count: 5 - String(arch).count) + String(arch)
        return request(.discover, mac: mac, options: [
            (DHCPOption.maximumMessageSize, [0x05, 0xDC]),
            (DHCPOption.clientIdentifier, [1] + mac),
            (DHCPOption.iPXEEncapsulated, [177, 5, 1, 0x80, 0x86, 0x10, 0x0e, 0x21, 1, 1, 0x19, 1, 1, 0xeb, 1, 1]),
            (DHCPOption.vendorClass, Array("PXEClient:Arch:\(archText):UNDI:002001".utf8)),
            (DHCPOption.userClass, Array("iPXE".utf8)),
            (DHCPOption.parameterRequestList, [1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203]),
            (DHCPOption.clientArchitecture, [UInt8(arch >> 8), UInt8(arch & 0xFF)]),
            (DHCPOption.networkInterface, [1, 2, 1]),
        ])
    }

    /// EDK2's HttpBootDxe (OVMF's "UEFI HTTPv4").
    static func httpBoot(arch: UInt16 = 16) -> DHCPPacket {
        request(.discover, options: [
            (DHCPOption.maximumMessageSize, [0x05, 0xC0]),
            (DHCPOption.parameterRequestList, [1, 3, 6, 15, 43, 60, 66, 67]),
            (DHCPOption.networkInterface, [1, 3, 0]),
            (DHCPOption.clientArchitecture, [UInt8(arch >> 8), UInt8(arch & 0xFF)]),
            (DHCPOption.clientMachineID, machineID),
            (DHCPOption.vendorClass, Array("HTTPClient:Arch:000\(arch):UNDI:003000".utf8)),
        ])
    }

    /// A laptop's ordinary DHCP: no vendor class of a boot client.
    static func ordinary() -> DHCPPacket {
        request(.discover, mac: [0x00, 0x11, 0x22, 0x33, 0x44, 0x55], options: [
            (DHCPOption.clientIdentifier, [1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]),
            (DHCPOption.vendorClass, Array("MSFT 5.0".utf8)),
            (DHCPOption.parameterRequestList, [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]),
        ])
    }
}
