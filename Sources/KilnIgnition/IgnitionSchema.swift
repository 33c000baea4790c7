/// The Ignition 3.x config schema, versions 3.0.0 to 3.6.0, as one table:
/// every object lists its fields in the order Ignition's own types declare
/// them (so Kiln's output reads like upstream's), each with the minor spec
/// version that introduced it. Butane's names are derived from Ignition's
/// (`sizeMiB` → `size_mib`); Butane-only sugar is marked `butaneOnly`.
package final class ObjectSchema: Sendable {
    package let name: String
    package let fields: [FieldSchema]

    package init(_ name: String, _ fields: [FieldSchema]) {
        self.name = name
        self.fields = fields
    }

    package func field(yaml: String) -> FieldSchema? {
        fields.first { $0.yaml == yaml }
    }

    package func field(json: String) -> FieldSchema? {
        fields.first { $0.json == json && !$0.butaneOnly }
    }
}

package indirect enum FieldKind: Sendable {
    case string
    case int
    case bool
    case object(ObjectSchema)
    case list(FieldKind)

    package var describe: String {
        switch self {
        case .string: "a string"
        case .int: "an integer"
        case .bool: "a boolean (true or false)"
        case .object: "a mapping"
        case .list: "a list"
        }
    }
}

package struct FieldSchema: Sendable {
    /// Ignition's JSON key.
    package let json: String
    /// Butane's YAML key.
    package let yaml: String
    package let kind: FieldKind
    /// The Ignition 3.x minor version that introduced the field.
    package let since: Int
    /// Go's non-omitempty fields: written even when empty.
    package let required: Bool
    /// Go's omitempty on a plain (non-pointer) int or string: 0 and "" are
    /// left out like absent values.
    package let omitsZero: Bool
    package let butaneOnly: Bool

    package init(_ json: String, _ kind: FieldKind, since: Int = 0, required: Bool = false, omitsZero: Bool = false, yaml: String? = nil, butaneOnly: Bool = false) {
        self.json = json
        self.yaml = yaml ?? Self.snakeCase(json)
        self.kind = kind
        self.since = since
        self.required = required
        self.omitsZero = omitsZero
        self.butaneOnly = butaneOnly
    }

    static func snakeCase(_ name: String) -> String {
        var out = ""
        let characters = Array(name.replacingOccurrences(of: "MiB", with: "Mib"))
        for (index, character) in characters.enumerated() {
            if character.isUppercase {
                if index > 0 { out.append("_") }
                out.append(Character(character.lowercased()))
            } else {
                out.append(character)
            }
        }
        return out
    }
}

private func field(_ json: String, _ kind: FieldKind, since: Int = 0, required: Bool = false, omitsZero: Bool = false) -> FieldSchema {
    FieldSchema(json, kind, since: since, required: required, omitsZero: omitsZero)
}

private func sugar(_ yaml: String, _ kind: FieldKind, since: Int) -> FieldSchema {
    FieldSchema(yaml, kind, since: since, yaml: yaml, butaneOnly: true)
}

enum IgnitionSchema {
    /// 3.6.0 is the newest stable spec; it has exactly 3.5.0's fields.
    static let newestMinor = 6
    static let strings = FieldKind.list(.string)

    static let verification = ObjectSchema("verification", [field("hash", .string)])
    static let httpHeader = ObjectSchema("http header", [
        field("name", .string, required: true),
        field("value", .string),
    ])

    /// A fetched resource. Files could be compressed from 3.0.0, everything
    /// else from 3.1.0; Butane's `inline` came with the first spec for files.
    static func resource(_ name: String, compressionSince: Int, inlineSince: Int) -> ObjectSchema {
        ObjectSchema(name, [
            field("compression", .string, since: compressionSince),
            field("httpHeaders", .list(.object(httpHeader)), since: 1),
            field("source", .string),
            field("verification", .object(verification)),
            sugar("inline", .string, since: inlineSince),
            sugar("local", .string, since: 1),
        ])
    }

    static let fileResource = resource("file contents", compressionSince: 0, inlineSince: 0)
    static let configResource = resource("config", compressionSince: 1, inlineSince: 1)
    static let keyFileResource = resource("key file", compressionSince: 2, inlineSince: 2)

