import KilnCore
import Logging
import NIOCore
import NIOPosix

/// What every handler of one server shares.
struct TFTPShared: Sendable {
    let root: String?
    let limits: TFTPLimits
    let metrics: TFTPMetrics
    let logger: Logger
    let bindHost: String
    let singlePort: Bool

    func record(_ session: TransferSession, plan: TransferPlan, peer: SocketAddress, outcome: TransferSession.Outcome) {
        metrics.bytesSent.increment(by: Int64(session.bytesSent))
        metrics.retransmittedBlocks.increment(by: Int64(session.sender.retransmittedBlocks))
        let elapsed = Double((NIODeadline.now() - session.startedAt).nanoseconds) / 1e9
        var metadata: Logger.Metadata = [
            "file": "\(plan.filename)", "peer": "\(peer)", "bytes": "\(session.bytesSent)",
            "blksize": "\(plan.negotiation.blockSize)", "windowsize": "\(plan.negotiation.windowSize)",
            "seconds": "\((elapsed * 1000).rounded() / 1000)", "retransmitted_blocks": "\(session.sender.retransmittedBlocks)",
        ]
        switch outcome {
        case .completed:
            metrics.completed.increment()
            logger.info("tftp transfer complete", metadata: metadata)
        case .clientEnded(let reason):
            metrics.failed.increment()
            metadata["reason"] = "\(reason)"
            logger.info("tftp transfer ended by the client", metadata: metadata)
        case .failed(let reason):
            metrics.failed.increment()
            metadata["reason"] = "\(reason)"
            logger.warning("tftp transfer failed", metadata: metadata)
        }
    }

    func refused(_ refusal: TransferPlan.Refusal, filename: String, peer: SocketAddress) {
        metrics.failed.increment()
        logger.warning("tftp request refused", metadata: [
            "file": "\(filename)", "peer": "\(peer)", "error_code": "\(refusal.code.rawValue)", "reason": "\(refusal.message)",
        ])
    }
}

private func errorEnvelope(_ code: TFTPErrorCode, _ message: String, to peer: SocketAddress) -> AddressedEnvelope<ByteBuffer> {
    AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: TFTPPacket.error(code: code, message: message).encoded()))
}

