import KilnTestSupport
import Testing
@testable import KilnTFTP

@Suite struct TFTPSenderTests {
    @Test func lockStepSendsOneBlockPerAck() {
        var sender = TFTPSender(size: 1024, blockSize: 512, windowSize: 1, maxRetries: 3, optionAck: false)
        #expect(sender.blockCount == 3)  // 512 + 512 + an empty last block
        #expect(sender.start() == .sendBlocks(1...1))
        #expect(sender.receiveAck(1) == .sendBlocks(2...2))
        #expect(sender.receiveAck(2) == .sendBlocks(3...3))
        #expect(sender.receiveAck(3) == .complete)
        #expect(sender.receiveAck(3) == .none)
    }

    @Test func duplicateAcksDoNotMultiplySends() {
        // The sorcerer's apprentice: a repeated ACK must not send again.
        var sender = TFTPSender(size: 5000, blockSize: 512, windowSize: 1, maxRetries: 3, optionAck: false)
        _ = sender.start()
        #expect(sender.receiveAck(1) == .sendBlocks(2...2))
        #expect(sender.receiveAck(1) == .none)
        #expect(sender.receiveAck(1) == .none)
        #expect(sender.receiveAck(0) == .none)
        #expect(sender.receiveAck(7) == .none)  // not sent yet
        #expect(sender.receiveAck(2) == .sendBlocks(3...3))
    }

    @Test func optionAckWaitsForAckZeroAndErrorEightEndsQuietly() {
        var sender = TFTPSender(size: 100, blockSize: 512, windowSize: 1, maxRetries: 3, optionAck: true)
        #expect(sender.start() == .sendOptionAck)
        #expect(sender.receiveAck(1) == .none)
        #expect(sender.receiveAck(0) == .sendBlocks(1...1))

        var declined = TFTPSender(size: 100, blockSize: 512, windowSize: 1, maxRetries: 3, optionAck: true)
        _ = declined.start()
        #expect(declined.receiveError(code: .optionNegotiation, message: "no") == .stop("client declined the options"))
        #expect(declined.timeout() == .none)
    }

    @Test func timeoutsResendThenGiveUp() {
        var sender = TFTPSender(size: 2000, blockSize: 512, windowSize: 1, maxRetries: 2, optionAck: false)
        _ = sender.start()
        #expect(sender.timeout() == .sendBlocks(1...1))
        #expect(sender.timeout() == .sendBlocks(1...1))
        #expect(sender.timeout() == .abort("no answer after 2 retransmissions"))
        #expect(sender.retransmittedBlocks == 2)
        #expect(sender.receiveAck(1) == .none)
    }

    @Test func windowsSendManyAndRecoverFromGaps() {
        var sender = TFTPSender(size: 512 * 20, blockSize: 512, windowSize: 8, maxRetries: 3, optionAck: false)
        #expect(sender.blockCount == 21)
        #expect(sender.start() == .sendBlocks(1...8))
        #expect(sender.receiveAck(8) == .sendBlocks(9...16))
        // The client lost block 12: it acknowledges 11; resend from 12.
        #expect(sender.receiveAck(11) == .sendBlocks(12...19))
        #expect(sender.retransmittedBlocks == 5)
        // It lost 12 again and re-acknowledges 11 once: resend, once.
        #expect(sender.receiveAck(11) == .sendBlocks(12...19))
        #expect(sender.receiveAck(11) == .none)
        #expect(sender.receiveAck(19) == .sendBlocks(20...21))
        #expect(sender.receiveAck(21) == .complete)
    }

    /// 40 MiB at 512-byte blocks is 81,921 blocks: numbers pass 65535 and
    /// wrap to 0, and ACKs are mapped back to the right block.
    @Test func blockNumbersRollOverToZero() {
        for windowSize in [1, 16] {
            var sender = TFTPSender(size: 40 << 20, blockSize: 512, windowSize: windowSize, maxRetries: 3, optionAck: false)
            var action = sender.start()
            var sent = 0
            var wireNumbers: [Int: UInt16] = [:]
            while case .sendBlocks(let blocks) = action {
                for block in blocks where block >= 65534 && block <= 65538 { wireNumbers[block] = TFTPSender.wireNumber(block) }
                sent += blocks.count
                action = sender.receiveAck(TFTPSender.wireNumber(blocks.upperBound))
            }
            #expect(action == .complete)
            #expect(sent == 81_921)
            #expect(wireNumbers == [65534: 65534, 65535: 65535, 65536: 0, 65537: 1, 65538: 2])
        }
    }

