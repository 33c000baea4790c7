import Foundation
import KilnInventory

/// Boot events and machine records as the JSON values kept in etcd.
/// Times are seconds since 1970 as numbers; absent fields are left out.
enum EventCodec {
    static func encode(_ entry: InventoryEntry, replica: String) -> [UInt8] {
        let event = entry.event
        var object: [String: Any] = [
            "mac": entry.mac, "time": event.time.timeIntervalSince1970, "kind": event.kind.rawValue, "endpoint": event.endpoint,
            "target": event.target, "status": event.status, "labels": event.labels, "reached": entry.reached.description,
            "startsBoot": entry.startsBoot, "replica": replica,
        ]
        object["client"] = event.client
        object["bytes"] = event.bytes
        object["duration"] = event.duration
        object["reason"] = event.reason
        object["group"] = event.group
        object["profile"] = event.profile
        let bytes = serialize(object)
        guard bytes.count > maxValueBytes else { return bytes }
        // Labels come from the network: a huge one must not make a
        // transaction etcd refuses (1.5 MiB a request by default).
        object["labels"] = shortened(event.labels)
        object["reason"] = event.reason.map { String($0.prefix(1024)) }
        object["target"] = String(event.target.prefix(1024))
        return serialize(object)
    }

    /// The most one event's value takes in etcd.
    static let maxValueBytes = 16 << 10

    static func shortened(_ labels: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for key in labels.keys.sorted().prefix(32) {
            result[String(key.prefix(64))] = String(labels[key]!.prefix(256))
        }
        return result
    }

    static func encode(_ machine: Machine, replica: String) -> [UInt8] {
        var object: [String: Any] = [
            "mac": machine.mac, "firstSeen": machine.firstSeen.timeIntervalSince1970, "lastSeen": machine.lastSeen.timeIntervalSince1970,
            "labels": machine.labels, "stage": machine.stage.description, "replica": replica,
        ]
        object["group"] = machine.group
        object["profile"] = machine.profile
        object["lastError"] = machine.lastError
        object["address"] = machine.address
        let bytes = serialize(object)
        guard bytes.count > maxValueBytes else { return bytes }
        object["labels"] = shortened(machine.labels)
        object["lastError"] = machine.lastError.map { String($0.prefix(1024)) }
        return serialize(object)
    }

    private static func serialize(_ object: [String: Any]) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { [UInt8]($0) } ?? Array("{}".utf8)
    }

    /// An entry and the replica that wrote it; nil for a value that is not
    /// one (written by something else, or damaged): it is skipped.
    static func decodeEntry(_ bytes: [UInt8]) -> (InventoryEntry, String)? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
              let mac = object["mac"] as? String, let time = object["time"] as? Double,
              let kind = (object["kind"] as? String).flatMap(BootEvent.Kind.init(rawValue:)),
              let endpoint = object["endpoint"] as? String, let target = object["target"] as? String,
              let status = object["status"] as? Int, let reached = (object["reached"] as? String).flatMap(BootStage.init(name:)),
              let replica = object["replica"] as? String
        else { return nil }
        let labels = (object["labels"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        let event = BootEvent(time: Date(timeIntervalSince1970: time), kind: kind, mac: mac, client: object["client"] as? String,
                              endpoint: endpoint, target: target, status: status, bytes: object["bytes"] as? Int,
                              duration: object["duration"] as? Double, reason: object["reason"] as? String, labels: labels,
                              group: object["group"] as? String, profile: object["profile"] as? String)
        return (InventoryEntry(event: event, mac: mac, reached: reached, startsBoot: object["startsBoot"] as? Bool ?? false), replica)
    }

    /// A machine record's fields, for `kiln store status` and export.
    static func decodeMachine(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }
}
