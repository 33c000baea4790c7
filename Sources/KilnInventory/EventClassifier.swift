import Foundation
import KilnCore

/// Ties each event to a machine and the stage it shows. Label-less
/// requests (TFTP, `/boot.ipxe`, assets) are tied by client address: the
/// last MAC seen from it, else the host's neighbour table. Pure apart from
/// that lookup, and owned by the recorder's one writer task.
public struct EventClassifier: Sendable {
    var macByAddress: [String: String] = [:]
    var profileByMAC: [String: String] = [:]
    /// The neighbour table (/proc/net/arp): address → MAC.
    let neighbours: @Sendable () -> [String: String]
    /// Read at most once a batch, when an address is not known otherwise.
    var neighbourSnapshot: [String: String]?
    /// Remembered addresses and profiles at most; the oldest half goes when full.
    static let memory = 65_536

    public init(neighbours: @escaping @Sendable () -> [String: String] = NeighbourTable.read) {
        self.neighbours = neighbours
    }

    /// A batch begins: the neighbour table may have changed since the last.
    public mutating func beginBatch() {
        neighbourSnapshot = nil
    }

    public mutating func classify(_ event: BootEvent, catalog: Catalog?) -> InventoryEntry? {
        var mac = event.mac
        // Firmware asks for an address from none: 0.0.0.0 ties nothing.
        let client = event.client == "0.0.0.0" ? nil : event.client
        if let known = mac, let client {
            Self.remember(&macByAddress, client, known)
        } else if mac == nil, let client {
            if let known = macByAddress[client] {
                mac = known
            } else {
                if neighbourSnapshot == nil { neighbourSnapshot = neighbours() }
                mac = neighbourSnapshot?[client]
            }
        }
        guard let mac else { return nil }
        if let profile = event.profile { Self.remember(&profileByMAC, mac, profile) }
        let (reached, startsBoot) = stage(of: event, mac: mac, catalog: catalog)
        return InventoryEntry(event: event, mac: mac, reached: reached, startsBoot: startsBoot)
    }

    private func stage(of event: BootEvent, mac: String, catalog: Catalog?) -> (BootStage, Bool) {
        switch event.kind {
        case .dhcp:
            // iPXE's own DHCP (answered with the boot script) is part of the
            // boot the firmware began.
            return (.discovered, !event.target.hasSuffix("/boot.ipxe"))
        case .bmc:
            // Kiln acted on the machine; the machine itself asked nothing.
            return (.discovered, false)
        case .tftp:
            return event.succeeded ? (.firmware, true) : (.discovered, false)
        case .http:
            guard event.succeeded else { return (.discovered, false) }
            switch event.endpoint {
            case "boot.ipxe": return (.ipxe, true)
            case "ipxe", "grub", "metadata": return (.ipxe, false)
            case "ignition", "generic", "cloud": return (.config, false)
            case "assets": return asset(event.target, profile: event.profile ?? profileByMAC[mac], catalog: catalog)
            default: return (.discovered, false)
            }
        }
    }

    /// A kernel or initrd is known by the profile's boot paths; a file
    /// under `/assets/ipxe/` is a first stage fetched over HTTP.
    private func asset(_ path: String, profile: String?, catalog: Catalog?) -> (BootStage, Bool) {
        if path.hasPrefix("/assets/ipxe/") { return (.firmware, true) }
        guard let profile, let boot = catalog?.profiles[profile]?.boot else { return (.discovered, false) }
        if Self.path(of: boot.kernel) == path { return (.kernel, false) }
        // iPXE initrd lines may carry options before the URL (--name main /assets/i).
        if boot.initrd.contains(where: { Self.path(of: $0.split(separator: " ").last.map(String.init) ?? $0) == path }) {
            return (.initrd, false)
        }
        return (.discovered, false)
    }

    /// The path of an absolute or relative URL, without its query.
    static func path(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        return String(rest)
    }

    /// Static, so updating a map never copies `self` (and with it the map).
    private static func remember(_ map: inout [String: String], _ key: String, _ value: String) {
        if map.count >= Self.memory, map[key] == nil {
            for stale in map.keys.prefix(Self.memory / 2) { map.removeValue(forKey: stale) }
        }
        map[key] = value
    }
}

/// The kernel's neighbour table, for on-link clients that never sent a MAC.
public enum NeighbourTable {
    @Sendable public static func read() -> [String: String] {
        guard let table = try? String(contentsOfFile: "/proc/net/arp", encoding: .utf8) else { return [:] }
        var neighbours: [String: String] = [:]
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4, fields[3] != "00:00:00:00:00:00" else { continue }
            neighbours[String(fields[0])] = fields[3].lowercased()
        }
        return neighbours
    }
}
