import KilnCore

/// Embedding file contents in a config as an RFC 2397 data URL, Butane's
/// way: percent-encoded, base64, or gzip+base64, whichever is shortest.
package enum DataURL {
    package struct Encoded: Equatable {
        /// The URL's bytes: ASCII that JSON strings carry unescaped.
        package var urlBytes: [UInt8]
        /// `"gzip"` when Kiln compressed, `""` when it did not (so a child
        /// config cannot inherit a parent's compression), or the user's own
        /// value when the contents arrived compressed.
        package var compression: String

        package var url: String { String(decoding: urlBytes, as: UTF8.self) }
    }

    /// - Parameters:
    ///   - userCompression: the resource's `compression` as written; when
    ///     set the contents are already compressed and are not compressed again.
    ///   - allowCompression: false where the spec has no `compression` field.
    package static func encode(_ contents: [UInt8], userCompression: String?, allowCompression: Bool) -> Encoded {
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
    package static func percentEncode(_ bytes: [UInt8]) -> String {
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
    package static func decode(_ url: String, compression: String?) -> [UInt8]? {
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
