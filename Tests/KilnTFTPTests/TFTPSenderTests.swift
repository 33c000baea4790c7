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
}