    @Test func exactMultipleOfBlockSizeEndsWithAnEmptyBlock() {
        #expect(TFTPSender(size: 0, blockSize: 512, windowSize: 1, maxRetries: 1, optionAck: false).blockCount == 1)
        #expect(TFTPSender(size: 511, blockSize: 512, windowSize: 1, maxRetries: 1, optionAck: false).blockCount == 1)
        #expect(TFTPSender(size: 512, blockSize: 512, windowSize: 1, maxRetries: 1, optionAck: false).blockCount == 2)
        #expect(TFTPSender(size: 513, blockSize: 512, windowSize: 1, maxRetries: 1, optionAck: false).blockCount == 2)
    }

    @Test func randomEventsNeverTrap() {
        var generator = SplitMix64(seed: 99)
        for _ in 0..<2_000 {
            var sender = TFTPSender(
                size: Int(generator.next() % 200_000), blockSize: [8, 512, 1468][Int(generator.next() % 3)],
                windowSize: Int(generator.next() % 64) + 1, maxRetries: 5, optionAck: generator.next() % 2 == 0)
            _ = sender.start()
            for _ in 0..<200 {
                switch generator.next() % 10 {
                case 0: _ = sender.timeout()
                case 1: _ = sender.receiveError(code: .notDefined, message: "")
                default: _ = sender.receiveAck(UInt16(truncatingIfNeeded: generator.next()))
                }
            }
        }
    }

    // MARK: DATA framing (TFTPSender.dataFrame), shared by both transports

