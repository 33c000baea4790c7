import Foundation
import KilnRedfish

/// One machine's BMC as Kiln keeps it: how to reach it, the account (the
/// secret part, never shown), what it last said about the hardware, and a
/// virtual-media eject still owed.
public struct BMCRecord: Sendable, Equatable, Codable {
    public var mac: String
    public var url: String
    public var systemPath: String?
    public var username: String
    public var password: String
    /// PEM of the CA the BMC's certificate must chain to; nil with
    /// `insecure` false means the system's CA bundle.
    public var caPEM: String?
    public var insecure: Bool
    public var added: Date
    public var facts: HardwareFacts?
    public var factsRead: Date?
    public var pendingEject: PendingEject?

    /// An install-iso left its image in the drive: eject it when the
    /// machine reaches `config` after `since`, or at `deadline`.
    public struct PendingEject: Sendable, Equatable, Codable {
        public var image: String
        public var since: Date
        public var deadline: Date
        public var failures: Int
    }

    public init(mac: String, url: String, systemPath: String? = nil, username: String, password: String, caPEM: String? = nil,
                insecure: Bool = false, added: Date = Date()) {
        self.mac = mac
        self.url = url
        self.systemPath = systemPath
        self.username = username
        self.password = password
        self.caPEM = caPEM
        self.insecure = insecure
        self.added = added
    }

    enum CodingKeys: String, CodingKey {
        case mac, url, systemPath = "system_path", username, password, caPEM = "ca_pem", insecure, added, facts
        case factsRead = "facts_read", pendingEject = "pending_eject"
    }

    public var endpoint: RedfishEndpoint {
        let trust: RedfishEndpoint.Trust = insecure ? .insecure : caPEM.map { .caPEM($0) } ?? .system
        return RedfishEndpoint(url: url, systemPath: systemPath, username: username, password: password, trust: trust)
    }

    /// Which BMC this is, for the one-action-at-a-time rule: two machines
    /// behind one BMC (a chassis) share it.
    public var bmcKey: String { (try? endpoint.originForDisplay()) ?? url }

    /// What the API, the CLI and the dashboard may show: no account, no password.
    public var publicView: [String: Any] {
        var view: [String: Any] = [
            "mac": mac, "url": url, "trust": insecure ? "insecure" : caPEM == nil ? "system" : "ca",
            "added": added.formatted(.iso8601),
        ]
        view["system_path"] = systemPath ?? NSNull()
        view["facts"] = facts.map(Self.factsObject) ?? NSNull()
        view["facts_read"] = factsRead.map { $0.formatted(.iso8601) } ?? NSNull()
        if let pendingEject {
            view["pending_eject"] = ["image": pendingEject.image, "since": pendingEject.since.formatted(.iso8601),
                                     "deadline": pendingEject.deadline.formatted(.iso8601)]
        } else {
            view["pending_eject"] = NSNull()
        }
        return view
    }

    public static func factsObject(_ facts: HardwareFacts) -> [String: Any] {
        var object: [String: Any] = ["macs": facts.macs]
        object["manufacturer"] = facts.manufacturer ?? NSNull()
        object["model"] = facts.model ?? NSNull()
        object["serial"] = facts.serial ?? NSNull()
        object["bios_version"] = facts.biosVersion ?? NSNull()
        object["uuid"] = facts.uuid ?? NSNull()
        object["cpu_count"] = facts.cpuCount ?? NSNull()
        object["memory_gib"] = facts.memoryGiB ?? NSNull()
        object["power_state"] = facts.powerState ?? NSNull()
        return object
    }
}
