import NIOCore

/// One read transfer on an event loop, for single-port mode: feeds the pure
/// `TFTPSender` with what arrives, turns its answers into datagrams, and
/// keeps the retransmission timer. It knows nothing of sockets.
final class TransferSession {
    enum Outcome {
        case completed
        case clientEnded(String)
        case failed(String)
    }

    private(set) var sender: TFTPSender
    private let source: any TFTPDataSource
    private let optionAck: [UInt8]?
    private let timeout: TimeAmount
    private let loop: any EventLoop
    private let send: (ByteBuffer) -> Void
    private let flush: () -> Void
    private let finished: (TransferSession, Outcome) -> Void
    /// One timer per transfer, re-armed only when it fires: progress just
    /// moves `deadline`, because cancelling and scheduling a timer for every
    /// block was a measurable share of the lock-step round trip.
    private var timer: Scheduled<Void>?
    private var deadline = NIODeadline.distantFuture
    private var ended = false
    private(set) var bytesSent = 0
    let startedAt = NIODeadline.now()

    init(
        source: any TFTPDataSource, negotiation: TFTPNegotiation, limits: TFTPLimits, loop: any EventLoop,
        send: @escaping (ByteBuffer) -> Void, flush: @escaping () -> Void,
        finished: @escaping (TransferSession, Outcome) -> Void
    ) {
        self.source = source
        self.sender = TFTPSender(
            size: source.size, blockSize: negotiation.blockSize, windowSize: negotiation.windowSize,
            maxRetries: limits.maxRetries, optionAck: negotiation.sendsOptionAck)
        self.optionAck = negotiation.sendsOptionAck ? TFTPPacket.optionAck(negotiation.acknowledged).encoded() : nil
        self.timeout = TimeAmount.nanoseconds(Int64(negotiation.timeout.components.seconds) * 1_000_000_000 + negotiation.timeout.components.attoseconds / 1_000_000_000)
        self.loop = loop
        self.send = send
        self.flush = flush
        self.finished = finished
    }

    func start() {
        perform(sender.start())
    }

    func receiveAck(_ block: UInt16) {
        perform(sender.receiveAck(block))
    }

    func receive(_ packet: TFTPPacket) {
        switch packet {
        case .ack(let block):
            receiveAck(block)
        case .error(let code, let message):
            perform(sender.receiveError(code: code, message: message))
        default:
            fail(code: .illegalOperation, "unexpected packet during a read transfer")
        }
    }

    /// Ends the transfer from outside (shutdown, socket error).
    func cancel(_ reason: String) {
        end(.failed(reason))
    }

    private func perform(_ action: TFTPSender.Action) {
        switch action {
        case .none:
            return
        case .sendOptionAck:
            if let optionAck { send(ByteBuffer(bytes: optionAck)) }
            flush()
            armTimer()
        case .sendBlocks(let blocks):
            for block in blocks {
                let frame = sender.dataFrame(block)
                var buffer = ByteBuffer()
                buffer.reserveCapacity(frame.packetSize)
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: TFTPSender.dataHeaderSize) { header in
                    frame.writeHeader(to: header.baseAddress!)
                    return TFTPSender.dataHeaderSize
                }
                do {
                    try source.write(offset: frame.offset, count: frame.count, into: &buffer)
                } catch {
                    fail(code: .notDefined, error.description)
                    return
                }
                bytesSent += frame.count
                send(buffer)
            }
            flush()
            armTimer()
        case .complete:
            end(.completed)
        case .abort(let reason):
            fail(code: .notDefined, reason)
        case .stop(let reason):
            end(.clientEnded(reason))
        }
    }

    private func fail(code: TFTPErrorCode, _ reason: String) {
        guard !ended else { return }
        send(ByteBuffer(bytes: TFTPPacket.error(code: code, message: reason).encoded()))
        flush()
        end(.failed(reason))
    }

    private func end(_ outcome: Outcome) {
        guard !ended else { return }
        ended = true
        timer?.cancel()
        timer = nil
        finished(self, outcome)
    }

    /// Waits `TFTPSender.backoffFactor` timeouts for an answer.
    private func armTimer() {
        deadline = NIODeadline.now() + timeout * Int64(sender.backoffFactor)
        if timer == nil { schedule(at: deadline) }
    }

    private func schedule(at when: NIODeadline) {
        timer = loop.assumeIsolated().scheduleTask(deadline: when) { [self] in
            self.timer = nil
            guard !self.ended else { return }
            if NIODeadline.now() < self.deadline {
                self.schedule(at: self.deadline)  // progress was made meanwhile
            } else {
                self.perform(self.sender.timeout())
            }
        }
    }
}
