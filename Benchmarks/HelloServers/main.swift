// make bench: the ceilings under Kiln's /ipxe. Serves one file's bytes for
// every GET, keep-alive, on 127.0.0.1:PORT, either through Hummingbird (a
// one-route Application, as Kiln's listener is built) or straight on SwiftNIO's
// HTTP/1 codec with no framework. What Kiln's /ipxe rate is short of these
// is Kiln's own work; what these are short of nginx is the framework's.
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

final class Answer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let answer: ByteBuffer
    private var keepAlive = true

    init(_ answer: ByteBuffer) {
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(answer.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(answer))), promise: nil)
            let close = !keepAlive
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if close { bound.value.close(promise: nil) }
            }
        }
    }
}

func serveWithHummingbird(port: Int, answer: ByteBuffer) async throws {
    var logger = Logger(label: "hello")
    logger.logLevel = .warning
    let router = Router()
    router.get("/**") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: answer))
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil, backlog: 4096),
                          logger: logger)
    try await app.runService()
}

func serveWithNIO(port: Int, answer: ByteBuffer) async throws {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.backlog, value: 4096)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(Answer(answer))
            }
        }
        .bind(host: "127.0.0.1", port: port).get()
    try await channel.closeFuture.get()
}

let arguments = CommandLine.arguments
guard arguments.count == 4, ["hummingbird", "nio"].contains(arguments[1]), let port = Int(arguments[2]),
      let body = FileManager.default.contents(atPath: arguments[3]) else {
    FileHandle.standardError.write(Data("usage: HelloServers hummingbird|nio PORT BODY-FILE\n".utf8))
    exit(2)
}
if arguments[1] == "hummingbird" {
    try await serveWithHummingbird(port: port, answer: ByteBuffer(bytes: body))
} else {
    try await serveWithNIO(port: port, answer: ByteBuffer(bytes: body))
}
