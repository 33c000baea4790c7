import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One read transfer on its own socket and its own thread, with blocking
/// `recvfrom`/`sendto`: two system calls and no allocation per block.
///
/// NIO's datagram channel formats the sender's address as a string and
/// allocates for every packet it receives; in lock-step that per-block
/// work (about 5 µs here) was the whole difference to tftpd-hpa, which
/// forks a process per transfer. The protocol decisions stay in the pure
/// `TFTPSender`; this only moves bytes. It runs on a `TransferWorkers`
/// thread (small stacks, kept warm), so hundreds of transfers cost little.
final class ThreadedTransfer: @unchecked Sendable {
    private let plan: TransferPlan
    private let peer: SocketAddress
    private let peerBytes: [UInt8]
    private let shared: TFTPShared
    private let bindAddress: SocketAddress
    private var descriptor: Int32 = -1

    init(plan: TransferPlan, peer: SocketAddress, bindAddress: SocketAddress, shared: TFTPShared) {
        self.plan = plan
        self.peer = peer
        self.bindAddress = bindAddress
        self.shared = shared
        self.peerBytes = peer.withSockAddr { pointer, length in
            Array(UnsafeRawBufferPointer(start: pointer, count: length))
        }
    }

    /// Opens the transfer socket (so a failure can be reported at once) and
    /// starts the thread that runs the transfer.
    func start() throws(TransferPlan.Refusal) {
        descriptor = socket(Int32(peer.protocol.rawValue), Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw TransferPlan.Refusal(code: .notDefined, message: "server cannot open a transfer socket") }
        let bound = bindAddress.withSockAddr { bind(descriptor, $0, socklen_t($1)) }
        guard bound == 0 else {
            close(descriptor)
            throw TransferPlan.Refusal(code: .notDefined, message: "server cannot bind a transfer socket")
        }
        TransferWorkers.shared.run { [self] in
            self.run()
            close(self.descriptor)
            self.shared.admission.release(self.peer.ipAddress ?? "")
        }
    }

