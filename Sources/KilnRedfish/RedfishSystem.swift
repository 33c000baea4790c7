import Foundation
import KilnCore

/// What a BMC says about the machine it manages.
public struct HardwareFacts: Sendable, Equatable, Codable {
    public var manufacturer: String?
    public var model: String?
    public var serial: String?
    public var biosVersion: String?
    public var uuid: String?
    public var cpuCount: Int?
    public var memoryGiB: Double?
    /// The NICs' MAC addresses, lowercase with colons, in the BMC's order.
    public var macs: [String]
    public var powerState: String?
}

public enum PowerState: String, Sendable, Equatable {
    case on = "On", off = "Off", poweringOn = "PoweringOn", poweringOff = "PoweringOff", unknown
}

public enum BootDevice: String, Sendable, Equatable, CaseIterable {
    case pxe, cd, disk

    /// Redfish's BootSourceOverrideTarget for this device.
    var redfishTarget: String {
        switch self {
        case .pxe: "Pxe"
        case .cd: "Cd"
        case .disk: "Hdd"
        }
    }
}

/// What the BMC did with a request, when it did not do exactly what was
/// asked but did enough (a BMC that keeps a boot override `Continuous`).
public struct ActionOutcome: Sendable, Equatable {
    public var summary: String
    public var notes: [String] = []
}

/// One system on a BMC, found by reading the BMC's own resources: the
/// system's `VirtualMedia` link or its manager's, the reset types and boot
/// targets it lists, never a vendor's name.
public struct RedfishSystem: Sendable {
    let client: RedfishClient
    public let path: String

    /// The system the endpoint names, or the only one the BMC manages.
    public static func find(_ client: RedfishClient) async throws(RedfishError) -> RedfishSystem {
        if let path = try client.endpoint.checkedSystemPath() {
            _ = try await client.get(path)
            return RedfishSystem(client: client, path: path)
        }
        let root = try await client.get("/redfish/v1/")
        guard let systems = link(root["Systems"]) else { throw .missing("a Systems collection at /redfish/v1/") }
        let members = try await client.get(systems)["Members"].flatMap(links) ?? []
        guard members.count == 1, let only = members.first else {
            throw members.isEmpty ? .missing("any system in \(systems)")
                : .badEndpoint("the BMC manages \(members.count) systems (\(members.joined(separator: ", "))); name one with the system path")
        }
        return RedfishSystem(client: client, path: only)
    }

    func resource() async throws(RedfishError) -> [String: JSONValue] {
        try await client.get(path)
    }

    public func powerState() async throws(RedfishError) -> PowerState {
        PowerState(rawValue: try await resource()["PowerState"]?.stringValue ?? "") ?? .unknown
    }

    public func facts() async throws(RedfishError) -> HardwareFacts {
        let system = try await resource()
        var facts = HardwareFacts(macs: [])
        facts.manufacturer = system["Manufacturer"]?.stringValue
        facts.model = system["Model"]?.stringValue
        facts.serial = system["SerialNumber"]?.stringValue
        facts.biosVersion = system["BiosVersion"]?.stringValue
        facts.uuid = system["UUID"]?.stringValue
        facts.powerState = system["PowerState"]?.stringValue
        if case .number(let count)? = system["ProcessorSummary"]?.objectValue?["Count"] { facts.cpuCount = Int(count) }
        if case .number(let memory)? = system["MemorySummary"]?.objectValue?["TotalSystemMemoryGiB"] { facts.memoryGiB = memory }
        if let interfaces = Self.link(system["EthernetInterfaces"]) {
            for member in try await client.get(interfaces)["Members"].flatMap(Self.links) ?? [] {
                let nic = try await client.get(member)
                let text = nic["PermanentMACAddress"]?.stringValue ?? nic["MACAddress"]?.stringValue ?? ""
                if let mac = MACAddress(text), !facts.macs.contains(mac.description) { facts.macs.append(mac.description) }
            }
        }
        return facts
    }

    // MARK: power

    /// Sends one reset; `choices` in order of preference, the first the BMC lists wins
    /// (a BMC that lists none is sent the first).
    @discardableResult
    func reset(_ choices: [String]) async throws(RedfishError) -> String {
        let system = try await resource()
        guard let action = system["Actions"]?.objectValue?["#ComputerSystem.Reset"]?.objectValue,
              let target = action["target"]?.stringValue else {
            throw .notSupported("ComputerSystem.Reset on \(path)")
        }
        var allowed: [String] = []
        if case .array(let values)? = action["ResetType@Redfish.AllowableValues"] { allowed = values.compactMap(\.stringValue) }
        guard let type = allowed.isEmpty ? choices.first : choices.first(where: allowed.contains) else {
            throw .notSupported("any of the resets \(choices.joined(separator: ", ")) (it lists \(allowed.joined(separator: ", ")))")
        }
        try await client.write(.POST, target, ["ResetType": type])
        return type
    }

    /// Polls until the power state is `wanted`, for at most `wait`.
    func waitForPower(_ wanted: PowerState, within wait: Duration) async throws(RedfishError) -> Bool {
        let deadline = ContinuousClock.now + wait
        while true {
            if try await powerState() == wanted { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: client.timing.pollInterval)
        }
    }

    public func powerOn(wait: Duration = .seconds(60)) async throws(RedfishError) -> ActionOutcome {
        if try await powerState() == .on { return ActionOutcome(summary: "already on") }
        let type = try await reset(["On", "ForceOn", "PushPowerButton"])
        guard try await waitForPower(.on, within: wait) else { throw .waitExpired("\(type) sent; the system was not on after \(wait)") }
        return ActionOutcome(summary: "on (\(type))")
    }

