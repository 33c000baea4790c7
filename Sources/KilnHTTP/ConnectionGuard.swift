import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How much of the HTTP listener one client may take. Defaults sit close to
/// nginx's, so a slow or hostile client is cut off where operators expect.
public struct HTTPLimits: Sendable, Equatable {
    /// From a connection's start (or its last response) to a complete
    /// request head; nginx's client_header_timeout is 60 s.
    public var headerTimeout: Duration
    /// A kept-alive connection with no request; nginx's keepalive_timeout is 75 s.
    public var idleTimeout: Duration
    /// Open connections; past this, new ones are closed at once.
    public var maxConnections: Int
    /// Path and query together, in bytes (414 beyond).
    public var maxURIBytes: Int
    /// Header names and values together, in bytes (431 beyond).
    public var maxHeaderBytes: Int
    /// Query parameters, each a label (400 beyond).
    public var maxLabels: Int

    public init(headerTimeout: Duration = .seconds(60), idleTimeout: Duration = .seconds(75), maxConnections: Int = 16384,
                maxURIBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxLabels: Int = 64) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxURIBytes = maxURIBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxLabels = maxLabels
    }
}

/// The listener's open connections, shared by every connection's guard.
final class ConnectionCount: Sendable {
    private let open = Atomic<Int>(0)
    let metrics: KilnMetrics

    init(metrics: KilnMetrics) {
        self.metrics = metrics
    }

    /// Counts a new connection in; false when that would pass `limit`.
    func admit(limit: Int) -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        guard now <= limit else {
            open.subtract(1, ordering: .relaxed)
            metrics.connectionRefused()
            return false
        }
        metrics.connectionOpened()
        return true
    }

    func leave() {
        open.subtract(1, ordering: .relaxed)
        metrics.connectionClosed()
    }

    var current: Int { open.load(ordering: .relaxed) }
}

/// One per connection, after HTTP decoding: refuses the connection past the
/// cap, and closes it when a request head does not arrive in time: within
/// the header timeout of the connection's start, and within the idle
/// timeout of each response's end (a kept-alive connection). A response
/// being sent, however long, is never cut.
///
/// A request only moves the deadline; the one timer per connection is
/// rescheduled when it fires early, so a kept-alive connection answering
/// thousands of requests schedules a timer about once per idle timeout,
/// not once per response.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let count: ConnectionCount
    private let limits: HTTPLimits
    private let logger: Logger
    private var admitted = false
    private var decided = false
    /// When the connection is closed unless a request head arrives first;
    /// nil while a request is being answered.
    private var deadline: NIODeadline?
    private var check: Scheduled<Void>?

    init(count: ConnectionCount, limits: HTTPLimits, logger: Logger) {
        self.count = count
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard !decided else { return }
        decided = true
        guard count.admit(limit: limits.maxConnections) else {
            logger.debug("http connection refused: at the connection limit", metadata: ["limit": "\(limits.maxConnections)"])
            context.close(promise: nil)
            return
        }
        admitted = true
        expectHead(context, within: limits.headerTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        deadline = nil
        if admitted {
            admitted = false
            count.leave()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            expectHead(context, within: limits.idleTimeout)
        }
        context.write(data, promise: promise)
    }

    private func expectHead(_ context: ChannelHandlerContext, within timeout: Duration) {
        let due = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        deadline = due
        if check == nil { schedule(context, at: due) }
    }

    private func schedule(_ context: ChannelHandlerContext, at due: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(deadline: due) {
            let (handler, context) = bound.value
            handler.deadlineReached(context)
        }
    }

    private func deadlineReached(_ context: ChannelHandlerContext) {
        check = nil
        guard admitted, let deadline else { return }  // answering: the response's end sets the next deadline
        if deadline > .now() {
            schedule(context, at: deadline)
            return
        }
        count.metrics.connectionTimedOut()
        context.close(promise: nil)
    }
}
