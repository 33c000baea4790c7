import Foundation
import KilnBMC
import KilnCore
import KilnInventory
import KilnRender

/// What the pages show of a machine, as template data. The overview's
/// tiles and the live updates use the same `tile`, so a tile that moves
/// live reads exactly as a reloaded one would.
enum MachineViews {
    /// A machine's colour: its stage, or `failed` when its latest boot
    /// failed after it began. A machine no group selects is refused by
    /// design and stays `discovered` (its error still shows).
    static func display(_ machine: Machine) -> String {
        machine.lastError != nil && machine.stage > .discovered ? "failed" : machine.stage.description
    }

    static let displayStages = BootStage.allCases.map(\.description) + ["failed"]

    static func tile(_ machine: Machine, now: Date = Date()) -> [String: String] {
        let hostname = machine.labels["hostname"] ?? ""
        return [
            "mac": machine.mac,
            "display": display(machine),
            "stage": machine.stage.description,
            "hostname": HTMLText.short(hostname, 48),
            "hostnameTitle": HTMLText.short(hostname, 300),
            "assigned": assigned(machine),
            "lastSeen": HTMLText.time(machine.lastSeen),
            "lastSeenText": HTMLText.ago(machine.lastSeen, now: now),
            "lastError": HTMLText.short(machine.lastError ?? "", 60),
            "lastErrorTitle": HTMLText.short(machine.lastError ?? "", 300),
        ]
    }

    static func assigned(_ machine: Machine) -> String {
        switch (machine.group, machine.profile) {
        case (nil, nil): return "no group"
        case (let group?, nil): return "\(HTMLText.short(group, 40)) / (missing profile)"
        case (nil, let profile?): return HTMLText.short(profile, 40)
        case (let group?, let profile?): return "\(HTMLText.short(group, 40)) / \(HTMLText.short(profile, 40))"
        }
    }

    /// The labels a stored machine asked with, as the matcher takes them.
    /// Labels the store kept but the matcher refuses are left out of the
    /// match and shown as they are.
    static func labels(_ machine: Machine) -> Labels? {
        var values = machine.labels
        values["mac"] = machine.mac
        return try? Labels(values)
    }

    static func events(_ points: [BootTimeline.Point], earlier: [(BootEvent, BootStage, Int)]) -> [[String: String]] {
        let clock = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        func row(_ event: BootEvent, _ stage: BootStage, _ repeats: Int, _ offset: String) -> [String: String] {
            [
                "class": event.failed ? "failed" : "",
                "time": HTMLText.time(event.time),
                "clock": clock.format(event.time),
                "offset": offset,
                "kind": event.kind.rawValue,
                "endpoint": event.endpoint,
                "target": HTMLText.short(event.target, 200),
                "status": event.status == 0 ? "—" : String(event.status),
                "bytes": event.bytes.map(HTMLText.bytes) ?? "",
                "duration": event.duration.map { HTMLText.seconds($0) } ?? "",
                "stage": stage.description,
                "repeats": repeats > 1 ? String(repeats) : "",
                "reason": HTMLText.short(event.reason ?? "", 300),
            ]
        }
        return earlier.map { row($0.0, $0.1, $0.2, "earlier boot") }
            + points.map { row($0.event, $0.stage, $0.repeats, "+" + HTMLText.seconds($0.offset)) }
    }

    /// A rendered Ignition config, indented, with file contents replaced
    /// by their size when `hideContents` (a config can carry megabytes).
    static func prettyJSON(_ bytes: [UInt8], hideContents: Bool) -> String {
        guard var object = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        if hideContents { object = hidingContents(object) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func hidingContents(_ value: Any) -> Any {
        if var object = value as? [String: Any] {
            for (key, inner) in object {
                if key == "source", let text = inner as? String, text.hasPrefix("data:") {
                    object[key] = "(\(HTMLText.count(text.utf8.count)) characters of data URL hidden)"
                } else {
                    object[key] = hidingContents(inner)
                }
            }
            return object
        }
        if let array = value as? [Any] { return array.map(hidingContents) }
        return value
    }

    /// A machine's BMC as the page shows it: where it is and what it said
    /// about the hardware, never the account.
    static func bmc(_ record: BMCRecord) -> [String: Any] {
        var section: [String: Any] = [
            "url": HTMLText.short(record.url, 300), "trust": record.insecure ? "off (insecure)" : record.caPEM == nil ? "system CAs" : "its own CA",
            "factsRead": record.factsRead.map { HTMLText.time($0) } ?? "not yet",
        ]
        section["systemPath"] = record.systemPath.map { HTMLText.short($0, 300) }
        if let facts = record.facts {
            var parts = [facts.manufacturer, facts.model].compactMap { $0 }
            if let serial = facts.serial { parts.append("serial \(serial)") }
            if let bios = facts.biosVersion { parts.append("BIOS \(bios)") }
            if let cpus = facts.cpuCount { parts.append("\(cpus) CPU(s)") }
            if let memory = facts.memoryGiB { parts.append("\(memory.formatted()) GiB") }
            if let power = facts.powerState { parts.append("power \(power)") }
            section["hardware"] = HTMLText.short(parts.joined(separator: ", "), 1000)
            section["nics"] = HTMLText.short(facts.macs.joined(separator: ", "), 1000)
        } else {
            section["hardware"] = "unknown: press Read facts"
            section["nics"] = ""
        }
        if let pending = record.pendingEject {
            section["pendingEject"] = HTMLText.short("\(pending.image), at config or by \(HTMLText.time(pending.deadline))", 1000)
        }
        return section
    }
}
