import KilnCore

/// proxyDHCP (PXE 2.1 §2.2.5): the site's DHCP server hands out addresses;
/// Kiln answers only the boot question, and only for boot clients whose
/// machine a group can select. Pure: bytes and a catalog in, a decision out.
public struct ProxyDHCPResponder: Sendable {
    /// How EFI PXE clients (not BIOS, not HTTP Boot) are told their file.
    public enum EFIPolicy: String, Sendable, CaseIterable {
        /// The file in the port-67 offer, and again on port 4011 for
        /// firmware that asks there (EDK2 does, for a proxy offer).
        case offer
        /// No file in the port-67 offer: the client must ask on 4011.
        /// For firmware that ignores a proxy offer's file.
        case port4011 = "4011"
    }

    public struct Configuration: Sendable {
        /// Kiln's address on the rack network: option 54, siaddr, sname.
        public var serverAddress: IPv4
        /// Where iPXE and HTTP Boot clients fetch from: `http://host:port`.
        public var httpBase: String
        /// `--dhcp-bootfile ARCH=FILE`: replaces the default first stage.
        public var bootfiles: [UInt16: String]
        public var efiPolicy: EFIPolicy
        /// Whether a first stage exists in the TFTP root (a bare name also
        /// in its `ipxe/` folder), so a missing default is not offered.
        public var firstStageExists: @Sendable (String) -> Bool

        public init(serverAddress: IPv4, httpBase: String, bootfiles: [UInt16: String] = [:], efiPolicy: EFIPolicy = .offer,
                    firstStageExists: @escaping @Sendable (String) -> Bool = { _ in true }) {
            self.serverAddress = serverAddress
            self.httpBase = httpBase
            self.bootfiles = bootfiles
            self.efiPolicy = efiPolicy
            self.firstStageExists = firstStageExists
        }
    }

    /// The two ports a proxyDHCP server listens on.
    public enum Port: UInt16, Sendable {
        case dhcp = 67
        case pxe = 4011
    }

    public enum Destination: Sendable, Equatable {
        /// 255.255.255.255 on the client port: the client has no address
        /// of its own yet (a proxy never gives one).
        case broadcast
        /// A relay (giaddr): its server port, 67.
        case relay(IPv4)
        /// Back to the address and port the request came from (port 4011
        /// requests come from a client that has its address).
        case sender
    }

    public struct Answer: Sendable {
        /// OFFER or ACK.
        public var type: DHCPMessageType
        public var packet: DHCPPacket
        public var destination: Destination
        /// What was offered, for the log: the boot file and why.
        public var offered: String
    }

