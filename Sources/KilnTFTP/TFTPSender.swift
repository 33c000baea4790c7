/// The sending side of one read transfer as a pure state machine: it is
/// told what arrived (an ACK, an ERROR, a timeout) and answers with what to
/// send. Blocks are numbered from 1 without limit here; on the wire the
/// number is taken modulo 65536, so block 65536 goes out as 0 (rollover).
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