    private func run() {
        let source: any TFTPDataSource
        switch plan.openSource() {
        case .failure(let refusal):
            shared.refused(refusal, filename: plan.filename, peer: peer)
            send(TFTPPacket.error(code: refusal.code, message: refusal.message).encoded())
            return
        case .success(let opened):
            source = opened
        }
        let negotiation = plan.negotiation
        var sender = TFTPSender(
            size: source.size, blockSize: negotiation.blockSize, windowSize: negotiation.windowSize,
            maxRetries: shared.limits.maxRetries, optionAck: negotiation.sendsOptionAck)
        let optionAck = TFTPPacket.optionAck(negotiation.acknowledged).encoded()
        let timeout = negotiation.timeout
        let started = ContinuousClock.now
        var bytesSent = 0
        var packet = [UInt8](repeating: 0, count: TFTPSender.dataHeaderSize + negotiation.blockSize)
        var incoming = [UInt8](repeating: 0, count: 65536)
        var deadline = ContinuousClock.now
        var currentWait = Duration.zero

        func setWait(_ wait: Duration) {
            let clamped = max(wait, .milliseconds(1))
            let (seconds, attoseconds) = clamped.components
            var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }

        var action = sender.start()
        var outcome: TransferSession.Outcome?
        while outcome == nil {
            switch action {
            case .none:
                break
            case .sendOptionAck, .sendBlocks:
                if case .sendBlocks(let blocks) = action {
                    for block in blocks {
                        let frame = sender.dataFrame(block)
                        let copied = packet.withUnsafeMutableBytes { target -> TFTPSourceError? in
                            frame.writeHeader(to: target.baseAddress!)
                            do throws(TFTPSourceError) {
                                try source.copy(offset: frame.offset, count: frame.count, to: target.baseAddress! + TFTPSender.dataHeaderSize)
                                return nil
                            } catch {
                                return error
                            }
                        }
                        if let copied {
                            send(TFTPPacket.error(code: .notDefined, message: copied.description).encoded())
                            outcome = .failed(copied.description)
                            break
                        }
                        send(packet, count: frame.packetSize)
                        bytesSent += frame.count
                    }
                } else {
                    send(optionAck)
                }
                // Retransmissions back off (TFTPSender.backoffFactor).
                let wait = timeout * sender.backoffFactor
                deadline = ContinuousClock.now + wait
                if wait != currentWait {
                    currentWait = wait
                    setWait(wait)
                }
            case .complete:
                outcome = .completed
            case .abort(let reason):
                send(TFTPPacket.error(code: .notDefined, message: reason).encoded())
                outcome = .failed(reason)
            case .stop(let reason):
                outcome = .clientEnded(reason)
            }
            if outcome != nil { break }

            // Wait for the client.
            var from = sockaddr_storage()
            var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = incoming.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, raw.baseAddress, raw.count, 0, $0, &fromLength) }
                }
            }
            if received < 0 {
                if errno == EINTR { action = .none; continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    if ContinuousClock.now >= deadline {
                        action = sender.timeout()
                    } else {
                        currentWait = deadline - ContinuousClock.now
                        setWait(currentWait)
                        action = .none
                    }
                    continue
                }
                outcome = .failed("receive failed: \(String(cString: strerror(errno)))")
                break
            }
            let fromPeer = withUnsafeBytes(of: &from) { sameAddress(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(fromLength)))) }
            if !fromPeer {
                // RFC 1350: another TID gets error 5 and the transfer goes on.
                let error = TFTPPacket.error(code: .unknownTransferID, message: "unknown transfer ID").encoded()
                _ = error.withUnsafeBytes { raw in
                    withUnsafePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, raw.baseAddress, raw.count, 0, $0, fromLength) }
                    }
                }
                action = waitAfterNoProgress(deadline: deadline, currentWait: &currentWait, setWait: setWait)
                continue
            }
            let bytes = incoming[..<received]
            if let block = TFTPPacket.ackBlock(bytes) {
                action = sender.receiveAck(block)
            } else if case .error(let code, let message)? = try? TFTPPacket(decoding: bytes) {
                action = sender.receiveError(code: code, message: message)
            } else {
                send(TFTPPacket.error(code: .illegalOperation, message: "unexpected packet during a read transfer").encoded())
                outcome = .failed("unexpected packet from the client")
                break
            }
            if case .none = action {
                action = waitAfterNoProgress(deadline: deadline, currentWait: &currentWait, setWait: setWait)
            }
        }
        shared.record(
            bytesSent: bytesSent, retransmittedBlocks: sender.retransmittedBlocks, seconds: (ContinuousClock.now - started).seconds,
            plan: plan, peer: peer, outcome: outcome ?? .failed("ended"))
    }

    /// A packet that moved nothing (a stranger, a duplicate ACK) must not
    /// extend the wait: time out at the original deadline.
    private func waitAfterNoProgress(deadline: ContinuousClock.Instant, currentWait: inout Duration, setWait: (Duration) -> Void) -> TFTPSender.Action {
        let remaining = deadline - ContinuousClock.now
        currentWait = remaining
        setWait(remaining)
        return .none
    }

    /// Compares family, port and address with the client's, as bytes;
    /// sockaddr padding may differ.
    private func sameAddress(_ a: UnsafeRawBufferPointer) -> Bool {
        let b = peerBytes
        if peer.protocol == .inet {
            guard a.count >= 8, b.count >= 8 else { return false }
            for i in 0..<8 where a[i] != b[i] { return false }
            return true
        }
        guard a.count >= 24, b.count >= 24 else { return false }
        for i in 0..<4 where a[i] != b[i] { return false }
        for i in 8..<24 where a[i] != b[i] { return false }
        return true
    }

    private func send(_ bytes: [UInt8], count: Int? = nil) {
        let length = count ?? bytes.count
        _ = bytes.withUnsafeBytes { raw in
            peer.withSockAddr { address, addressLength in
                sendto(descriptor, raw.baseAddress, length, 0, address, socklen_t(addressLength))
            }
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
