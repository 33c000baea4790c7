import NIOSSL

/// How to reach one BMC: its Redfish URL, which system when it manages
/// several, the account, and how to trust its certificate.
public struct RedfishEndpoint: Sendable, Equatable {
    public enum Trust: Sendable, Equatable {
        /// The system's CA bundle.
        case system
        /// A CA certificate (PEM) the BMC's certificate must chain to.
        case caFile(String)
        /// The same, given as the PEM text itself (what Kiln stores per BMC).
        case caPEM(String)
        /// No certificate check at all: only where the operator said so.
        case insecure
    }

    /// `https://bmc.example` (a path after the host is ignored; Redfish lives at `/redfish/v1`).
    public var url: String
    /// `/redfish/v1/Systems/…` when the BMC manages more than one system.
    public var systemPath: String?
    public var username: String
    public var password: String
    public var trust: Trust

    public init(url: String, systemPath: String? = nil, username: String, password: String, trust: Trust = .system) {
        self.url = url
        self.systemPath = systemPath
        self.username = username
        self.password = password
        self.trust = trust
    }

    /// Scheme, host and port only; an error for anything that is not an http(s) URL with a host.
    func origin() throws(RedfishError) -> String {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://") else {
            throw .badEndpoint("BMC URL \(url) must start with https:// (or http:// for an emulator)")
        }
        let afterScheme = url[url.index(url.startIndex, offsetBy: lowered.hasPrefix("https://") ? 8 : 7)...]
        let host = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !host.contains("@"), !host.contains(where: { $0 == " " || $0 == "\\" }) else {
            throw .badEndpoint("BMC URL \(url) has no usable host (credentials go in their own fields, not the URL)")
        }
        return String(url[..<afterScheme.startIndex]) + host
    }

    /// Scheme, host and port, for grouping and messages.
    public func originForDisplay() throws(RedfishError) -> String { try origin() }

    /// Checks the URL and the system path without contacting the BMC.
    public func validate() throws(RedfishError) {
        _ = try origin()
        _ = try checkedSystemPath()
    }

    /// A system path must be a Redfish path on the BMC, nothing else.
    func checkedSystemPath() throws(RedfishError) -> String? {
        guard let systemPath else { return nil }
        guard systemPath.hasPrefix("/redfish/v1/Systems/"), !systemPath.contains(".."), !systemPath.contains("?"),
              !systemPath.contains("#"), systemPath.utf8.count < 512 else {
            throw .badEndpoint("system path \(systemPath) must be a /redfish/v1/Systems/… path")
        }
        return systemPath
    }
}

extension RedfishEndpoint {
    /// Why `pem` cannot serve as a BMC's CA, or nil when it can.
    public static func problemWithCA(_ pem: String) -> String? {
        do {
            let certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
            return certificates.isEmpty ? "the CA file holds no PEM certificate" : nil
        } catch {
            return "the CA file is not a PEM certificate: \(error)"
        }
    }
}
