import KilnCore
import Testing
@testable import KilnDHCP

private let server = IPv4(10, 33, 0, 1)

private func catalog(default withDefault: Bool = true, extra: [Group] = [], profiles extraProfiles: [Profile] = []) -> Catalog {
    var groups = [Group(id: "ovmf", profile: "node", selector: ["mac": "52:54:00:e2:e0:20"])] + extra
    if withDefault { groups.append(Group(id: "default", profile: "node")) }
    return Catalog(groups: groups, profiles: [Profile(id: "node", boot: BootConfig(kernel: "/k"))] + extraProfiles)
}

private func responder(bootfiles: [UInt16: String] = [:], policy: ProxyDHCPResponder.EFIPolicy = .offer,
                       present: Set<String> = ["undionly.kpxe", "ipxe.efi", "snponly.efi"]) -> ProxyDHCPResponder {
    ProxyDHCPResponder(.init(serverAddress: server, httpBase: "http://10.33.0.1:8080", bootfiles: bootfiles, efiPolicy: policy,
                             firstStageExists: { present.contains($0) }))
}

/// The answer, or a failed expectation naming the silence.
private func answer(_ decision: ProxyDHCPResponder.Decision, sourceLocation: SourceLocation = #_sourceLocation) -> ProxyDHCPResponder.Answer? {
    switch decision {
    case .answer(let answer, _):
        // Whatever Kiln sends must read back as a DHCP reply.
        let bytes = answer.packet.encode()
        #expect((try? DHCPPacket.decode(bytes)) == answer.packet, sourceLocation: sourceLocation)
        return answer
    case .silence(let silence, _):
        Issue.record("silent: \(silence)", sourceLocation: sourceLocation)
        return nil
    }
}

private func silence(_ decision: ProxyDHCPResponder.Decision) -> DHCPSilence? {
    if case .silence(let silence, _) = decision { return silence }
    return nil
}

@Suite struct ProxyDHCPResponderTests {
    @Test func ovmfPXEGetsIPXEEFIFromTheOfferAndOn4011() throws {
        let discover = TestPackets.edk2().encode()
        let offer = try #require(answer(responder().respond(to: discover, on: .dhcp, catalog: catalog())))
        #expect(offer.destination == .broadcast)
        let packet = offer.packet
        #expect(packet.op == .reply && packet.transactionID == 0x1234_5678 && packet.flags == 0x8000)
        #expect(packet.yourAddress == .zero, "a proxy never offers an address")
        #expect(packet.serverAddress == server)
        #expect(packet.bootFile == Array("ipxe.efi".utf8))
        #expect(packet.serverName == Array("10.33.0.1".utf8))
        #expect(packet.options[DHCPOption.messageType] == [DHCPMessageType.offer.rawValue])
        #expect(packet.options[DHCPOption.serverIdentifier] == [10, 33, 0, 1])
        #expect(packet.options[DHCPOption.vendorClass] == Array("PXEClient".utf8))
        #expect(packet.options[DHCPOption.clientMachineID] == TestPackets.machineID)
        #expect(packet.options[DHCPOption.vendorSpecific] == nil, "no PXE discovery options for EFI")
        // EDK2 then asks on 4011, from the address the site's server gave it.
        let request = TestPackets.edk2(.request)
        var unicast = request
        unicast.clientAddress = IPv4(10, 33, 0, 120)
        unicast.flags = 0
        let ack = try #require(answer(responder().respond(to: unicast.encode(), on: .pxe, catalog: catalog())))
        #expect(ack.destination == .sender)
        #expect(ack.packet.options[DHCPOption.messageType] == [DHCPMessageType.ack.rawValue])
        #expect(ack.packet.bootFile == Array("ipxe.efi".utf8))
        #expect(ack.packet.clientAddress == IPv4(10, 33, 0, 120))
    }

    @Test func bothX8664CodesGetTheSameBinary() throws {
        for arch: UInt16 in [7, 9] {
            let offer = try #require(answer(responder().respond(to: TestPackets.edk2(arch: arch).encode(), on: .dhcp, catalog: catalog())))
            #expect(offer.packet.bootFile == Array("ipxe.efi".utf8), "arch \(arch)")
        }
    }

