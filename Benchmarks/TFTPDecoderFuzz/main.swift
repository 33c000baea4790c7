import KilnTestSupport
import KilnTFTP

// make bench: feeds the TFTP decoder and the sender state machine a stream
// of seeded random inputs (a million by default) and fails loudly if
// anything traps; prints how many inputs decoded to each packet kind.

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
var generator = SplitMix64(seed: 20261121)
var kinds: [String: Int] = [:]
let fragments: [[UInt8]] = [
    Array("octet".utf8), Array("netascii".utf8), Array("blksize".utf8), Array("tsize".utf8), Array("windowsize".utf8),
    Array("timeout".utf8), Array("1468".utf8), Array("0".utf8), Array("../".utf8), [0], [0, 1], [0, 4], [0, 6],
]
let clock = ContinuousClock()
let started = clock.now
for _ in 0..<count {
    var bytes: [UInt8] = []
    // Mostly plausible packets built from protocol fragments, some pure noise.
    let shape = generator.next() % 4
    if shape == 0 {
        bytes = (0..<Int(generator.next() % 80)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    } else if shape == 1 {
        // A request in the right shape with random names, options and values.
        bytes = [0, UInt8(1 + generator.next() % 2)] + fragments[Int(generator.next() % 9)] + [0] + fragments[Int(generator.next() % 2)] + [0]
        for _ in 0..<Int(generator.next() % 5) {
            bytes += fragments[2 + Int(generator.next() % 4)] + [0]
            bytes += String(Int(truncatingIfNeeded: generator.next() % 200_000) - 1000).utf8 + [0]
        }
    } else {
        bytes = [0, UInt8(generator.next() % 8)]
        for _ in 0..<Int(generator.next() % 10) {
            bytes += fragments[Int(generator.next() % UInt64(fragments.count))]
        }
    }
    let kind: String
    do {
        switch try TFTPPacket(decoding: bytes) {
        case .readRequest(let request):
            kind = "read request"
            var negotiation = TFTPNegotiation(request: request, transferSize: Int(generator.next() % 100_000), limits: TFTPLimits())
            var sender = TFTPSender(size: Int(generator.next() % 100_000), blockSize: negotiation.blockSize, windowSize: negotiation.windowSize, maxRetries: 3, optionAck: negotiation.sendsOptionAck)
            _ = sender.start()
            _ = sender.receiveAck(UInt16(truncatingIfNeeded: generator.next()))
            negotiation.acknowledged.removeAll()
        case .writeRequest: kind = "write request"
        case .data: kind = "data"
        case .ack: kind = "ack"
        case .error: kind = "error"
        case .optionAck: kind = "option ack"
        }
    } catch {
        switch error {
        case .truncated: kind = "refused: truncated"
        case .unknownOpcode: kind = "refused: unknown opcode"
        case .missingTerminator: kind = "refused: missing NUL"
        case .emptyFilename: kind = "refused: empty file name"
        case .oversized: kind = "refused: oversized"
        case .optionWithoutValue: kind = "refused: option without value"
        case .duplicateOption: kind = "refused: duplicate option"
        }
    }
    kinds[kind, default: 0] += 1
}
let elapsed = clock.now - started
print("TFTP decoder fuzz: \(count) inputs in \(elapsed), no trap")
for (kind, seen) in kinds.sorted(by: { $0.value > $1.value }) {
    print("  \(kind): \(seen)")
}
