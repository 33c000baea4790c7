import KilnIgnition

/// The Ignition 2.2.0 and 2.3.0 config schema, one table per version, in
/// the field order of Ignition's Go types (the order encoding/json writes).
/// `required` marks what Go writes even when empty: struct-typed fields
/// always (`"verification":{}`), and in 2.3.0 the fields its types no
/// longer mark omitempty. `omitsZero` is Go's omitempty on a plain value;
/// neither is a pointer, written whenever set.
final class Ignition2Schema: Sendable {
    static let v2_2 = Ignition2Schema(minor: 2)
    static let v2_3 = Ignition2Schema(minor: 3)

    let minor: Int
    let verification: ObjectSchema
    let configReference: ObjectSchema
    let ignitionConfig: ObjectSchema
    let tls: ObjectSchema
    let security: ObjectSchema
    let timeouts: ObjectSchema
    let ignition: ObjectSchema
    let partition: ObjectSchema
    let disk: ObjectSchema
    let raid: ObjectSchema
    let create: ObjectSchema
    let mount: ObjectSchema
    let filesystem: ObjectSchema
    let nodeOwner: ObjectSchema
    let contents: ObjectSchema
    let file: ObjectSchema
    let directory: ObjectSchema
    let link: ObjectSchema
    let storage: ObjectSchema
    let dropin: ObjectSchema
    let unit: ObjectSchema
    let systemd: ObjectSchema
    let networkdUnit: ObjectSchema
    let networkd: ObjectSchema
    let userCreate: ObjectSchema
    let user: ObjectSchema
    let group: ObjectSchema
    let passwd: ObjectSchema
    let config: ObjectSchema

    var version: String { "2.\(minor).0" }

