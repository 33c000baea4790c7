import CZlib

/// gzip through zlib, with a fixed header (mtime 0, OS "unknown") so the
/// same input always gives the same bytes.
enum Gzip {
    static func compress(_ input: [UInt8]) -> [UInt8]? {
        deflate(input).map { wrap($0, original: input) }
    }

    /// The raw deflate stream; `wrap` adds gzip's header and trailer, so a
    /// caller that only needs the size to choose an encoding skips the
    /// checksum.
    static func deflate(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        // Raw deflate (negative window bits). The window is sized to the
        // input: a window larger than the data finds no more matches, and
        // zlib's full-size state (about 270 KB) is mapped and unmapped on
        // every call, which cost more than the compression of a small file.
        var windowBits: Int32 = 9
        while windowBits < 15 && (1 << windowBits) < input.count + 262 { windowBits += 1 }
        let memoryLevel = max(1, min(9, windowBits - 6))
        guard deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -windowBits, memoryLevel, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var produced = 0
        let output = [UInt8](unsafeUninitializedCapacity: bound) { outBuffer, initialized in
            let finished: Bool = input.withUnsafeBufferPointer { inBuffer in
                // zlib's next_in is not const; it only reads.
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END
            }
            produced = finished ? outBuffer.count - Int(stream.avail_out) : -1
            initialized = max(0, produced)
        }
        return produced < 0 ? nil : output
    }

    /// Header (no name, no timestamp: the same input gives the same
    /// bytes), deflate stream, CRC-32 and length.
    static func wrappedLength(_ deflated: [UInt8]) -> Int { 10 + deflated.count + 8 }

    static func wrap(_ deflated: [UInt8], original input: [UInt8]) -> [UInt8] {
        let checksum = input.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        var gzip: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xFF]
        gzip.reserveCapacity(wrappedLength(deflated))
        gzip += deflated
        for value in [checksum, UInt32(truncatingIfNeeded: input.count)] {
            for shift in stride(from: 0, to: 32, by: 8) { gzip.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
        return gzip
    }

    static func decompress(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        // 16 + 15: expect a gzip header.
        guard inflateInit2_(&stream, 16 + 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = input
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let ok: Bool = input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                result.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                if status == Z_STREAM_END { return true }
                if status != Z_OK { return false }
                if result.count > 256 * 1024 * 1024 { return false }
            }
        }
        return ok ? result : nil
    }
}
