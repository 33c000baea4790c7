/// Where an etcd-backed store lives: `etcd://HOST:PORT[,HOST:PORT…]/PREFIX`
/// (`etcds://` for TLS). Every key Kiln writes starts with the prefix, so
/// several Kiln sites, or Kiln beside other users, can share one cluster.
public struct EtcdAddress: Sendable, Equatable, CustomStringConvertible {
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public var endpoints: [Endpoint]
    /// Starts with `/` and does not end with one (`/kiln`).
    public var prefix: String
    public var tls: Bool

    public static let defaultPort = 2379

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(Refusal) {
        let scheme: String
        if text.hasPrefix("etcd://") {
            scheme = "etcd://"
            tls = false
        } else if text.hasPrefix("etcds://") {
            scheme = "etcds://"
            tls = true
        } else {
            throw Refusal(description: "store \"\(text.prefix(100))\" is not etcd://HOST:PORT[,HOST:PORT…]/PREFIX (or etcds:// for TLS)")
        }
        let rest = text.dropFirst(scheme.count)
        let hostsPart = rest.prefix { $0 != "/" }
        var prefix = String(rest.dropFirst(hostsPart.count))
        while prefix.hasSuffix("/") { prefix.removeLast() }
        guard !prefix.isEmpty else {
            throw Refusal(description: "store \(text) names no key prefix: add one, as in etcd://127.0.0.1:2379/kiln")
        }
        guard prefix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }), !prefix.contains("//"),
              !prefix.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) else {
            throw Refusal(description: "store prefix \(prefix.prefix(100)) must be printable ASCII path components without . or ..")
        }
        var endpoints: [Endpoint] = []
        for part in hostsPart.split(separator: ",", omittingEmptySubsequences: false) {
            guard let endpoint = Self.endpoint(String(part)) else {
                throw Refusal(description: "store endpoint \"\(part.prefix(100))\" is not HOST:PORT")
            }
            endpoints.append(endpoint)
        }
        guard !endpoints.isEmpty else { throw Refusal(description: "store \(text) names no etcd endpoint") }
        self.endpoints = endpoints
        self.prefix = prefix
    }

    private static func endpoint(_ text: String) -> Endpoint? {
        var host: String
        var portText: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = String(after.dropFirst()) } else if !after.isEmpty { return nil }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            host = String(parts[0])
            if parts.count == 2 { portText = String(parts[1]) }
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") }) else { return nil }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { return nil }
            port = value
        }
        return Endpoint(host: host, port: port)
    }

    public var description: String {
        (tls ? "etcds://" : "etcd://") + endpoints.map(\.description).joined(separator: ",") + prefix
    }
}
