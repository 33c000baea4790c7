import KilnTestSupport
import Testing
@testable import KilnTFTP

@Suite struct TFTPPacketTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func decodesARequestWithOptions() throws {
        let raw: [UInt8] = [0, 1] + bytes("ipxe/undionly.kpxe\0OCTET\0BLKSIZE\01468\0tsize\00\0windowsize\016\0")
        let packet = try TFTPPacket(decoding: raw)
        #expect(packet == .readRequest(TFTPRequest(filename: "ipxe/undionly.kpxe", mode: "octet", options: [
            TFTPOption("blksize", "1468"), TFTPOption("tsize", "0"), TFTPOption("windowsize", "16"),
        ])))
    }

    @Test func roundTrips() throws {
        let packets: [TFTPPacket] = [
            .readRequest(TFTPRequest(filename: "a", mode: "netascii")),
            .writeRequest(TFTPRequest(filename: "b", mode: "octet", options: [TFTPOption("tsize", "9")])),
            .data(block: 65535, payload: [1, 2, 3]),
            .data(block: 0, payload: []),
            .ack(block: 258),
            .error(code: .fileNotFound, message: "no file x"),
            .optionAck([TFTPOption("blksize", "1468")]),
        ]
        for packet in packets {
            #expect(try TFTPPacket(decoding: packet.encoded()) == packet)
        }
        #expect(TFTPPacket.ack(block: 258).encoded() == [0, 4, 1, 2])
        #expect(TFTPPacket.data(block: 1, payload: [9]).encoded() == [0, 3, 0, 1, 9])
    }

    @Test(arguments: [
        ([], TFTPDecodeError.truncated),
        ([0], .truncated),
        ([0, 9, 0, 0], .unknownOpcode(9)),
        ([0, 0], .unknownOpcode(0)),
        ([0xFF, 0xFF], .unknownOpcode(65535)),
        ([0, 3, 0], .truncated),
        ([0, 4, 1], .truncated),
        ([0, 5, 0, 1], .truncated),
        ([0, 1] + Array("file".utf8), .missingTerminator),
        ([0, 1] + Array("file\0octet".utf8), .missingTerminator),
        ([0, 1] + Array("file\0".utf8), .missingTerminator),
        ([0, 1] + Array("\0octet\0".utf8), .emptyFilename),
        ([0, 1] + Array("f\0octet\0blksize\0".utf8), .optionWithoutValue("blksize")),
        ([0, 1] + Array("f\0octet\0tsize\00\0TSIZE\01\0".utf8), .duplicateOption("tsize")),
        ([0, 1] + Array(repeating: 65, count: 2000) + [0] + Array("octet\0".utf8), .oversized(2009)),
    ] as [([UInt8], TFTPDecodeError)])
    func malformedPacketsAreErrors(_ raw: [UInt8], _ expected: TFTPDecodeError) {
        #expect(throws: expected) { try TFTPPacket(decoding: raw) }
    }

    @Test func hundredThousandRandomInputsNeverTrap() {
        var generator = SplitMix64(seed: 2024)
        var decoded = 0
        for _ in 0..<100_000 {
            let length = Int(generator.next() % 64)
            var raw = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Bias towards plausible opcodes and NULs so the deep paths run.
            if raw.count >= 2, generator.next() % 2 == 0 { raw[0] = 0; raw[1] = UInt8(generator.next() % 7) }
            for index in raw.indices where generator.next() % 5 == 0 { raw[index] = 0 }
            if (try? TFTPPacket(decoding: raw)) != nil { decoded += 1 }
        }
        #expect(decoded > 0)
    }
}

@Suite struct TFTPNegotiationTests {
    private func negotiate(_ options: [TFTPOption], size: Int = 1000, limits: TFTPLimits = TFTPLimits()) -> TFTPNegotiation {
        TFTPNegotiation(request: TFTPRequest(filename: "f", mode: "octet", options: options), transferSize: size, limits: limits)
    }

    @Test func grantsAndCaps() {
        let granted = negotiate([TFTPOption("blksize", "65464"), TFTPOption("tsize", "0"), TFTPOption("timeout", "3"), TFTPOption("windowsize", "200")])
        #expect(granted.blockSize == 1468)
        #expect(granted.windowSize == 64)
        #expect(granted.timeout == .seconds(3))
        #expect(granted.acknowledged == [
            TFTPOption("blksize", "1468"), TFTPOption("tsize", "1000"), TFTPOption("timeout", "3"), TFTPOption("windowsize", "64"),
        ])
        #expect(negotiate([TFTPOption("blksize", "9000")], limits: TFTPLimits(maxBlockSize: 65464)).blockSize == 9000)
        #expect(negotiate([TFTPOption("blksize", "100")]).blockSize == 100)
    }

    @Test func declinesWhatItCannotHonour() {
        let declined = negotiate([
            TFTPOption("blksize", "7"), TFTPOption("blksize2", "1024"), TFTPOption("timeout", "0"), TFTPOption("timeout", "256"),
            TFTPOption("windowsize", "0"), TFTPOption("tsize", "x"), TFTPOption("multicast", ""),
        ])
        #expect(declined.acknowledged.isEmpty)
        #expect(!declined.sendsOptionAck)
        #expect(declined.blockSize == 512 && declined.windowSize == 1)
        #expect(negotiate([TFTPOption("tsize", "0")], size: 0).acknowledged.isEmpty)
    }
}

