import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The routes answered on the event loop, by path, with the pipeline that
/// answers them. Shared by every connection.
struct ImmediateRoutes: Sendable {
    let pipeline: RequestPipeline
    let routes: [String: Route]

    init(pipeline: RequestPipeline, routes: [Route]) {
        self.pipeline = pipeline
        var table: [String: Route] = [:]
        for route in routes where route.answersImmediately { table[route.path] = route }
        self.routes = table
    }

    func route(for target: String) -> Route? {
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? Substring(target)
        return routes[String(path)]
    }
}

/// Answers the boot scripts and configs (`/ipxe`, `/ignition`, …) where the
/// request is decoded, on the connection's event loop, instead of handing
/// them to Hummingbird's per-connection task: the hop to Swift's
/// cooperative pool and back cost more than Kiln's own work for a few
/// hundred bytes. Everything else goes on to Hummingbird. While a request
/// handed on is unanswered, later ones are handed on too, so answers on a
/// pipelined connection keep their order.
final class ImmediateAnswers: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let table: ImmediateRoutes
    /// Requests handed to Hummingbird whose response has not ended.
    private var handedOn = 0
    /// The rest of a request answered here (its body, its end) is dropped.
    private var dropping = false
    /// After a `Connection: close` request: nothing more is read.
    private var closing = false
    private var dateSecond = -1
    private var date = ""

    init(table: ImmediateRoutes) {
        self.table = table
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            if handedOn == 0, head.method == .get || head.method == .head, let path = head.path, let route = table.route(for: path) {
                dropping = true
                answer(head, route: route, context: context)
                return
            }
            dropping = false
            handedOn += 1
            context.fireChannelRead(data)
        case .body:
            if !dropping { context.fireChannelRead(data) }
        case .end:
            if dropping {
                dropping = false
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), handedOn > 0 {
            handedOn -= 1
        }
        context.write(data, promise: promise)
    }

    private func answer(_ head: HTTPRequest, route: Route, context: ChannelHandlerContext) {
        var (response, body) = table.pipeline.answerNow(head, route: route, client: context.channel.remoteAddress)
        response.headerFields[.date] = currentDate()
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if head.method != .head, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(body)), promise: nil)
        }
        guard let connection = head.headerFields[.connection], connection.lowercased().contains("close") else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        closing = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }

    /// RFC 9110's Date, formatted once a second.
    private func currentDate() -> String {
        let now = time(nil)
        if now != dateSecond {
            dateSecond = now
            date = HTTPDate.format(secondsSinceEpoch: now)
        }
        return date
    }
}
