/// The sending side of one read transfer as a pure state machine: it is
/// told what arrived (an ACK, an ERROR, a timeout) and answers with what to
/// send. Blocks are numbered from 1 without limit here; on the wire the
/// number is taken modulo 65536, so block 65536 goes out as 0 (rollover).
///
/// It also holds what both transports (`ThreadedTransfer`, one socket and
/// thread per transfer, and `TransferSession`, single-port on an event
/// loop) must agree on byte for byte and tick for tick: how a DATA packet
/// is framed (`dataFrame(_:)`) and how long to wait for an answer before
/// the next retransmission (`backoffFactor`). The transports only move the
/// bytes and keep the clock.
public struct TFTPSender: Sendable, Equatable {
    public enum Action: Equatable, Sendable {
        case sendOptionAck
        /// Send these data blocks (absolute numbers), in order.
        case sendBlocks(ClosedRange<Int>)
        /// The last block was acknowledged.
        case complete
        /// Give up (too many retransmissions): tell the client with an ERROR.
        case abort(String)
        /// The client ended the transfer with an ERROR (error 8 to an OACK
        /// is a client declining options): end quietly, send nothing.
        case stop(String)
        /// Nothing to do (a duplicate or stale packet).
        case none
    }

    /// Bytes in the transfer.
    public let size: Int
    public let blockSize: Int
    public let windowSize: Int
    public let maxRetries: Int
    /// DATA packets in the transfer: the last one is shorter than a block,
    /// possibly empty, which is how the client knows it is the last.
    public let blockCount: Int
    public private(set) var awaitingOptionAck: Bool
    /// The first block not yet acknowledged.
    public private(set) var windowStart = 1
    public private(set) var highestSent = 0
    public private(set) var retries = 0
    public private(set) var retransmittedBlocks = 0
    public private(set) var finished = false
    /// In window mode the client re-acknowledges the block before a gap;
    /// answer that once per window, so duplicate ACKs cannot multiply sends.
    private var answeredGapFor: Int?

    public init(size: Int, blockSize: Int, windowSize: Int, maxRetries: Int, optionAck: Bool) {
        self.size = size
        self.blockSize = blockSize
        self.windowSize = windowSize
        self.maxRetries = maxRetries
        self.blockCount = size / blockSize + 1
        self.awaitingOptionAck = optionAck
    }

    public mutating func start() -> Action {
        awaitingOptionAck ? .sendOptionAck : sendWindow()
    }

    private var currentWindow: ClosedRange<Int> {
        windowStart...min(windowStart + windowSize - 1, blockCount)
    }

    private mutating func sendWindow() -> Action {
        let window = currentWindow
        if window.lowerBound <= highestSent {
            retransmittedBlocks += min(window.upperBound, highestSent) - window.lowerBound + 1
        }
        highestSent = max(highestSent, window.upperBound)
        return .sendBlocks(window)
    }

    public mutating func receiveAck(_ wireBlock: UInt16) -> Action {
        guard !finished else { return .none }
        if awaitingOptionAck {
            guard wireBlock == 0 else { return .none }
            awaitingOptionAck = false
            retries = 0
            return sendWindow()
        }
        // The one absolute block in [windowStart - 1, highestSent] with this
        // wire number (the range is shorter than 65536, so there is at most one).
        let low = windowStart - 1
        let candidate = low + Int(UInt16(truncatingIfNeeded: Int(wireBlock) - low))
        guard candidate <= highestSent else { return .none }
        if candidate == low {
            // A repeat of the previous ACK. Lock-step: the sorcerer's
            // apprentice case, ignore. Window: the client saw a gap at
            // windowStart; resend the window, once.
            guard windowSize > 1, highestSent >= windowStart, answeredGapFor != low else { return .none }
            answeredGapFor = low
            return sendWindow()
        }
        windowStart = candidate + 1
        retries = 0
        answeredGapFor = nil
        if candidate == blockCount {
            finished = true
            return .complete
        }
        // Acknowledged up to the end of what was sent: a fresh window. Short
        // of it: the client lost a block; resend from there.
        return sendWindow()
    }

    public mutating func receiveError(code: TFTPErrorCode, message: String) -> Action {
        guard !finished else { return .none }
        finished = true
        if awaitingOptionAck && code == .optionNegotiation {
            return .stop("client declined the options")
        }
        return .stop("client sent error \(code.rawValue): \(message)")
    }

    public mutating func timeout() -> Action {
        guard !finished else { return .none }
        retries += 1
        if retries > maxRetries {
            finished = true
            return .abort("no answer after \(maxRetries) retransmissions")
        }
        return awaitingOptionAck ? .sendOptionAck : sendWindow()
    }

    /// The wire number of an absolute block.
    public static func wireNumber(_ block: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: block)
    }
}

// MARK: - DATA framing

extension TFTPSender {
    /// Bytes before the payload of a DATA packet: the opcode (3) and the
    /// block's wire number, both 16 bits big-endian.
    public static let dataHeaderSize = 4

    /// One DATA packet: its block's number on the wire and which bytes of
    /// the transfer it carries.
    public struct DataFrame: Equatable, Sendable {
        /// The absolute block number modulo 65536 (65535 is followed by 0).
        public let wireNumber: UInt16
        /// Where the payload starts in the transfer.
        public let offset: Int
        /// Payload bytes: a whole block, except in the last packet, which is
        /// shorter (empty when the size is a multiple of the block size).
        public let count: Int

        /// Header and payload.
        public var packetSize: Int { TFTPSender.dataHeaderSize + count }

        /// Writes the `dataHeaderSize` header bytes at `destination`
        /// (0, 3, number high byte, number low byte); the payload goes
        /// right after them.
        public func writeHeader(to destination: UnsafeMutableRawPointer) {
            let opcode = TFTPPacket.Opcode.data.rawValue
            destination.storeBytes(of: UInt8(truncatingIfNeeded: opcode >> 8), toByteOffset: 0, as: UInt8.self)
            destination.storeBytes(of: UInt8(truncatingIfNeeded: opcode), toByteOffset: 1, as: UInt8.self)
            destination.storeBytes(of: UInt8(truncatingIfNeeded: wireNumber >> 8), toByteOffset: 2, as: UInt8.self)
            destination.storeBytes(of: UInt8(truncatingIfNeeded: wireNumber), toByteOffset: 3, as: UInt8.self)
        }
    }

    /// The DATA packet of absolute block `block`, 1 through `blockCount`.
    public func dataFrame(_ block: Int) -> DataFrame {
        let offset = (block - 1) * blockSize
        return DataFrame(wireNumber: Self.wireNumber(block), offset: offset, count: min(blockSize, size - offset))
    }
}

// MARK: - Retransmission backoff

extension TFTPSender {
    /// The backoff stops doubling at ×8 (2³).
    public static let maxBackoffShift = 3

    /// How many timeouts to wait for an answer after sending with `retries`
    /// retransmissions behind: ×1 after a fresh send, for quick recovery
    /// from a single loss, then ×2, ×4, and ×8 from then on, so a client
    /// whose own retry interval is longer than ours is not given up on
    /// before it speaks again, and a dead one costs little.
    public static func backoffFactor(retries: Int) -> Int {
        1 << min(retries, maxBackoffShift)
    }

    /// The factor for what was just sent: a transport waits this many
    /// negotiated timeouts before it reports `timeout()`.
    public var backoffFactor: Int { Self.backoffFactor(retries: retries) }
}