    @Test func aBIOSROMIsToldToSkipDiscovery() throws {
        let offer = try #require(answer(responder().respond(to: TestPackets.biosROM().encode(), on: .dhcp, catalog: catalog())))
        #expect(offer.packet.bootFile == Array("undionly.kpxe".utf8))
        #expect(offer.packet.options[DHCPOption.vendorSpecific] == [6, 1, 8, 255])
        #expect(offer.packet.options[DHCPOption.vendorClass] == Array("PXEClient".utf8))
    }

    @Test func iPXEGetsTheBootScriptNotAnotherIPXE() throws {
        for arch: UInt16 in [0, 7] {
            let offer = try #require(answer(responder().respond(to: TestPackets.iPXE(arch: arch).encode(), on: .dhcp, catalog: catalog())))
            #expect(offer.packet.bootFile == Array("http://10.33.0.1:8080/boot.ipxe".utf8))
            #expect(offer.packet.options[DHCPOption.vendorSpecific] == nil)
        }
        // Option 175 alone (an iPXE built without user class) says the same.
        var packet = TestPackets.edk2()
        packet.options.set(DHCPOption.iPXEEncapsulated, [177, 1, 1])
        let offer = try #require(answer(responder().respond(to: packet.encode(), on: .dhcp, catalog: catalog())))
        #expect(offer.packet.bootFile == Array("http://10.33.0.1:8080/boot.ipxe".utf8))
    }

    @Test func uefiHTTPBootGetsAnAbsoluteURLAndHTTPClient() throws {
        let offer = try #require(answer(responder().respond(to: TestPackets.httpBoot().encode(), on: .dhcp, catalog: catalog())))
        #expect(offer.packet.bootFile == Array("http://10.33.0.1:8080/assets/ipxe/ipxe.efi".utf8))
        #expect(offer.packet.options[DHCPOption.vendorClass] == Array("HTTPClient".utf8))
    }

    @Test func relayedRequestsGoBackToTheRelay() throws {
        var packet = TestPackets.edk2()
        packet.relayAddress = IPv4(10, 40, 0, 1)
        packet.hops = 1
        packet.options.set(DHCPOption.relayAgentInformation, [1, 4, 0x65, 0x74, 0x68, 0x33])
        let offer = try #require(answer(responder().respond(to: packet.encode(), on: .dhcp, catalog: catalog())))
        #expect(offer.destination == .relay(IPv4(10, 40, 0, 1)))
        #expect(offer.packet.relayAddress == IPv4(10, 40, 0, 1))
        #expect(offer.packet.options[DHCPOption.relayAgentInformation] == [1, 4, 0x65, 0x74, 0x68, 0x33])
        #expect(offer.packet.options.codes.last == DHCPOption.relayAgentInformation)
    }

    @Test func aRequestOnPort67IsAnsweredOnlyWhenItNamesKiln() throws {
        let forSite = TestPackets.edk2(.request, extra: [(DHCPOption.serverIdentifier, [10, 33, 0, 2])])
        #expect(silence(responder().respond(to: forSite.encode(), on: .dhcp, catalog: catalog())) == .requestForAnotherServer)
        let forKiln = TestPackets.edk2(.request, extra: [(DHCPOption.serverIdentifier, [10, 33, 0, 1])])
        let ack = try #require(answer(responder().respond(to: forKiln.encode(), on: .dhcp, catalog: catalog())))
        #expect(ack.packet.options[DHCPOption.messageType] == [DHCPMessageType.ack.rawValue])
    }

    @Test func ordinaryDHCPIsNeverAnswered() {
        #expect(silence(responder().respond(to: TestPackets.ordinary().encode(), on: .dhcp, catalog: catalog())) == .notABootClient)
        // A vendor class without option 93 is not enough.
        var noArch = TestPackets.edk2()
        noArch.options = DHCPOptions([(DHCPOption.messageType, [1]), (DHCPOption.vendorClass, Array("PXEClient".utf8))])
        #expect(silence(responder().respond(to: noArch.encode(), on: .dhcp, catalog: catalog())) == .notABootClient)
        // Replies (another server's offers) and other message types.
        var reply = TestPackets.edk2()
        reply.op = .reply
        #expect(silence(responder().respond(to: reply.encode(), on: .dhcp, catalog: catalog())) == .notARequest)
        #expect(silence(responder().respond(to: TestPackets.edk2(.inform).encode(), on: .dhcp, catalog: catalog())) == .unexpectedMessage(.inform, port: 67))
        #expect(silence(responder().respond(to: TestPackets.edk2(.discover).encode(), on: .pxe, catalog: catalog())) == .unexpectedMessage(.discover, port: 4011))
    }