    init(minor: Int) {
        self.minor = minor
        // Fields 2.3.0's types write even when empty, where 2.2.0 omits them.
        func named(_ json: String, _ kind: FieldKind) -> FieldSchema {
            minor >= 3 ? FieldSchema(json, kind, required: true) : FieldSchema(json, kind, omitsZero: true)
        }
        func always(_ json: String, _ kind: FieldKind) -> FieldSchema { FieldSchema(json, kind, required: true) }
        func plain(_ json: String, _ kind: FieldKind) -> FieldSchema { FieldSchema(json, kind, omitsZero: true) }
        func pointer(_ json: String, _ kind: FieldKind) -> FieldSchema { FieldSchema(json, kind) }
        func object(_ name: String, _ fields: [FieldSchema?]) -> ObjectSchema { ObjectSchema(name, fields.compactMap { $0 }) }
        // Fields only 2.3.0 has.
        func since3(_ field: FieldSchema) -> FieldSchema? { minor >= 3 ? field : nil }
        func node(_ ownerSchema: ObjectSchema, _ extra: [FieldSchema?]) -> [FieldSchema?] {
            [named("filesystem", .string), pointer("group", .object(ownerSchema)), pointer("overwrite", .bool), named("path", .string),
             pointer("user", .object(ownerSchema))] + extra
        }
        let verificationSchema = object("verification", [pointer("hash", .string)])
        let configReferenceSchema = object("configReference", [plain("source", .string), always("verification", .object(verificationSchema))])
        let ignitionConfigSchema = object("ignitionConfig", [plain("append", .list(.object(configReferenceSchema))), pointer("replace", .object(configReferenceSchema))])
        let tlsSchema = object("tls", [plain("certificateAuthorities", .list(.object(configReferenceSchema)))])
        let securitySchema = object("security", [always("tls", .object(tlsSchema))])
        let timeoutsSchema = object("timeouts", [pointer("httpResponseHeaders", .int), pointer("httpTotal", .int)])
        let ignitionSchema = object("ignition", [
        always("config", .object(ignitionConfigSchema)), always("security", .object(securitySchema)), always("timeouts", .object(timeoutsSchema)),
        always("version", .string),
    ])
        let partitionSchema = object("partition", [
        plain("guid", .string), pointer("label", .string), plain("number", .int),
        since3(pointer("shouldExist", .bool)), plain("size", .int), since3(pointer("sizeMiB", .int)),
        plain("start", .int), since3(pointer("startMiB", .int)), plain("typeGuid", .string),
        since3(pointer("wipePartitionEntry", .bool)),
    ])
        let diskSchema = object("disk", [named("device", .string), plain("partitions", .list(.object(partitionSchema))), plain("wipeTable", .bool)])
        let raidSchema = object("raid", [
        named("devices", .list(.string)), named("level", .string), named("name", .string), plain("options", .list(.string)), plain("spares", .int),
    ])
        let createSchema = object("create", [plain("force", .bool), plain("options", .list(.string))])
        let mountSchema = object("mount", [
        pointer("create", .object(createSchema)), named("device", .string), named("format", .string), pointer("label", .string),
        plain("options", .list(.string)), pointer("uuid", .string), plain("wipeFilesystem", .bool),
    ])
        let filesystemSchema = object("filesystem", [pointer("mount", .object(mountSchema)), plain("name", .string), pointer("path", .string)])
        let nodeOwnerSchema = object("nodeOwner", [pointer("id", .int), plain("name", .string)])
        let contentsSchema = object("contents", [plain("compression", .string), plain("source", .string), always("verification", .object(verificationSchema))])
        let fileSchema = object("file", node(nodeOwnerSchema, [plain("append", .bool), always("contents", .object(contentsSchema)), pointer("mode", .int)]))
        let directorySchema = object("directory", node(nodeOwnerSchema, [pointer("mode", .int)]))
        let linkSchema = object("link", node(nodeOwnerSchema, [plain("hard", .bool), named("target", .string)]))
        let storageSchema = object("storage", [
            plain("directories", .list(.object(directorySchema))), plain("disks", .list(.object(diskSchema))), plain("files", .list(.object(fileSchema))),
            plain("filesystems", .list(.object(filesystemSchema))), plain("links", .list(.object(linkSchema))), plain("raid", .list(.object(raidSchema))),
        ])
        let dropinSchema = object("dropin", [plain("contents", .string), named("name", .string)])
        let unitSchema = object("unit", [
        plain("contents", .string), plain("dropins", .list(.object(dropinSchema))), plain("enable", .bool), pointer("enabled", .bool),
        plain("mask", .bool), named("name", .string),
    ])
        let systemdSchema = object("systemd", [plain("units", .list(.object(unitSchema)))])
        let networkdUnitSchema = object("networkdUnit", [plain("contents", .string), plain("dropins", .list(.object(dropinSchema))), named("name", .string)])
        let networkdSchema = object("networkd", [plain("units", .list(.object(networkdUnitSchema)))])
        let userCreateSchema = object("userCreate", [
        plain("gecos", .string), plain("groups", .list(.string)), plain("homeDir", .string), plain("noCreateHome", .bool),
        plain("noLogInit", .bool), plain("noUserGroup", .bool), plain("primaryGroup", .string), plain("shell", .string),
        plain("system", .bool), pointer("uid", .int),
    ])
        let userSchema = object("user", [
        pointer("create", .object(userCreateSchema)), plain("gecos", .string), plain("groups", .list(.string)), plain("homeDir", .string),
        named("name", .string), plain("noCreateHome", .bool), plain("noLogInit", .bool), plain("noUserGroup", .bool),
        pointer("passwordHash", .string), plain("primaryGroup", .string), plain("sshAuthorizedKeys", .list(.string)),
        plain("shell", .string), plain("system", .bool), pointer("uid", .int),
    ])
        let groupSchema = object("group", [pointer("gid", .int), named("name", .string), pointer("passwordHash", .string), plain("system", .bool)])
        let passwdSchema = object("passwd", [plain("groups", .list(.object(groupSchema))), plain("users", .list(.object(userSchema)))])
        let configSchema = object("config", [
        always("ignition", .object(ignitionSchema)), always("networkd", .object(networkdSchema)), always("passwd", .object(passwdSchema)),
        always("storage", .object(storageSchema)), always("systemd", .object(systemdSchema)),
    ])
        self.verification = verificationSchema
        self.configReference = configReferenceSchema
        self.ignitionConfig = ignitionConfigSchema
        self.tls = tlsSchema
        self.security = securitySchema
        self.timeouts = timeoutsSchema
        self.ignition = ignitionSchema
        self.partition = partitionSchema
        self.disk = diskSchema
        self.raid = raidSchema
        self.create = createSchema
        self.mount = mountSchema
        self.filesystem = filesystemSchema
        self.nodeOwner = nodeOwnerSchema
        self.contents = contentsSchema
        self.file = fileSchema
        self.directory = directorySchema
        self.link = linkSchema
        self.storage = storageSchema
        self.dropin = dropinSchema
        self.unit = unitSchema
        self.systemd = systemdSchema
        self.networkdUnit = networkdUnitSchema
        self.networkd = networkdSchema
        self.userCreate = userCreateSchema
        self.user = userSchema
        self.group = groupSchema
        self.passwd = passwdSchema
        self.config = configSchema
    }
}