    /// The header bytes `writeHeader` puts in front of a payload; the two
    /// bytes after it must stay untouched.
    private func header(_ frame: TFTPSender.DataFrame) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xAA, count: TFTPSender.dataHeaderSize + 2)
        bytes.withUnsafeMutableBytes { frame.writeHeader(to: $0.baseAddress!) }
        #expect(bytes[TFTPSender.dataHeaderSize...] == [0xAA, 0xAA])
        return Array(bytes.prefix(TFTPSender.dataHeaderSize))
    }

    @Test func dataFramesRollOverFrom65535ToZero() {
        let sender = TFTPSender(size: 140_000 * 512, blockSize: 512, windowSize: 1, maxRetries: 3, optionAck: false)
        #expect(sender.dataFrame(1) == TFTPSender.DataFrame(wireNumber: 1, offset: 0, count: 512))
        #expect(sender.dataFrame(65535) == TFTPSender.DataFrame(wireNumber: 65535, offset: 65534 * 512, count: 512))
        #expect(sender.dataFrame(65536) == TFTPSender.DataFrame(wireNumber: 0, offset: 65535 * 512, count: 512))
        #expect(sender.dataFrame(65537) == TFTPSender.DataFrame(wireNumber: 1, offset: 65536 * 512, count: 512))
        #expect(header(sender.dataFrame(1)) == [0, 3, 0, 1])
        #expect(header(sender.dataFrame(256)) == [0, 3, 1, 0])
        #expect(header(sender.dataFrame(65535)) == [0, 3, 0xFF, 0xFF])
        #expect(header(sender.dataFrame(65536)) == [0, 3, 0, 0])
        #expect(header(sender.dataFrame(65537)) == [0, 3, 0, 1])
        #expect(header(sender.dataFrame(2 * 65536 + 5)) == [0, 3, 0, 5])
    }

    @Test func theLastDataFrameIsShortOrEmpty() {
        let short = TFTPSender(size: 1000, blockSize: 512, windowSize: 1, maxRetries: 3, optionAck: false)
        #expect(short.blockCount == 2)
        #expect(short.dataFrame(2) == TFTPSender.DataFrame(wireNumber: 2, offset: 512, count: 488))
        #expect(short.dataFrame(2).packetSize == 492)

        let exact = TFTPSender(size: 1024, blockSize: 512, windowSize: 1, maxRetries: 3, optionAck: false)
        #expect(exact.blockCount == 3)
        #expect(exact.dataFrame(2) == TFTPSender.DataFrame(wireNumber: 2, offset: 512, count: 512))
        #expect(exact.dataFrame(3) == TFTPSender.DataFrame(wireNumber: 3, offset: 1024, count: 0))
        #expect(exact.dataFrame(3).packetSize == TFTPSender.dataHeaderSize)

        let empty = TFTPSender(size: 0, blockSize: 1468, windowSize: 4, maxRetries: 3, optionAck: false)
        #expect(empty.blockCount == 1)
        #expect(empty.dataFrame(1) == TFTPSender.DataFrame(wireNumber: 1, offset: 0, count: 0))
        #expect(header(empty.dataFrame(1)) == [0, 3, 0, 1])
    }

    /// Frames tile the transfer: contiguous, whole blocks, and a last one
    /// shorter than a block.
    @Test(arguments: [0, 1, 7, 8, 9, 511, 512, 513, 1024, 1468 * 3, 1468 * 3 + 1, 70_000])
    func dataFramesCoverTheTransferExactly(_ size: Int) {
        for blockSize in [8, 512, 1468] {
            let sender = TFTPSender(size: size, blockSize: blockSize, windowSize: 1, maxRetries: 3, optionAck: false)
            let frames = (1...sender.blockCount).map { sender.dataFrame($0) }
            let comment: Comment = "size \(size), blksize \(blockSize)"
            #expect(frames.first?.offset == 0, comment)
            #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.offset + $0.count == $1.offset }, comment)
            #expect(frames.dropLast().allSatisfy { $0.count == blockSize }, comment)
            #expect(frames.last!.count == size % blockSize, comment)
            #expect(frames.reduce(0) { $0 + $1.count } == size, comment)
            #expect(frames.allSatisfy { $0.packetSize == TFTPSender.dataHeaderSize + $0.count }, comment)
            #expect(frames.enumerated().allSatisfy { $1.wireNumber == UInt16(truncatingIfNeeded: $0 + 1) }, comment)
        }
    }

    /// The transports' framing and the packet codec agree byte for byte.
    @Test func dataFramesMatchTheCodec() throws {
        let payload = (0..<1468).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let sender = TFTPSender(size: 70_000 * 1468 + 100, blockSize: 1468, windowSize: 1, maxRetries: 3, optionAck: false)
        for block in [1, 2, 255, 256, 65535, 65536, 65537, sender.blockCount] {
            let frame = sender.dataFrame(block)
            let body = Array(payload.prefix(frame.count))
            let bytes: [UInt8] = header(frame) + body
            #expect(bytes == TFTPPacket.data(block: frame.wireNumber, payload: body).encoded())
            #expect(try TFTPPacket(decoding: bytes) == .data(block: TFTPSender.wireNumber(block), payload: body))
        }
    }

    // MARK: Retransmission backoff (TFTPSender.backoffFactor)

    @Test func backoffDoublesThenCapsAtEight() {
        #expect((0...10).map { TFTPSender.backoffFactor(retries: $0) } == [1, 2, 4, 8, 8, 8, 8, 8, 8, 8, 8])
        #expect(TFTPSender.backoffFactor(retries: 1_000) == 8)
        #expect(1 << TFTPSender.maxBackoffShift == 8)
    }

    /// What a transport waits after each send, from the first until the
    /// sender gives up: with the default six retries, 39 timeouts.
    @Test func backoffFollowsRetransmissionsAndResetsOnProgress() {
        var sender = TFTPSender(size: 2000, blockSize: 512, windowSize: 1, maxRetries: TFTPLimits().maxRetries, optionAck: false)
        var action = sender.start()
        var waits: [Int] = []
        while case .sendBlocks = action {
            waits.append(sender.backoffFactor)
            action = sender.timeout()
        }
        #expect(action == .abort("no answer after 6 retransmissions"))
        #expect(waits == [1, 2, 4, 8, 8, 8, 8])
        #expect(waits.reduce(0, +) == 39)

        // An ACK that moves the transfer on starts again at one timeout.
        var recovering = TFTPSender(size: 2000, blockSize: 512, windowSize: 1, maxRetries: 6, optionAck: false)
        _ = recovering.start()
        _ = recovering.timeout()
        _ = recovering.timeout()
        #expect(recovering.backoffFactor == 4)
        #expect(recovering.receiveAck(1) == .sendBlocks(2...2))
        #expect(recovering.backoffFactor == 1)
        // A duplicate ACK is no progress: the backoff stays where it is.
        _ = recovering.timeout()
        #expect(recovering.receiveAck(1) == .none)
        #expect(recovering.backoffFactor == 2)
    }

    @Test func optionAckRetransmissionsBackOffToo() {
        var sender = TFTPSender(size: 100, blockSize: 512, windowSize: 1, maxRetries: 4, optionAck: true)
        #expect(sender.start() == .sendOptionAck)
        var waits = [sender.backoffFactor]
        while sender.timeout() == .sendOptionAck { waits.append(sender.backoffFactor) }
        #expect(waits == [1, 2, 4, 8, 8])
    }
}
