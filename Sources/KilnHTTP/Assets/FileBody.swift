import Hummingbird
import NIOCore
import _NIOFileSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte range of a file sent as a response body, untransformed: with
/// `sendfile(2)` where the connection has a `FileRegionSender`, else read
/// and written a chunk at a time.
struct FileBody: Sendable {
    let path: String
    let bytes: ClosedRange<Int64>
    static let chunkLength = 512 * 1024

    var length: Int64 { bytes.upperBound - bytes.lowerBound + 1 }

    /// The body to send on `connection`; `sent` is told of each byte written.
    func responseBody(over connection: (any Channel)?, sent: SentBytes) -> ResponseBody {
        ResponseBody(contentLength: Int(length)) { writer in
            if let connection, try await sendFile(over: connection, writer: &writer, sent: sent) {
                return
            }
            try await stream(writer: &writer, sent: sent)
        }
    }

    /// False when the connection has no sender (nothing was written then).
    private func sendFile(over connection: any Channel, writer: inout any ResponseBodyWriter, sent: SentBytes) async throws -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileOpenFailed(path: path, code: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int64(info.st_size) > bytes.upperBound else {
            close(descriptor)
            throw FileShrank(path: path)
        }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        let region = FileRegion(fileHandle: handle, readerIndex: Int(bytes.lowerBound), endIndex: Int(bytes.upperBound) + 1)
        let path = self.path
        let expected = try await connection.eventLoop.submit { () -> (marker: ByteBuffer, sent: EventLoopFuture<Void>)? in
            guard let sender = try? connection.pipeline.syncOperations.handler(type: FileRegionSender.self) else { return nil }
            return sender.expect(region, path: path, eventLoop: connection.eventLoop)
        }.get()
        guard let expected else {
            try? handle.close()
            return false
        }
        try await writer.write(expected.marker)
        try await expected.sent.get()
        sent.add(Int(length))
        try await writer.finish(nil)
        return true
    }

    private func stream(writer: inout any ResponseBodyWriter, sent: SentBytes) async throws {
        let path = self.path, bytes = self.bytes
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            // One chunk read and written at a time: readChunks' read-ahead
            // held tens of megabytes per download, which a rack of
            // machines fetching kernels at once multiplies.
            var offset = bytes.lowerBound
            while offset <= bytes.upperBound {
                let length = min(Int64(Self.chunkLength), bytes.upperBound - offset + 1)
                let chunk = try await handle.readChunk(fromAbsoluteOffset: offset, length: .bytes(length))
                guard chunk.readableBytes > 0 else { throw FileShrank(path: path) }
                offset += Int64(chunk.readableBytes)
                try await writer.write(chunk)
                sent.add(chunk.readableBytes)
            }
        }
        try await writer.finish(nil)
    }
}

/// A file that ended before its size said, while being sent: the
/// connection is closed rather than padded.
struct FileShrank: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path) became shorter while being sent" }
}

struct FileOpenFailed: Error, CustomStringConvertible {
    var path: String
    var code: Int32
    var description: String { "\(path) could not be opened: \(String(cString: strerror(code)))" }
}
