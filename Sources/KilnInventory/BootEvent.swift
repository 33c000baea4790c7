import Foundation

/// One thing a machine asked Kiln for, and what it got: a DHCP answer or
/// silence, a TFTP transfer, an HTTP request.
public struct BootEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case dhcp, tftp, http
        /// An action Kiln took through the machine's BMC, with the BMC's answer.
        case bmc
    }

    public var time: Date
    public var kind: Kind
    /// Lowercase, colon-separated; nil when the request carried none (the
    /// recorder ties it through the client address).
    public var mac: String?
    /// The client's IP address.
    public var client: String?
    /// The HTTP endpoint name (`ipxe`, `assets`, …), `dhcp` or `tftp`.
    public var endpoint: String
    /// The HTTP path, the TFTP file, or the DHCP answer's boot file.
    public var target: String
    /// HTTP status; for DHCP and TFTP, 200 for an answer or a complete
    /// transfer, 404 for a boot client left unanswered (no group, no first
    /// stage), 500 for a failed or refused transfer, 0 for one the client
    /// ended (EDK2 ends its first, size-probing request on purpose).
    public var status: Int
    public var bytes: Int?
    public var duration: Double?
    /// Why it failed or got no answer.
    public var reason: String?
    public var labels: [String: String]
    public var group: String?
    public var profile: String?

    public init(time: Date = Date(), kind: Kind, mac: String? = nil, client: String? = nil, endpoint: String, target: String,
                status: Int, bytes: Int? = nil, duration: Double? = nil, reason: String? = nil, labels: [String: String] = [:],
                group: String? = nil, profile: String? = nil) {
        self.time = time
        self.kind = kind
        self.mac = mac
        self.client = client
        self.endpoint = endpoint
        self.target = target
        self.status = status
        self.bytes = bytes
        self.duration = duration
        self.reason = reason
        self.labels = labels
        self.group = group
        self.profile = profile
    }

    public var succeeded: Bool { (200..<400).contains(status) }
    /// Kiln refused or failed it: the machine's last error.
    public var failed: Bool { status >= 400 }
}

/// A machine as the inventory knows it.
public struct Machine: Sendable, Equatable {
    public var mac: String
    public var firstSeen: Date
    public var lastSeen: Date
    /// The labels of its latest labelled request (uuid, hostname, serial, arch…).
    public var labels: [String: String]
    public var group: String?
    public var profile: String?
    /// The furthest stage of its latest boot.
    public var stage: BootStage
    public var lastError: String?
    /// The client address it was last seen at.
    public var address: String?

    public init(mac: String, firstSeen: Date, lastSeen: Date, labels: [String: String], group: String?, profile: String?, stage: BootStage,
                lastError: String?, address: String?) {
        self.mac = mac
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.labels = labels
        self.group = group
        self.profile = profile
        self.stage = stage
        self.lastError = lastError
        self.address = address
    }
}
