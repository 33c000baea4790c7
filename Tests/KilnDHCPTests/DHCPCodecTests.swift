import KilnCore
import KilnTestSupport
import Testing
@testable import KilnDHCP

@Suite struct DHCPCodecTests {
    @Test func aRequestRoundTrips() throws {
        let packet = TestPackets.edk2()
        let bytes = packet.encode()
        #expect(bytes.count >= 300)
        #expect(Array(bytes[236..<240]) == DHCPPacket.magicCookie)
        let decoded = try DHCPPacket.decode(bytes)
        #expect(decoded == packet)
        #expect(decoded.mac == TestPackets.ovmfMAC)
        #expect(decoded.wantsBroadcast)
    }

    @Test func namesAreNULTerminatedAndCutToFit() throws {
        var reply = DHCPPacket(op: .reply, transactionID: 1, clientHardware: [UInt8](repeating: 1, count: 16))
        reply.bootFile = [UInt8](repeating: UInt8(ascii: "a"), count: 200)
        reply.serverName = Array("kiln".utf8)
        let bytes = reply.encode()
        #expect(bytes[108 + 126] == UInt8(ascii: "a") && bytes[108 + 127] == 0, "127 bytes and a NUL")
        #expect(Array(bytes[44..<49]) == Array("kiln".utf8) + [0])
        let decoded = try DHCPPacket.decode(bytes)
        #expect(decoded.bootFile.count == 127)
    }

    @Test func optionsContinueInFileThenSnameWhenOverloaded() throws {
        var bytes = DHCPPacket(op: .request, transactionID: 7, clientHardware: TestPackets.ovmfMAC + [UInt8](repeating: 0, count: 10)).encode()
        // Options field: type DISCOVER, overload 3, END.
        bytes.replaceSubrange(240..<bytes.count, with: [53, 1, 1, 52, 1, 3, 255])
        // file field: vendor class; sname field: arch.
        let vendor = Array("PXEClient:Arch:00000:UNDI:002001".utf8)
        bytes.replaceSubrange(108..<108 + vendor.count + 3, with: [60, UInt8(vendor.count)] + vendor + [255])
        bytes.replaceSubrange(44..<49, with: [93, 2, 0, 0, 255])
        let packet = try DHCPPacket.decode(bytes)
        #expect(packet.options[60] == vendor)
        #expect(packet.options[93] == [0, 0])
        #expect(packet.bootFile.isEmpty && packet.serverName.isEmpty)
        guard case .success(let request) = BootRequest.classify(packet) else {
            Issue.record("an overloaded request is still a boot request")
            return
        }
        #expect(request.architecture.code == 0)
    }

    @Test func aSplitOptionIsJoined() throws {
        var bytes = TestPackets.ordinary().encode()
        let end = bytes.lastIndex(of: 255)!
        bytes.replaceSubrange(end..<end + 1, with: [77, 2, 0x61, 0x62, 77, 1, 0x63, 255])
        #expect(try DHCPPacket.decode(bytes).options[77] == Array("abc".utf8))
    }

