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
    public init(query: String) throws(ParseError) {
        var pairs: [String: String] = [:]
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            // Go also splits on ';' historically; modern Go rejects it. Kiln
            // keeps it as part of the value, as iPXE never sends it.
            let key: Substring
            let value: Substring
            if let eq = part.firstIndex(of: "=") {
                key = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                key = part
                value = ""
            }
            guard let decodedKey = Self.percentDecode(key), !decodedKey.isEmpty,
                let decodedValue = Self.percentDecode(value)
            else { continue }
            if pairs[decodedKey] == nil { pairs[decodedKey] = decodedValue }
        }
        try self.init(pairs, rawQuery: query)
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

    static func percentDecode(_ text: Substring) -> String? {
        PercentEncoding.decode(text, plusIsSpace: true).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Labels: CustomStringConvertible {}
