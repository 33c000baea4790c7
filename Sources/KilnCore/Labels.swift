/// What a machine says about itself in a request: every query key is a label
/// (`mac`, `uuid`, `hostname`, `serial`, `arch`, and any other key).
/// Built once per request; `mac` is normalised to lowercase colon form.
public struct Labels: Sendable, Equatable {
    public private(set) var values: [String: String]
    /// The query string as the client sent it (templates see it as
    /// `request.raw_query`).
    public let rawQuery: String

    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case malformedMAC(key: String, value: String)

        public var description: String {
            switch self {
            case .malformedMAC(let key, let value):
                return "malformed MAC address \(key)=\(value): expected six hex bytes such as 52:54:00:12:34:56, 52-54-00-12-34-56 or 525400123456"
            }
        }
    }

    public init(_ values: [String: String], rawQuery: String = "") throws(ParseError) {
        var normalised: [String: String] = [:]
        normalised.reserveCapacity(values.count)
        for (key, value) in values {
            if Self.isMACKey(key) {
                // iPXE sends `mac=` when it has no address: treat as absent.
                if value.isEmpty { continue }
                guard let mac = MACAddress(value) else { throw .malformedMAC(key: key, value: value) }
                normalised["mac"] = mac.description
            } else {
                normalised[key] = value
            }
        }
        self.values = normalised
        self.rawQuery = rawQuery
    }

    /// Parses a URL query string as Go's `url.ParseQuery` does (`+` is a
    /// space, percent escapes decoded); the first value of a repeated key wins.
    /// Works on the query's bytes: every machine request starts here, and
    /// splitting by Characters cost a tenth of `/ipxe`'s CPU.
    public init(query: String) throws(ParseError) {
        var contiguous = query
        contiguous.makeContiguousUTF8()
        var values: [String: String] = [:]
        values.reserveCapacity(8)
        let failure: ParseError? = contiguous.utf8.withContiguousStorageIfAvailable { bytes -> ParseError? in
            var seenMAC = false
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
                defer { start = end + 1 }
                // Go also splits on ';' historically; modern Go rejects it. Kiln
                // keeps it as part of the value, as iPXE never sends it.
                let part = bytes[start..<end]
                guard !part.isEmpty else { continue }
                let equals = part.firstIndex(of: UInt8(ascii: "="))
                let keyBytes = part[part.startIndex..<(equals ?? part.endIndex)]
                let valueBytes = equals.map { part[($0 + 1)..<part.endIndex] } ?? part[part.endIndex..<part.endIndex]
                guard let key = Self.queryComponent(keyBytes), !key.isEmpty, let value = Self.queryComponent(valueBytes) else { continue }
                if Self.isMACKey(key) {
                    guard !seenMAC else { continue }
                    seenMAC = true
                    // iPXE sends `mac=` when it has no address: treat as absent.
                    if value.isEmpty { continue }
                    guard let mac = MACAddress(value) else { return .malformedMAC(key: key, value: value) }
                    values["mac"] = mac.description
                } else if values[key] == nil {
                    values[key] = value
                }
            }
            return nil
        } ?? nil
        if let failure { throw failure }
        self.values = values
        self.rawQuery = query
    }

    /// One key or value of a query: decoded only when it holds an escape or a `+`.
    private static func queryComponent(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String? {
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        return PercentEncoding.decode(bytes, plusIsSpace: true).map { String(decoding: $0, as: UTF8.self) }
    }

    public subscript(key: String) -> String? { values[key] }

    public var isEmpty: Bool { values.isEmpty }

    private static func isMACKey(_ key: String) -> Bool {
        key.utf8.count == 3 && key.lowercased() == "mac"
    }

    /// The well-known labels first, in the order iPXE sends them, then the
    /// rest sorted: a stable, readable form for logs and error bodies.
    /// Empty values (iPXE sends `domain=` when it has none) are left out.
    public var description: String {
        let wellKnown = ["mac", "uuid", "hostname", "serial", "arch", "domain"]
        var parts: [String] = []
        for key in wellKnown {
            if let value = values[key], !value.isEmpty { parts.append("\(key)=\(value)") }
        }
        for key in values.keys.sorted() where !wellKnown.contains(key) {
            if let value = values[key], !value.isEmpty { parts.append("\(key)=\(value)") }
        }
        return parts.isEmpty ? "(no labels)" : parts.joined(separator: " ")
    }
}

extension Labels: CustomStringConvertible {}
