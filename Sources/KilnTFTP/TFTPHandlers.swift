import KilnCore
import Logging
import NIOCore

/// A finished or refused transfer, for whoever keeps track of machines.
public struct TFTPTransferEvent: Sendable {
    public var file: String
    public var client: String?
    public var bytes: Int
    public var seconds: Double
    /// nil when the last block was acknowledged.
    public var reason: String?
    /// The client ended it (declined the options, or gave up): not a failure of Kiln's.
    public var clientEnded = false
}

/// What every handler of one server shares.
struct TFTPShared: Sendable {
    let root: String?
    let limits: TFTPLimits
    let metrics: TFTPMetrics
    let logger: Logger
    /// Where transfer sockets bind: the listening address with port 0.
    let transferBindAddress: SocketAddress?
    let singlePort: Bool
    let onTransfer: @Sendable (TFTPTransferEvent) -> Void
    let admission: TransferAdmission

    func record(_ session: TransferSession, plan: TransferPlan, peer: SocketAddress, outcome: TransferSession.Outcome) {
        record(
            bytesSent: session.bytesSent, retransmittedBlocks: session.sender.retransmittedBlocks,
            seconds: Double((NIODeadline.now() - session.startedAt).nanoseconds) / 1e9, plan: plan, peer: peer, outcome: outcome)
    }

    func record(bytesSent: Int, retransmittedBlocks: Int, seconds: Double, plan: TransferPlan, peer: SocketAddress, outcome: TransferSession.Outcome) {
        metrics.bytesSent.increment(by: Int64(bytesSent))
        metrics.retransmittedBlocks.increment(by: Int64(retransmittedBlocks))
        var metadata: Logger.Metadata = [
            "file": "\(plan.filename)", "peer": "\(peer)", "bytes": "\(bytesSent)",
            "blksize": "\(plan.negotiation.blockSize)", "windowsize": "\(plan.negotiation.windowSize)",
            "seconds": "\((seconds * 1000).rounded() / 1000)", "retransmitted_blocks": "\(retransmittedBlocks)",
        ]
        let finished = { (reason: String?, clientEnded: Bool) in
            onTransfer(TFTPTransferEvent(file: plan.filename, client: peer.ipAddress, bytes: bytesSent, seconds: seconds, reason: reason,
                                         clientEnded: clientEnded))
        }
        switch outcome {
        case .completed:
            finished(nil, false)
            metrics.completed.increment()
            logger.info("tftp transfer complete", metadata: metadata)
        case .clientEnded(let reason):
            finished("ended by the client: \(reason)", true)
            metrics.failed.increment()
            metadata["reason"] = "\(reason)"
            logger.info("tftp transfer ended by the client", metadata: metadata)
        case .failed(let reason):
            finished("\(reason)", false)
            metrics.failed.increment()
            metadata["reason"] = "\(reason)"
            logger.warning("tftp transfer failed", metadata: metadata)
        }
    }

    func refused(_ refusal: TransferPlan.Refusal, filename: String, peer: SocketAddress) {
        onTransfer(TFTPTransferEvent(file: filename, client: peer.ipAddress, bytes: 0, seconds: 0, reason: "refused: \(refusal.message)"))
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
/// ephemeral port (RFC 1350's transfer IDs) run by a `ThreadedTransfer`,
/// or, in single-port mode, a `TransferSession` on this socket, told apart
/// by the client's address.
final class TFTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let shared: TFTPShared
    /// Single-port mode only.
    private var sessions: [SocketAddress: (TransferSession, TransferPlan)] = [:]

    init(shared: TFTPShared) {
        self.shared = shared
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
                // A repeated request from one address in single-port mode
                // replaces its transfer, so that one's place is freed first.
                if shared.singlePort { sessions.removeValue(forKey: peer)?.0.cancel("replaced by a new request") }
                if let busy = shared.admission.admit(peer.ipAddress ?? "") {
                    shared.refused(.init(code: .notDefined, message: busy), filename: request.filename, peer: peer)
                    reply(context, errorEnvelope(.notDefined, busy, to: peer))
                    return
                }
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
        guard let bindAddress = shared.transferBindAddress else {
            shared.admission.release(peer.ipAddress ?? "")
            reply(context, errorEnvelope(.notDefined, "server cannot open a transfer socket", to: peer))
            return
        }
        do {
            try ThreadedTransfer(plan: plan, peer: peer, bindAddress: bindAddress, shared: shared).start()
        } catch {
            shared.admission.release(peer.ipAddress ?? "")
            shared.logger.error("tftp cannot open a transfer socket", metadata: ["reason": "\(error.message)", "peer": "\(peer)"])
            shared.metrics.failed.increment()
            reply(context, errorEnvelope(error.code, error.message, to: peer))
        }
    }

    private func startLocal(_ plan: TransferPlan, peer: SocketAddress, context: ChannelHandlerContext) {
        let source: any TFTPDataSource
        switch plan.openSource() {
        case .failure(let refusal):
            shared.admission.release(peer.ipAddress ?? "")
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
                shared.admission.release(peer.ipAddress ?? "")
                shared.record(session, plan: plan, peer: peer, outcome: outcome)
                if self.sessions[peer]?.0 === session { self.sessions[peer] = nil }
            })
        sessions[peer] = (session, plan)
        session.start()
    }
}