    @Test func onlyMachinesAGroupCanSelectAreAnswered() throws {
        let stranger = TestPackets.biosROM()
        #expect(silence(responder().respond(to: stranger.encode(), on: .dhcp, catalog: catalog(default: false))) == .noGroup)
        #expect(silence(responder().respond(to: stranger.encode(), on: .dhcp, catalog: nil)) == .notLoaded)
        // A group selecting by labels DHCP does not carry may still match later.
        let byUUID = catalog(default: false, extra: [Group(id: "by-uuid", profile: "node", selector: ["uuid": "abc"])])
        #expect(answer(responder().respond(to: stranger.encode(), on: .dhcp, catalog: byUUID)) != nil)
        // The known machine is answered in a catalog without a default.
        #expect(answer(responder().respond(to: TestPackets.edk2().encode(), on: .dhcp, catalog: catalog(default: false))) != nil)
    }

    @Test func firstStagesCanBeOverriddenGloballyAndPerMachine() throws {
        let global = try #require(answer(responder(bootfiles: [7: "snponly.efi"]).respond(to: TestPackets.edk2().encode(), on: .dhcp, catalog: catalog())))
        #expect(global.packet.bootFile == Array("snponly.efi".utf8))
        #expect(global.offered.contains("--dhcp-bootfile 7"))
        let special = catalog(default: false, extra: [Group(id: "special", profile: "special", selector: ["mac": "52:54:00:e2:e0:21"])],
                              profiles: [Profile(id: "special", dhcpBootfile: "custom/first.kpxe")])
        let machine = try #require(answer(responder(bootfiles: [0: "ipxe.pxe"]).respond(to: TestPackets.biosROM().encode(), on: .dhcp, catalog: special)))
        #expect(machine.packet.bootFile == Array("custom/first.kpxe".utf8), "the profile wins over the flag")
        // For UEFI HTTP Boot, a name becomes a URL under /assets.
        let http = try #require(answer(responder(bootfiles: [16: "snponly.efi"]).respond(to: TestPackets.httpBoot().encode(), on: .dhcp, catalog: catalog())))
        #expect(http.packet.bootFile == Array("http://10.33.0.1:8080/assets/ipxe/snponly.efi".utf8))
    }

    @Test func missingOrUnknownFirstStagesAreNotOffered() throws {
        let arm = TestPackets.edk2(arch: 11)
        #expect(silence(responder().respond(to: arm.encode(), on: .dhcp, catalog: catalog())) == .missingFirstStage(FirmwareArchitecture(11), "ipxe-arm64.efi or snp-arm64.efi"))
        let withSNP = try #require(answer(responder(present: ["snp-arm64.efi"]).respond(to: arm.encode(), on: .dhcp, catalog: catalog())))
        #expect(withSNP.packet.bootFile == Array("snp-arm64.efi".utf8))
        #expect(silence(responder().respond(to: TestPackets.edk2(arch: 2).encode(), on: .dhcp, catalog: catalog())) == .noFirstStage(FirmwareArchitecture(2)))
        // Named by the operator: offered even if Kiln cannot see it.
        let named = try #require(answer(responder(bootfiles: [11: "arm/ipxe.efi"]).respond(to: arm.encode(), on: .dhcp, catalog: catalog())))
        #expect(named.packet.bootFile == Array("arm/ipxe.efi".utf8))
    }

    @Test func policy4011WithholdsTheFileFromEFIOffersOnly() throws {
        let strict = responder(policy: .port4011)
        let offer = try #require(answer(strict.respond(to: TestPackets.edk2().encode(), on: .dhcp, catalog: catalog())))
        #expect(offer.packet.bootFile.isEmpty)
        let ack = try #require(answer(strict.respond(to: TestPackets.edk2(.request).encode(), on: .pxe, catalog: catalog())))
        #expect(ack.packet.bootFile == Array("ipxe.efi".utf8))
        let bios = try #require(answer(strict.respond(to: TestPackets.biosROM().encode(), on: .dhcp, catalog: catalog())))
        #expect(bios.packet.bootFile == Array("undionly.kpxe".utf8))
    }
}
