/// The server's limits and defaults for a transfer.
public struct TFTPLimits: Sendable, Equatable {
    /// Largest block size granted (RFC 2348 allows up to 65464). 1468 fills
    /// an Ethernet frame without IP fragmentation, which some PXE stacks
    /// cannot reassemble.
    public var maxBlockSize: Int
    public var maxWindowSize: Int
    /// Retransmission timeout when the client does not ask for one.
    public var defaultTimeout: Duration
    /// Retransmissions of one window before the transfer is abandoned; with
    /// the backoff (`TFTPSender.backoffFactor`: 1 + 2 + 4 + 8 + 8 + 8 + 8)
    /// that is 39 timeouts of silence (39 s by default).
    public var maxRetries: Int
    /// Transfers running at once, overall and from one client address;
    /// past either, a read request is refused with error 0 and the reason.
    public var maxTransfers: Int
    public var maxTransfersPerClient: Int

    public init(maxBlockSize: Int = 1468, maxWindowSize: Int = 64, defaultTimeout: Duration = .seconds(1), maxRetries: Int = 6,
                maxTransfers: Int = 1024, maxTransfersPerClient: Int = 8) {
        self.maxBlockSize = maxBlockSize
        self.maxWindowSize = maxWindowSize
        self.defaultTimeout = defaultTimeout
        self.maxRetries = maxRetries
        self.maxTransfers = maxTransfers
        self.maxTransfersPerClient = maxTransfersPerClient
    }

    public static let blockSizeRange = 8...65464
}

/// What was agreed for one transfer, and the OACK that says so. Options the
/// server does not know or cannot honour are left out of the OACK, which
/// RFC 2347 reads as declined; an empty OACK is not sent at all.
public struct TFTPNegotiation: Sendable, Equatable {
    public var blockSize = 512
    public var windowSize = 1
    public var timeout: Duration
    public var acknowledged: [TFTPOption] = []

    public init(request: TFTPRequest, transferSize: Int, limits: TFTPLimits) {
        timeout = limits.defaultTimeout
        for option in request.options {
            switch option.name {
            case "blksize":
                guard let asked = Int(option.value), asked >= TFTPLimits.blockSizeRange.lowerBound else { continue }
                blockSize = min(asked, limits.maxBlockSize, TFTPLimits.blockSizeRange.upperBound)
                acknowledged.append(TFTPOption("blksize", String(blockSize)))
            case "tsize":
                // In a read request the client sends 0 and learns the size.
                // For an empty file the option is declined instead: curl
                // rejects an OACK with tsize 0 and cannot fetch the file.
                guard Int(option.value) != nil, transferSize > 0 else { continue }
                acknowledged.append(TFTPOption("tsize", String(transferSize)))
            case "timeout":
                // RFC 2349: 1 to 255 seconds, echoed as given or not at all.
                guard let seconds = Int(option.value), (1...255).contains(seconds) else { continue }
                timeout = .seconds(seconds)
                acknowledged.append(TFTPOption("timeout", String(seconds)))
            case "windowsize":
                guard let asked = Int(option.value), (1...65535).contains(asked) else { continue }
                windowSize = min(asked, limits.maxWindowSize)
                acknowledged.append(TFTPOption("windowsize", String(windowSize)))
            default:
                continue
            }
        }
    }

    public var sendsOptionAck: Bool { !acknowledged.isEmpty }
}
