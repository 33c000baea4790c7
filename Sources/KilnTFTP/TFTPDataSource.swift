import NIOCore
import SystemPackage

/// The bytes of one transfer. Confined to the transfer's event loop.
protocol TFTPDataSource: AnyObject {
    var size: Int { get }
    /// Appends `count` bytes from `offset` to `buffer`.
    func write(offset: Int, count: Int, into buffer: inout ByteBuffer) throws(TFTPSourceError)
    /// Copies `count` bytes from `offset` to `destination`.
    func copy(offset: Int, count: Int, to destination: UnsafeMutableRawPointer) throws(TFTPSourceError)
}

struct TFTPSourceError: Error, CustomStringConvertible {
    var description: String
}

/// A file read in chunks with pread: memory per transfer is one chunk,
/// whatever the file size. The chunk covers at least a whole window so a
/// retransmitted window is served from memory.
final class FileChunkSource: TFTPDataSource {
    let size: Int
    /// Qualified: NIOCore has a `FileDescriptor` protocol too.
    private let descriptor: SystemPackage.FileDescriptor
    private var chunk: [UInt8] = []
    private var chunkOffset = 0
    private let chunkSize: Int

    /// Takes ownership of `descriptor`.
    init(descriptor: SystemPackage.FileDescriptor, size: Int, windowBytes: Int) {
        self.descriptor = descriptor
        self.size = size
        self.chunkSize = max(256 * 1024, windowBytes * 2)
    }

    deinit {
        try? descriptor.close()
    }

    func write(offset: Int, count: Int, into buffer: inout ByteBuffer) throws(TFTPSourceError) {
        guard count > 0 else { return }
        if offset < chunkOffset || offset + count > chunkOffset + chunk.count {
            try load(from: offset)
        }
        let start = offset - chunkOffset
        chunk.withUnsafeBytes { raw in
            _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[start..<start + count]))
        }
    }

    func copy(offset: Int, count: Int, to destination: UnsafeMutableRawPointer) throws(TFTPSourceError) {
        guard count > 0 else { return }
        if offset < chunkOffset || offset + count > chunkOffset + chunk.count {
            try load(from: offset)
        }
        let start = offset - chunkOffset
        chunk.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress! + start, byteCount: count) }
    }

    private func load(from offset: Int) throws(TFTPSourceError) {
        let length = min(chunkSize, size - offset)
        if chunk.count != length { chunk = [UInt8](repeating: 0, count: length) }
        var filled = 0
        while filled < length {
            let got: Int
            do {
                got = try chunk.withUnsafeMutableBytes { raw in
                    try descriptor.read(
                        fromAbsoluteOffset: Int64(offset + filled), into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<length]),
                        retryOnInterrupt: true)
                }
            } catch {
                // Errno's description is strerror's text, as before.
                throw TFTPSourceError(description: "read failed: \(error)")
            }
            guard got > 0 else { throw TFTPSourceError(description: "file shrank while being sent") }
            filled += got
        }
        chunkOffset = offset
    }
}

/// Bytes already in memory (netascii conversions).
final class MemorySource: TFTPDataSource {
    let bytes: [UInt8]
    var size: Int { bytes.count }

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func write(offset: Int, count: Int, into buffer: inout ByteBuffer) throws(TFTPSourceError) {
        guard count > 0 else { return }
        bytes.withUnsafeBytes { raw in
            _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count]))
        }
    }

    func copy(offset: Int, count: Int, to destination: UnsafeMutableRawPointer) throws(TFTPSourceError) {
        guard count > 0 else { return }
        bytes.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
    }
}

enum NetASCII {
    /// RFC 764 line endings: LF becomes CR LF, a bare CR becomes CR NUL.
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 16)
        for byte in bytes {
            switch byte {
            case 0x0A: out.append(0x0D); out.append(0x0A)
            case 0x0D: out.append(0x0D); out.append(0x00)
            default: out.append(byte)
            }
        }
        return out
    }
}