    public enum Decision: Sendable {
        case answer(Answer, BootRequest)
        case silence(DHCPSilence, BootRequest?)
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    public func respond(to bytes: [UInt8], on port: Port, catalog: Catalog?) -> Decision {
        let packet: DHCPPacket
        do {
            packet = try DHCPPacket.decode(bytes)
        } catch {
            return .silence(.malformed(error), nil)
        }
        let request: BootRequest
        switch BootRequest.classify(packet) {
        case .success(let classified): request = classified
        case .failure(let silence): return .silence(silence, nil)
        }
        let replyType: DHCPMessageType
        switch (port, request.messageType) {
        case (.dhcp, .discover):
            replyType = .offer
        case (.dhcp, .request), (.pxe, .request):
            if port == .dhcp, packet.options[DHCPOption.serverIdentifier] != configuration.serverAddress.array {
                return .silence(.requestForAnotherServer, request)
            }
            replyType = .ack
        default:
            return .silence(.unexpectedMessage(request.messageType, port: port.rawValue), request)
        }
        guard let catalog else { return .silence(.notLoaded, request) }
        let profile: Profile?
        switch machine(request.mac, in: catalog) {
        case .none: return .silence(.noGroup, request)
        case .some(let found): profile = found
        }
        let file: String
        let reason: String
        switch bootFile(for: request, profile: profile) {
        case .success(let chosen): (file, reason) = chosen
        case .failure(let silence): return .silence(silence, request)
        }

        var reply = DHCPPacket(op: .reply, transactionID: packet.transactionID, clientHardware: packet.clientHardware)
        reply.flags = packet.flags
        reply.relayAddress = packet.relayAddress
        if replyType == .ack { reply.clientAddress = packet.clientAddress }
        reply.serverAddress = configuration.serverAddress
        reply.serverName = Array(configuration.serverAddress.description.utf8)
        let withholdFile = replyType == .offer && configuration.efiPolicy == .port4011
            && request.clientClass == .pxe && !request.architecture.isBIOS && !request.isIPXE
        if !withholdFile {
            reply.bootFile = Array(file.utf8)
        }
        reply.options.set(DHCPOption.messageType, [replyType.rawValue])
        reply.options.set(DHCPOption.serverIdentifier, configuration.serverAddress.array)
        reply.options.set(DHCPOption.vendorClass, request.clientClass.rawValue)
        if let machineID = packet.options[DHCPOption.clientMachineID] {
            reply.options.set(DHCPOption.clientMachineID, machineID)
        }
        if request.architecture.isBIOS && request.clientClass == .pxe && !request.isIPXE {
            // PXE_DISCOVERY_CONTROL (6) = 8: take the boot file from this
            // offer, no boot server discovery, no menu.
            reply.options.set(DHCPOption.vendorSpecific, [6, 1, 8, DHCPOption.end])
        }
        // RFC 3046: a relay's agent information goes back as it came, last.
        if let agent = packet.options[DHCPOption.relayAgentInformation] {
            reply.options.set(DHCPOption.relayAgentInformation, agent)
        }
        let destination: Destination
        if port == .pxe {
            destination = .sender
        } else if !packet.relayAddress.isZero {
            destination = .relay(packet.relayAddress)
        } else {
            destination = .broadcast
        }
        let offered = withholdFile ? "no file (policy 4011: \(file) is given on port 4011)" : "file=\(file) (\(reason))"
        return .answer(Answer(type: replyType, packet: reply, destination: destination, offered: offered), request)
    }

    /// The profile of the group that selects this MAC; `.some(nil)` when no
    /// group selects it by MAC alone but one selects by labels DHCP does not
    /// carry (uuid, hostname…), so it may match once iPXE reports them.
    func machine(_ mac: String, in catalog: Catalog) -> Profile?? {
        guard let labels = try? Labels(["mac": mac], rawQuery: "mac=" + mac) else { return .none }
        switch catalog.match(labels) {
        case .success(let match): return .some(match.profile)
        case .failure(.missingProfile): return .some(nil)
        case .failure:
            let mayMatch = catalog.groups.contains { group in
                group.selector["mac"] == nil && !group.selector.isEmpty
            }
            return mayMatch ? .some(nil) : .none
        }
    }

    /// The boot file and where the choice came from.
    func bootFile(for request: BootRequest, profile: Profile?) -> Result<(String, String), DHCPSilence> {
        let base = configuration.httpBase
        if request.isIPXE {
            return .success((base + "/boot.ipxe", "iPXE asks: Kiln's boot script"))
        }
        let arch = request.architecture
        let wantsURL = request.clientClass == .http || arch.isHTTPBoot
        func located(_ file: String) -> String {
            guard wantsURL, !file.contains("://") else { return file }
            return base + "/assets/" + (file.contains("/") ? file : "ipxe/" + file)
        }
        if let chosen = profile?.dhcpBootfile {
            return .success((located(chosen), "the profile's dhcp_bootfile"))
        }
        if let chosen = configuration.bootfiles[arch.code] {
            return .success((located(chosen), "--dhcp-bootfile \(arch.code)"))
        }
        guard let loader = arch.defaultLoader else { return .failure(.noFirstStage(arch)) }
        let name: String
        switch loader {
        case .tftp(let file), .http(let file): name = file
        }
        // Debian ships no ARM iPXE; snp-arm64.efi is the other usual build.
        let candidates = name == "ipxe-arm64.efi" ? [name, "snp-arm64.efi"] : [name]
        guard let present = candidates.first(where: configuration.firstStageExists) else {
            return .failure(.missingFirstStage(arch, candidates.joined(separator: " or ")))
        }
        return .success((located(present), "default for \(arch.name)"))
    }
}
