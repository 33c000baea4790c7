import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets an asset go out with `sendfile(2)`: the kernel copies the file to
/// the socket, no bytes pass through Kiln. NIO sends a `FileRegion` only as
/// a NIOHTTP1 body part, and Hummingbird's responses are HTTPTypes parts
/// that carry a `ByteBuffer`, so this handler sits below Hummingbird's
/// HTTPTypes codec: a response body writes a marker buffer that this
/// handler alone holds, and the marker is swapped for the region on its way
/// to the HTTP/1 encoder. The marker is recognised by its storage's
/// address, never its contents, so no body can be mistaken for one.
final class FileRegionSender: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private struct Expected {
        let marker: ByteBuffer
        let region: FileRegion
        let path: String
        let sent: EventLoopPromise<Void>

        func isMarker(_ buffer: ByteBuffer) -> Bool {
            buffer.readableBytes == marker.readableBytes
                && buffer.withUnsafeReadableBytes { candidate in marker.withUnsafeReadableBytes { $0.baseAddress == candidate.baseAddress } }
        }
    }

    private var expected: [Expected] = []
    private let logger: Logger
    /// How often a region in flight is checked against its file's size:
    /// NIO retries a `sendfile` that returns 0 at once, so a file truncated
    /// under a transfer would spin its event loop until the connection is cut.
    static let truncationCheckInterval = TimeAmount.seconds(1)

    init(logger: Logger) {
        self.logger = logger
    }

    /// Called on the event loop. The returned marker, written as the body,
    /// becomes `region`; the future completes when the region's last byte
    /// is in the socket, or fails when the connection ends first. The
    /// region's file handle is closed either way.
    func expect(_ region: FileRegion, path: String, eventLoop: any EventLoop) -> (marker: ByteBuffer, sent: EventLoopFuture<Void>) {
        var marker = ByteBufferAllocator().buffer(capacity: 1)
        marker.writeInteger(UInt8(0))
        let sent = eventLoop.makePromise(of: Void.self)
        expected.append(Expected(marker: marker, region: region, path: path, sent: sent))
        return (marker, sent.futureResult)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !expected.isEmpty, case .body(.byteBuffer(let buffer)) = unwrapOutboundIn(data),
              let index = expected.firstIndex(where: { $0.isMarker(buffer) }) else {
            context.write(data, promise: promise)
            return
        }
        let entry = expected.remove(at: index)
        let written = context.eventLoop.makePromise(of: Void.self)
        let watchdog = watchForTruncation(entry, context: context)
        written.futureResult.whenComplete { result in
            watchdog.cancel()
            try? entry.region.fileHandle.close()
            entry.sent.completeWith(result)
        }
        written.futureResult.cascade(to: promise)
        context.write(wrapOutboundOut(.body(.fileRegion(entry.region))), promise: written)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        for entry in expected {
            try? entry.region.fileHandle.close()
            entry.sent.fail(ChannelError.ioOnClosedChannel)
        }
        expected.removeAll()
    }

    private func watchForTruncation(_ entry: Expected, context: ChannelHandlerContext) -> RepeatedTask {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let logger = self.logger
        let region = entry.region
        let path = entry.path
        return context.eventLoop.scheduleRepeatedTask(initialDelay: Self.truncationCheckInterval, delay: Self.truncationCheckInterval) { task in
            let size = (try? region.fileHandle.withUnsafeFileDescriptor { descriptor -> Int in
                var info = stat()
                return fstat(descriptor, &info) == 0 ? Int(info.st_size) : -1
            }) ?? -1
            guard size < region.endIndex else { return }
            logger.warning("asset became shorter while being sent; closing the connection",
                           metadata: ["path": "\(path)", "size": "\(size)", "needed": "\(region.endIndex)"])
            task.cancel()
            bound.value.close(promise: nil)
        }
    }
}

/// Hummingbird's HTTP/1 child channel with a `FileRegionSender` placed
/// just below its HTTPTypes codec.
struct SendfileHTTP1Channel: ServerChildChannel {
    let base: HTTP1Channel
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let senderLogger = self.logger
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let codec = try operations.handler(type: HTTP1ToHTTPServerCodec.self)
            try operations.addHandler(FileRegionSender(logger: senderLogger), position: .before(codec))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
