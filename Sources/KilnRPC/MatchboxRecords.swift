import Foundation
import KilnCore

/// matchbox's records as its API carries them, and as Kiln's data
/// directory stores them: a group or profile put through gRPC is written as
/// the JSON file matchbox would have written, so it loads, serves and reads
/// back like any file in `groups/` or `profiles/`.
enum MatchboxRecords {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// The file for a group: `{"id", "name", "profile", "selector", "metadata"}`,
    /// empty fields left out as matchbox leaves them out.
    static func document(for group: Storagepb_Group) throws(Invalid) -> [UInt8] {
        guard !group.id.isEmpty else { throw Invalid(description: "group id is required") }
        guard !group.profile.isEmpty else { throw Invalid(description: "group \(group.id) requires a profile") }
        var object: [String: Any] = ["id": group.id, "profile": group.profile]
        if !group.name.isEmpty { object["name"] = group.name }
        if !group.selector.isEmpty { object["selector"] = group.selector }
        if !group.metadata.isEmpty {
            guard let metadata = try? JSONSerialization.jsonObject(with: group.metadata) as? [String: Any] else {
                throw Invalid(description: "group \(group.id): metadata must be a JSON object")
            }
            if !metadata.isEmpty { object["metadata"] = metadata }
        }
        return try encode(object)
    }

    /// The file for a profile. `boot` is written whenever the request has
    /// one, even empty, as matchbox does.
    static func document(for profile: Storagepb_Profile) throws(Invalid) -> [UInt8] {
        guard !profile.id.isEmpty else { throw Invalid(description: "profile id is required") }
        var object: [String: Any] = ["id": profile.id]
        if !profile.name.isEmpty { object["name"] = profile.name }
        if !profile.ignitionID.isEmpty { object["ignition_id"] = profile.ignitionID }
        if !profile.cloudID.isEmpty { object["cloud_id"] = profile.cloudID }
        if !profile.genericID.isEmpty { object["generic_id"] = profile.genericID }
        if profile.hasBoot {
            var boot: [String: Any] = [:]
            if !profile.boot.kernel.isEmpty { boot["kernel"] = profile.boot.kernel }
            if !profile.boot.initrd.isEmpty { boot["initrd"] = profile.boot.initrd }
            if !profile.boot.args.isEmpty { boot["args"] = profile.boot.args }
            object["boot"] = boot
        }
        return try encode(object)
    }

    private static func encode(_ object: [String: Any]) throws(Invalid) -> [UInt8] {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            return [UInt8](data) + [UInt8(ascii: "\n")]
        } catch {
            throw Invalid(description: "cannot encode the record: \(error)")
        }
    }

    /// A loaded group as matchbox answers it: metadata as compact JSON
    /// with sorted keys (Go's encoding of a map).
    static func message(for group: Group) -> Storagepb_Group {
        var message = Storagepb_Group()
        message.id = group.id
        message.name = group.name
        message.profile = group.profile
        message.selector = group.selector
        if !group.metadata.isEmpty { message.metadata = Data(JSONValue.object(group.metadata).jsonText.utf8) }
        return message
    }

    /// A loaded profile; `boot` is always set, empty when the profile has
    /// none (terraform-provider-matchbox reads its fields unconditionally).
    static func message(for profile: Profile) -> Storagepb_Profile {
        var message = Storagepb_Profile()
        message.id = profile.id
        message.name = profile.name
        message.ignitionID = profile.ignitionID ?? ""
        message.cloudID = profile.cloudID ?? ""
        message.genericID = profile.genericID ?? ""
        var boot = Storagepb_NetBoot()
        if let config = profile.boot {
            boot.kernel = config.kernel
            boot.initrd = config.initrd
            boot.args = config.args
        }
        message.boot = boot
        return message
    }
}