/// Listens on the TFTP port. Each read request gets its own socket on an
/// ephemeral port (RFC 1350's transfer IDs), or, in single-port mode, is
/// served from this socket and told apart by the client's address.
final class TFTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let shared: TFTPShared
    private let group: any EventLoopGroup
    /// Single-port mode only.
    private var sessions: [SocketAddress: (TransferSession, TransferPlan)] = [:]

    init(shared: TFTPShared, group: any EventLoopGroup) {
        self.shared = shared
        self.group = group
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let peer = envelope.remoteAddress
        let packet: TFTPPacket
        do {
            packet = try TFTPPacket(decoding: envelope.data.readableBytesView)
        } catch {
            shared.logger.debug("tftp malformed packet", metadata: ["peer": "\(peer)", "reason": "\(error)"])
            if sessions[peer] == nil {
                reply(context, errorEnvelope(.illegalOperation, "malformed packet: \(error)", to: peer))
            }
            return
        }
        switch packet {
        case .readRequest(let request):
            shared.metrics.started.increment()
            switch TransferPlan.prepare(request, root: shared.root, limits: shared.limits) {
            case .failure(let refusal):
                shared.refused(refusal, filename: request.filename, peer: peer)
                reply(context, errorEnvelope(refusal.code, refusal.message, to: peer))
            case .success(let plan):
                if shared.singlePort {
                    startLocal(plan, peer: peer, context: context)
                } else {
                    startOnOwnPort(plan, peer: peer, context: context)
                }
            }
        case .writeRequest(let request):
            shared.refused(.init(code: .accessViolation, message: "writing is not allowed"), filename: request.filename, peer: peer)
            reply(context, errorEnvelope(.accessViolation, "writing is not allowed", to: peer))
        default:
            if let (session, _) = sessions[peer] {
                session.receive(packet)
            } else if case .error = packet {
                return  // never answer an error with an error
            } else {
                reply(context, errorEnvelope(.unknownTransferID, "no transfer in progress for this address", to: peer))
            }
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ envelope: AddressedEnvelope<ByteBuffer>) {
        context.writeAndFlush(wrapOutboundOut(envelope), promise: nil)
    }

    private func startOnOwnPort(_ plan: TransferPlan, peer: SocketAddress, context: ChannelHandlerContext) {
        let shared = self.shared
        let bound = DatagramBootstrap(group: group.next())
            // A transfer's client sends one packet per block (or window):
            // reading on until EAGAIN would cost a wasted syscall per ACK.
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TransferHandler(plan: plan, peer: peer, shared: shared))
                }
            }
            .bind(host: shared.bindHost, port: 0)
        let listener = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        bound.whenFailure { error in
            shared.logger.error("tftp cannot open a transfer socket", metadata: ["error": "\(error)", "peer": "\(peer)"])
            shared.metrics.failed.increment()
            let (handler, context) = listener.value
            handler.reply(context, errorEnvelope(.notDefined, "server cannot open a transfer socket", to: peer))
        }
    }

    private func startLocal(_ plan: TransferPlan, peer: SocketAddress, context: ChannelHandlerContext) {
        // A new request from the same address replaces its old transfer.
        sessions.removeValue(forKey: peer)?.0.cancel("replaced by a new request")
        let source: any TFTPDataSource
        switch plan.openSource() {
        case .failure(let refusal):
            shared.refused(refusal, filename: plan.filename, peer: peer)
            reply(context, errorEnvelope(refusal.code, refusal.message, to: peer))
            return
        case .success(let opened):
            source = opened
        }
        let shared = self.shared
        let session = TransferSession(
            source: source, negotiation: plan.negotiation, limits: shared.limits, loop: context.eventLoop,
            send: { [self] buffer in context.write(self.wrapOutboundOut(AddressedEnvelope(remoteAddress: peer, data: buffer)), promise: nil) },
            flush: { context.flush() },
            finished: { [self] session, outcome in
                shared.record(session, plan: plan, peer: peer, outcome: outcome)
                if self.sessions[peer]?.0 === session { self.sessions[peer] = nil }
            })
        sessions[peer] = (session, plan)
        session.start()
    }
}

/// One transfer on its own socket: answers only the client that asked.
final class TransferHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let plan: TransferPlan
    private let peer: SocketAddress
    private let shared: TFTPShared
    private var session: TransferSession?

    init(plan: TransferPlan, peer: SocketAddress, shared: TFTPShared) {
        self.plan = plan
        self.peer = peer
        self.shared = shared
    }

    func channelActive(context: ChannelHandlerContext) {
        let source: any TFTPDataSource
        switch plan.openSource() {
        case .failure(let refusal):
            shared.refused(refusal, filename: plan.filename, peer: peer)
            context.writeAndFlush(wrapOutboundOut(errorEnvelope(refusal.code, refusal.message, to: peer)), promise: nil)
            context.close(promise: nil)
            return
        case .success(let opened):
            source = opened
        }
        let peer = self.peer
        let plan = self.plan
        let shared = self.shared
        let session = TransferSession(
            source: source, negotiation: plan.negotiation, limits: shared.limits, loop: context.eventLoop,
            send: { [self] buffer in context.write(self.wrapOutboundOut(AddressedEnvelope(remoteAddress: peer, data: buffer)), promise: nil) },
            flush: { context.flush() },
            finished: { session, outcome in
                shared.record(session, plan: plan, peer: peer, outcome: outcome)
                context.close(promise: nil)
            })
        self.session = session
        session.start()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == peer else {
            // RFC 1350: a packet from another transfer ID gets error 5, and
            // the transfer goes on.
            context.writeAndFlush(wrapOutboundOut(errorEnvelope(.unknownTransferID, "unknown transfer ID", to: envelope.remoteAddress)), promise: nil)
            return
        }
        if let block = TFTPPacket.ackBlock(envelope.data.readableBytesView) {
            session?.receiveAck(block)
            return
        }
        guard let packet = try? TFTPPacket(decoding: envelope.data.readableBytesView) else {
            session?.cancel("malformed packet from the client")
            return
        }
        session?.receive(packet)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session?.cancel("socket closed")
        session = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like: the client is gone.
        session?.cancel("socket error: \(error)")
        context.close(promise: nil)
    }
}