    /// Graceful shutdown first; forced off when the system is still on after `grace`.
    public func powerOff(grace: Duration = .seconds(60), wait: Duration = .seconds(30)) async throws(RedfishError) -> ActionOutcome {
        if try await powerState() == .off { return ActionOutcome(summary: "already off") }
        if let graceful = try? await reset(["GracefulShutdown"]), try await waitForPower(.off, within: grace) {
            return ActionOutcome(summary: "off (\(graceful))")
        }
        let forced = try await reset(["ForceOff"])
        guard try await waitForPower(.off, within: wait) else { throw .waitExpired("\(forced) sent; the system was not off after \(wait)") }
        return ActionOutcome(summary: "off (\(forced) after \(grace) without a graceful shutdown)")
    }

    /// A machine that is off is powered on; one that is on is restarted.
    public func powerCycle(wait: Duration = .seconds(60)) async throws(RedfishError) -> ActionOutcome {
        if try await powerState() == .off { return try await powerOn(wait: wait) }
        let type = try await reset(["PowerCycle", "ForceRestart", "GracefulRestart"])
        return ActionOutcome(summary: "cycled (\(type))")
    }

    // MARK: boot device

    /// The next boot only, where the BMC allows it; read back to confirm.
    public func bootOnce(_ device: BootDevice) async throws(RedfishError) -> ActionOutcome {
        let boot = try await resource()["Boot"]?.objectValue ?? [:]
        var targets: [String] = []
        if case .array(let values)? = boot["BootSourceOverrideTarget@Redfish.AllowableValues"] { targets = values.compactMap(\.stringValue) }
        guard targets.isEmpty || targets.contains(device.redfishTarget) else {
            throw .notSupported("booting from \(device.redfishTarget) (it lists \(targets.joined(separator: ", ")))")
        }
        var modes: [String] = []
        if case .array(let values)? = boot["BootSourceOverrideEnabled@Redfish.AllowableValues"] { modes = values.compactMap(\.stringValue) }
        let enabled = modes.isEmpty || modes.contains("Once") ? "Once" : "Continuous"
        try await client.write(.PATCH, path, ["Boot": ["BootSourceOverrideEnabled": enabled, "BootSourceOverrideTarget": device.redfishTarget]])
        let after = try await resource()["Boot"]?.objectValue ?? [:]
        guard after["BootSourceOverrideTarget"]?.stringValue == device.redfishTarget else {
            throw .waitExpired("the BMC accepted the boot override but shows target \(after["BootSourceOverrideTarget"]?.stringValue ?? "none")")
        }
        var outcome = ActionOutcome(summary: "next boot from \(device.redfishTarget)")
        let kept = after["BootSourceOverrideEnabled"]?.stringValue ?? enabled
        if kept != "Once" {
            outcome.notes.append("the BMC keeps the override \(kept), not Once: every boot will use \(device.redfishTarget) until it is changed")
        }
        return outcome
    }

    // MARK: virtual media

    /// The CD or DVD drive: from the system's own VirtualMedia link, else its managers'.
    func cdDrive() async throws(RedfishError) -> (path: String, resource: [String: JSONValue]) {
        let system = try await resource()
        var collections: [String] = []
        if let own = Self.link(system["VirtualMedia"]) { collections.append(own) }
        for manager in system["Links"]?.objectValue?["ManagedBy"].flatMap(Self.links) ?? [] {
            if let media = Self.link(try await client.get(manager)["VirtualMedia"]), !collections.contains(media) { collections.append(media) }
        }
        for collection in collections {
            for member in try await client.get(collection)["Members"].flatMap(Self.links) ?? [] {
                let drive = try await client.get(member)
                var types: [String] = []
                if case .array(let values)? = drive["MediaTypes"] { types = values.compactMap(\.stringValue) }
                if types.contains("CD") || types.contains("DVD") { return (member, drive) }
            }
        }
        throw .notSupported("virtual media with a CD or DVD drive for \(path)")
    }

    public func insertMedia(_ imageURL: String) async throws(RedfishError) -> ActionOutcome {
        var (drive, resource) = try await cdDrive()
        if case .bool(true)? = resource["Inserted"] {
            _ = try await ejectMedia()
            resource = try await client.get(drive)
        }
        if let target = resource["Actions"]?.objectValue?["#VirtualMedia.InsertMedia"]?.objectValue?["target"]?.stringValue {
            try await client.write(.POST, target, ["Image": imageURL, "Inserted": true, "WriteProtected": true])
        } else {
            try await client.write(.PATCH, drive, ["Image": imageURL, "Inserted": true])
        }
        let after = try await client.get(drive)
        guard after["Image"]?.stringValue == imageURL else {
            throw .waitExpired("the BMC accepted the media but shows image \(after["Image"]?.stringValue ?? "none") in \(drive)")
        }
        return ActionOutcome(summary: "inserted \(imageURL) in \(drive)")
    }

    public func ejectMedia() async throws(RedfishError) -> ActionOutcome {
        let (drive, resource) = try await cdDrive()
        guard case .bool(true)? = resource["Inserted"] else { return ActionOutcome(summary: "nothing inserted in \(drive)") }
        if let target = resource["Actions"]?.objectValue?["#VirtualMedia.EjectMedia"]?.objectValue?["target"]?.stringValue {
            try await client.write(.POST, target, [:])
        } else {
            try await client.write(.PATCH, drive, ["Image": NSNull(), "Inserted": false])
        }
        return ActionOutcome(summary: "ejected from \(drive)")
    }

    // MARK: links

    static func link(_ value: JSONValue?) -> String? {
        value?.objectValue?["@odata.id"]?.stringValue
    }

    static func links(_ value: JSONValue) -> [String] {
        guard case .array(let members) = value else { return [] }
        return members.compactMap { link($0) }
    }
}