    @Test func malformedPacketsAreRefusedNeverTrusted() {
        let good = TestPackets.edk2().encode()
        func refuses(_ bytes: [UInt8], _ expected: DHCPDecodeError, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: expected, sourceLocation: sourceLocation) { try DHCPPacket.decode(bytes) }
        }
        refuses([], .tooShort(0))
        refuses(Array(good.prefix(239)), .tooShort(239))
        refuses(good + [UInt8](repeating: 0, count: 1300), .tooLong(good.count + 1300))
        var wrong = good
        wrong[0] = 3
        refuses(wrong, .badOp(3))
        wrong = good
        wrong[1] = 6  // IEEE 802 (token ring)
        refuses(wrong, .notEthernet(type: 6, length: 6))
        wrong = good
        wrong[2] = 20  // InfiniBand-length addresses
        refuses(wrong, .notEthernet(type: 1, length: 20))
        wrong = good
        wrong[237] = 0
        refuses(wrong, .noMagicCookie)
        // A length that runs past the end of the datagram.
        refuses(Array(good.prefix(240)) + [53, 1, 1, 60, 200, 0x50], .optionOverrun(code: 60, area: "options field"))
        // A code with no length byte at all.
        refuses(Array(good.prefix(240)) + [53, 1, 1, 60], .optionOverrun(code: 60, area: "options field"))
        // No END.
        refuses(Array(good.prefix(240)) + [53, 1, 1, 0, 0], .missingEnd(area: "options field"))
        // Overload with a bad value, a bad length, or stated inside file.
        refuses(Array(good.prefix(240)) + [52, 1, 4, 255], .badOverload)
        refuses(Array(good.prefix(240)) + [52, 2, 1, 1, 255], .badOverload)
        var nested = Array(good.prefix(240)) + [52, 1, 1, 255]
        nested.replaceSubrange(108..<112, with: [52, 1, 2, 255])
        refuses(nested, .badOverload)
        // Overload says file holds options, but file has no END.
        var unterminated = Array(good.prefix(240)) + [52, 1, 1, 255]
        unterminated.replaceSubrange(108..<236, with: [UInt8](repeating: 0, count: 128))
        refuses(unterminated, .missingEnd(area: "file field"))
    }

    @Test func zeroLengthAndOddOptionsAreReadButDoNotMakeABootClient() throws {
        var packet = TestPackets.edk2()
        packet.options.set(DHCPOption.clientArchitecture, [])
        #expect(BootRequest.classify(try DHCPPacket.decode(packet.encode())).failure == .notABootClient)
        packet.options.set(DHCPOption.clientArchitecture, [0])
        #expect(BootRequest.classify(try DHCPPacket.decode(packet.encode())).failure == .notABootClient)
        packet = TestPackets.edk2()
        packet.options.set(DHCPOption.messageType, [])
        #expect(BootRequest.classify(try DHCPPacket.decode(packet.encode())).failure == .notDHCP)
        packet.options.set(DHCPOption.messageType, [99])
        #expect(BootRequest.classify(try DHCPPacket.decode(packet.encode())).failure == .notDHCP)
    }

    @Test func hostileTextIsEscapedForTheLog() throws {
        var packet = TestPackets.edk2()
        packet.options.set(DHCPOption.userClass, Array("iPXE\n mac=evil \u{1b}[31m".utf8) + [0xff])
        guard case .success(let request) = BootRequest.classify(try DHCPPacket.decode(packet.encode())) else {
            Issue.record("still a boot client")
            return
        }
        #expect(request.userClass == "iPXE\\x0a\\x20mac=evil\\x20\\x1b[31m\\xff")
        #expect(!request.isIPXE, "only exactly iPXE (or option 175) counts")
        #expect(request.vendorClass == "PXEClient:Arch:00007:UNDI:003000")
    }

    /// Random and mutated packets: the decoder and responder never trap
    /// and never answer what does not decode.
    @Test func seededRandomInputNeverTraps() {
        var generator = SplitMix64(seed: 0xD4C9)
        let responder = ProxyDHCPResponder(.init(serverAddress: IPv4(10, 0, 0, 1), httpBase: "http://10.0.0.1"))
        let catalog = Catalog(groups: [Group(id: "all", profile: "p")], profiles: [Profile(id: "p")])
        let seeds = [TestPackets.edk2().encode(), TestPackets.iPXE().encode(), TestPackets.biosROM().encode(), TestPackets.httpBoot().encode()]
        for round in 0..<5_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = seeds[round % seeds.count]
                for _ in 0..<Int(generator.next() % 8 + 1) {
                    let at = Int(generator.next() % UInt64(bytes.count))
                    bytes[at] = UInt8(truncatingIfNeeded: generator.next())
                }
                if generator.next() % 4 == 0 { bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count)))) }
            } else {
                bytes = (0..<Int(generator.next() % 600)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            if case .answer = responder.respond(to: bytes, on: .dhcp, catalog: catalog) {
                #expect(throws: Never.self) { try DHCPPacket.decode(bytes) }
            }
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
