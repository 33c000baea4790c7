import CZlib
import KilnCore

/// Embedding file contents in a config as an RFC 2397 data URL, Butane's
/// way: percent-encoded, base64, or gzip+base64, whichever is shortest.
enum DataURL {
    struct Encoded: Equatable {
        /// The URL's bytes: ASCII that JSON strings carry unescaped.
        var urlBytes: [UInt8]
        /// `"gzip"` when Kiln compressed, `""` when it did not (so a child
        /// config cannot inherit a parent's compression), or the user's own
        /// value when the contents arrived compressed.
        var compression: String

        var url: String { String(decoding: urlBytes, as: UTF8.self) }
    }

    /// - Parameters:
    ///   - userCompression: the resource's `compression` as written; when
    ///     set the contents are already compressed and are not compressed again.
    ///   - allowCompression: false where the spec has no `compression` field.
    static func encode(_ contents: [UInt8], userCompression: String?, allowCompression: Bool) -> Encoded {
        // Lengths first, then only the winner is built: this runs for every
        // file of every per-machine config.
        let percentLength = 1 + contents.reduce(0) { $0 + (unreserved[Int($1)] ? 1 : 3) }
        let base64Length = ";base64,".utf8.count + Base64.encodedLength(contents.count)
        var best = base64Length < percentLength ? Choice.base64 : Choice.percent
        var bestLength = min(base64Length, percentLength)
        var compression = userCompression ?? ""
        // The smallest gzip a data URL can carry (header, one byte, trailer)
        // plus the word in the compression field: shorter contents never
        // gain from compressing.
        let smallestGzip = ";base64,".utf8.count + Base64.encodedLength(19) + "gzip".utf8.count
        if (userCompression ?? "").isEmpty, allowCompression, bestLength > smallestGzip,
           !gzipCannotWin(contents, against: bestLength), let deflated = Gzip.deflate(contents) {
            let length = ";base64,".utf8.count + Base64.encodedLength(Gzip.wrappedLength(deflated))
            // Choosing gzip also costs the word in the compression field.
            if length + "gzip".utf8.count < bestLength {
                best = .gzip(deflated)
                bestLength = length
                compression = "gzip"
            }
        }
        var url = Array("data:".utf8)
        url.reserveCapacity(5 + bestLength)
        switch best {
        case .percent:
            url.append(UInt8(ascii: ","))
            percentEncode(contents, into: &url)
        case .base64:
            url += ";base64,".utf8
            Base64.encode(contents, into: &url)
        case .gzip(let deflated):
            url += ";base64,".utf8
            Base64.encode(Gzip.wrap(deflated, original: contents), into: &url)
        }
        return Encoded(urlBytes: url, compression: compression)
    }

    /// True when even the smallest deflate stream the contents could have
    /// (see DeflateLowerBound) would not make the shortest URL.
    private static func gzipCannotWin(_ contents: [UInt8], against bestLength: Int) -> Bool {
        guard let floor = DeflateLowerBound.bytes(contents) else { return false }
        let shortest = ";base64,".utf8.count + Base64.encodedLength(10 + floor + 8)
        return shortest + "gzip".utf8.count >= bestLength
    }

    private enum Choice {
        case percent, base64
        case gzip([UInt8])
    }

    /// RFC 2396's unreserved characters stay as they are; every other byte
    /// becomes %XX.
    static func percentEncode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        percentEncode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    static func percentEncode(_ bytes: [UInt8], into out: inout [UInt8]) {
        for byte in bytes {
            if unreserved[Int(byte)] {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
    }

    private static let unreserved: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("-_.!~*'()".utf8).contains(byte)
        }
    }

    /// Decodes a data URL's payload (for tests and `kiln butane --check`
    /// style comparisons): percent-encoded or base64, gunzipped when the
    /// resource says gzip.
    static func decode(_ url: String, compression: String?) -> [UInt8]? {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") else { return nil }
        let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
        let payload = String(url[url.index(after: comma)...])
        let raw: [UInt8]?
        if header.hasSuffix(";base64") {
            raw = Base64.decode(payload)
        } else {
            raw = PercentEncoding.decode(Substring(payload), plusIsSpace: false)
        }
        guard let raw else { return nil }
        if compression == "gzip" { return Gzip.decompress(raw) }
        return raw
    }
}

/// Reading data URLs back, for checks and comparisons outside the module.
public enum IgnitionDataURL {
    /// The payload of an RFC 2397 data URL, gunzipped when `compression`
    /// is gzip; nil when it does not decode.
    public static func decode(_ url: String, compression: String?) -> [UInt8]? {
        DataURL.decode(url, compression: compression)
    }
}

enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encodedLength(_ count: Int) -> Int {
        (count + 2) / 3 * 4
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        var index = 0
        while index + 2 < bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
    }

    static func decode(_ text: String) -> [UInt8]? {
        var lookup = [Int](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { lookup[Int(byte)] = index }
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "=") { break }
            let value = lookup[Int(byte)]
            guard value >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}

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