    static let ignitionConfig = ObjectSchema("ignition.config", [
        field("merge", .list(.object(configResource))),
        field("replace", .object(configResource)),
    ])
    static let proxy = ObjectSchema("proxy", [
        field("httpProxy", .string),
        field("httpsProxy", .string),
        field("noProxy", strings),
    ])
    static let tls = ObjectSchema("tls", [
        field("certificateAuthorities", .list(.object(configResource))),
    ])
    static let security = ObjectSchema("security", [field("tls", .object(tls))])
    static let timeouts = ObjectSchema("timeouts", [
        field("httpResponseHeaders", .int),
        field("httpTotal", .int),
    ])
    static let ignition = ObjectSchema("ignition", [
        field("config", .object(ignitionConfig)),
        field("proxy", .object(proxy), since: 1),
        field("security", .object(security)),
        field("timeouts", .object(timeouts)),
        // Butane takes the version from the top level, never from here.
        FieldSchema("version", .string, required: true, yaml: ""),
    ])

    static let kernelArguments = ObjectSchema("kernel_arguments", [
        field("shouldExist", strings),
        field("shouldNotExist", strings),
    ])

    static let passwdGroup = ObjectSchema("group", [
        field("gid", .int),
        field("name", .string, required: true),
        field("passwordHash", .string),
        field("shouldExist", .bool, since: 2),
        field("system", .bool),
    ])
    static let passwdUser = ObjectSchema("user", [
        field("gecos", .string),
        field("groups", strings),
        field("homeDir", .string),
        field("name", .string, required: true),
        field("noCreateHome", .bool),
        field("noLogInit", .bool),
        field("noUserGroup", .bool),
        field("passwordHash", .string),
        field("primaryGroup", .string),
        field("sshAuthorizedKeys", strings),
        field("shell", .string),
        field("shouldExist", .bool, since: 2),
        field("system", .bool),
        field("uid", .int),
        sugar("ssh_authorized_keys_local", strings, since: 4),
    ])
    static let passwd = ObjectSchema("passwd", [
        field("groups", .list(.object(passwdGroup))),
        field("users", .list(.object(passwdUser))),
    ])

    static let nodeOwner = ObjectSchema("owner", [
        field("id", .int),
        field("name", .string),
    ])
    static let nodeFields: [FieldSchema] = [
        field("group", .object(nodeOwner)),
        field("overwrite", .bool),
        field("path", .string, required: true),
        field("user", .object(nodeOwner)),
    ]
    static let directory = ObjectSchema("directory", nodeFields + [field("mode", .int)])
    static let file = ObjectSchema("file", nodeFields + [
        field("append", .list(.object(fileResource))),
        field("contents", .object(fileResource)),
        field("mode", .int),
    ])
    static let link = ObjectSchema("link", nodeFields + [
        field("hard", .bool),
        field("target", .string),
    ])

    static let partition = ObjectSchema("partition", [
        field("guid", .string),
        field("label", .string),
        field("number", .int, omitsZero: true),
        field("resize", .bool, since: 2),
        field("shouldExist", .bool),
        field("sizeMiB", .int),
        field("startMiB", .int),
        field("typeGuid", .string),
        field("wipePartitionEntry", .bool),
    ])
    static let disk = ObjectSchema("disk", [
        field("device", .string, required: true),
        field("partitions", .list(.object(partition))),
        field("wipeTable", .bool),
    ])
    static let filesystem = ObjectSchema("filesystem", [
        field("device", .string, required: true),
        field("format", .string),
        field("label", .string),
        field("mountOptions", strings, since: 1),
        field("options", strings),
        field("path", .string),
        field("uuid", .string),
        field("wipeFilesystem", .bool),
        sugar("with_mount_unit", .bool, since: 1),
    ])
    static let tang = ObjectSchema("tang", [
        field("advertisement", .string, since: 4),
        field("thumbprint", .string),
        field("url", .string, omitsZero: true),
    ])
    static let clevisCustom = ObjectSchema("clevis custom", [
        field("config", .string),
        field("needsNetwork", .bool),
        field("pin", .string),
    ])
    static let clevis = ObjectSchema("clevis", [
        field("custom", .object(clevisCustom)),
        field("tang", .list(.object(tang))),
        field("threshold", .int),
        field("tpm2", .bool),
    ])
    static let cex = ObjectSchema("cex", [field("enabled", .bool)])
    static let luks = ObjectSchema("luks", [
        field("cex", .object(cex), since: 5),
        field("clevis", .object(clevis)),
        field("device", .string),
        field("discard", .bool, since: 4),
        field("keyFile", .object(keyFileResource)),
        field("label", .string),
        field("name", .string, required: true),
        field("openOptions", strings, since: 4),
        field("options", strings),
        field("uuid", .string),
        field("wipeVolume", .bool),
    ])
    static let raid = ObjectSchema("raid", [
        field("devices", strings),
        field("level", .string),
        field("name", .string, required: true),
        field("options", strings),
        field("spares", .int),
    ])
    static let tree = ObjectSchema("tree", [
        FieldSchema("local", .string, required: true, yaml: "local", butaneOnly: true),
        FieldSchema("path", .string, yaml: "path", butaneOnly: true),
        // fcos 1.7.0: ownership and modes for everything the tree creates.
        FieldSchema("user", .object(nodeOwner), since: 6, yaml: "user", butaneOnly: true),
        FieldSchema("group", .object(nodeOwner), since: 6, yaml: "group", butaneOnly: true),
        FieldSchema("file_mode", .int, since: 6, yaml: "file_mode", butaneOnly: true),
        FieldSchema("dir_mode", .int, since: 6, yaml: "dir_mode", butaneOnly: true),
    ])
    static let storage = ObjectSchema("storage", [
        field("directories", .list(.object(directory))),
        field("disks", .list(.object(disk))),
        field("files", .list(.object(file))),
        field("filesystems", .list(.object(filesystem))),
        field("links", .list(.object(link))),
        field("luks", .list(.object(luks)), since: 2),
        field("raid", .list(.object(raid))),
        sugar("trees", .list(.object(tree)), since: 1),
    ])

