/// A Butane variant and version, and what it translates to.
struct ButaneSpec: Sendable {
    enum Variant: String, Sendable, CaseIterable {
        case fcos
        case flatcar
        /// RHEL for Edge, and Fedora IoT: the OS image is fixed, so their
        /// specs leave out everything that lays out disks.
        case r4e
        case fiot
    }

    let variant: Variant
    let version: String
    /// The Ignition 3.x minor version this spec produces.
    let ignitionMinor: Int

    var ignitionVersion: String { "3.\(ignitionMinor).0" }
    var name: String { "\(variant.rawValue) \(version)" }

    static let all: [ButaneSpec] = [
        ButaneSpec(variant: .fcos, version: "1.0.0", ignitionMinor: 0),
        ButaneSpec(variant: .fcos, version: "1.1.0", ignitionMinor: 1),
        ButaneSpec(variant: .fcos, version: "1.2.0", ignitionMinor: 2),
        ButaneSpec(variant: .fcos, version: "1.3.0", ignitionMinor: 2),
        ButaneSpec(variant: .fcos, version: "1.4.0", ignitionMinor: 3),
        ButaneSpec(variant: .fcos, version: "1.5.0", ignitionMinor: 4),
        ButaneSpec(variant: .fcos, version: "1.6.0", ignitionMinor: 5),
        // Stable since Butane 0.27.0 (2026-02); Ignition 3.6.0 has 3.5.0's fields.
        ButaneSpec(variant: .fcos, version: "1.7.0", ignitionMinor: 6),
        ButaneSpec(variant: .flatcar, version: "1.0.0", ignitionMinor: 3),
        ButaneSpec(variant: .flatcar, version: "1.1.0", ignitionMinor: 4),
        ButaneSpec(variant: .r4e, version: "1.0.0", ignitionMinor: 3),
        ButaneSpec(variant: .r4e, version: "1.1.0", ignitionMinor: 4),
        ButaneSpec(variant: .fiot, version: "1.0.0", ignitionMinor: 4),
    ]

    static func find(variant: String, version: String) -> ButaneSpec? {
        all.first { $0.variant.rawValue == variant && $0.version == version }
    }

    static func versions(of variant: Variant) -> String {
        all.filter { $0.variant == variant }.map(\.version).joined(separator: ", ")
    }

    /// Fields a variant refuses outright (an error even when not strict,
    /// as upstream): Flatcar ships no Clevis.
    func forbids(_ field: FieldSchema, in object: ObjectSchema) -> String? {
        if variant == .flatcar, object === IgnitionSchema.luks, field.yaml == "clevis" {
            return "Clevis is not supported on Flatcar: use key_file"
        }
        if variant == .r4e || variant == .fiot {
            let system = variant == .r4e ? "RHEL for Edge" : "Fedora IoT"
            if object === IgnitionSchema.config, field.yaml == "kernel_arguments" {
                return "kernel_arguments is not supported on \(system)"
            }
            if object === IgnitionSchema.storage, ["disks", "filesystems", "luks", "raid"].contains(field.yaml) {
                return "\(field.yaml) is not supported on \(system): its disks are laid out by its installer"
            }
        }
        return nil
    }

    /// Whether a field exists in this spec. Beyond the Ignition version,
    /// fcos 1.3.0 added `boot_device` without a new Ignition spec, and
    /// Flatcar has neither `boot_device`, `grub` nor Clevis.
    func allows(_ field: FieldSchema, in object: ObjectSchema) -> Bool {
        guard field.since <= ignitionMinor else { return false }
        switch (object.name, field.yaml) {
        case ("config", "boot_device"):
            return variant == .fcos && version >= "1.3.0"
        case ("config", "grub"):
            return variant == .fcos
        default:
            return true
        }
    }
}