    static let dropin = ObjectSchema("dropin", [
        field("contents", .string),
        field("name", .string, required: true),
        sugar("contents_local", .string, since: 4),
    ])
    static let unit = ObjectSchema("unit", [
        field("contents", .string),
        field("dropins", .list(.object(dropin))),
        field("enabled", .bool),
        field("mask", .bool),
        field("name", .string, required: true),
        sugar("contents_local", .string, since: 4),
    ])
    static let systemd = ObjectSchema("systemd", [field("units", .list(.object(unit)))])

    static let bootDeviceLuks = ObjectSchema("boot_device.luks", [
        FieldSchema("cex", .object(cex), since: 5, yaml: "cex", butaneOnly: true),
        FieldSchema("device", .string, since: 5, yaml: "device", butaneOnly: true),
        FieldSchema("discard", .bool, since: 4, yaml: "discard", butaneOnly: true),
        FieldSchema("tang", .list(.object(tang)), yaml: "tang", butaneOnly: true),
        FieldSchema("threshold", .int, yaml: "threshold", butaneOnly: true),
        FieldSchema("tpm2", .bool, yaml: "tpm2", butaneOnly: true),
    ])
    static let bootDeviceMirror = ObjectSchema("boot_device.mirror", [
        FieldSchema("devices", strings, yaml: "devices", butaneOnly: true),
    ])
    static let bootDevice = ObjectSchema("boot_device", [
        FieldSchema("layout", .string, yaml: "layout", butaneOnly: true),
        FieldSchema("luks", .object(bootDeviceLuks), yaml: "luks", butaneOnly: true),
        FieldSchema("mirror", .object(bootDeviceMirror), yaml: "mirror", butaneOnly: true),
    ])
    static let grubUser = ObjectSchema("grub user", [
        FieldSchema("name", .string, required: true, yaml: "name", butaneOnly: true),
        FieldSchema("password_hash", .string, yaml: "password_hash", butaneOnly: true),
    ])
    static let grub = ObjectSchema("grub", [
        FieldSchema("users", .list(.object(grubUser)), yaml: "users", butaneOnly: true),
    ])

    /// The whole config. `variant`, `version`, `boot_device` and `grub` are
    /// Butane's; which of them a variant accepts is decided by `ButaneSpec`.
    static let config = ObjectSchema("config", [
        field("ignition", .object(ignition), required: true),
        field("kernelArguments", .object(kernelArguments), since: 3),
        field("passwd", .object(passwd)),
        field("storage", .object(storage)),
        field("systemd", .object(systemd)),
        sugar("variant", .string, since: 0),
        sugar("version", .string, since: 0),
        sugar("boot_device", .object(bootDevice), since: 2),
        sugar("grub", .object(grub), since: 4),
    ])
}
