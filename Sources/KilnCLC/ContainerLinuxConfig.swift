import KilnIgnition
import Yams

/// How a Container Linux Config is translated (ct's flags).
public struct CLCOptions: Sendable, Equatable {
    public enum IgnitionVersion: String, Sendable, CaseIterable {
        /// What ct v0.8–v0.9 and matchbox v0.8–v0.9 wrote.
        case v2_2 = "2.2.0"
        /// What Flatcar's ct writes.
        case v2_3 = "2.3.0"
    }

    /// Warnings (unknown keys, defaulted modes) become errors.
    public var strict: Bool
    /// Where `contents.local` files are read from; nil refuses them.
    public var filesDirectory: String?
    public var pretty: Bool
    /// The cloud whose metadata agent fills `{PRIVATE_IPV4}` and friends in
    /// the etcd and flannel sections; nil refuses them, as ct does.
    public var platform: String?
    public var ignitionVersion: IgnitionVersion

    public init(strict: Bool = false, filesDirectory: String? = nil, pretty: Bool = false, platform: String? = nil,
                ignitionVersion: IgnitionVersion = .v2_2) {
        self.strict = strict
        self.filesDirectory = filesDirectory
        self.pretty = pretty
        self.platform = platform
        self.ignitionVersion = ignitionVersion
    }

    /// The platforms `platform` accepts.
    public static var platforms: [String] { CLCSugar.platforms }
}

/// Container Linux Configs (ct's YAML) to Ignition 2.2.0 or 2.3.0, with
/// ct's sugar sections and its checks. Pure apart from reading the files
/// directory; the same input gives the same bytes.
public enum ContainerLinuxConfig {
    public static func translate(_ text: String, options: CLCOptions = CLCOptions()) throws(ButaneFailure) -> IgnitionOutput {
        try translate(root: ButaneDecoder.parse(text), options: options)
    }

    package static func translate(root: Node?, options: CLCOptions) throws(ButaneFailure) -> IgnitionOutput {
        var decoder = CLCDecoder(strict: options.strict)
        var config = CLCObject(place: SourcePlace(line: nil, column: nil, path: ""))
        if let root, !ButaneDecoder.isNull(root) {
            guard let decoded = decoder.decodeObject(root, CLCSchema.config, path: "") else {
                throw ButaneFailure(diagnostics: decoder.report.diagnostics)
            }
            config = decoded
        } else {
            decoder.report.warning(config.place, "the config is empty")
        }
        guard !decoder.report.hasErrors else { throw ButaneFailure(diagnostics: decoder.report.diagnostics) }
        var translator = CLCTranslator(options: options, report: decoder.report)
        let output = translator.translate(config)
        guard !translator.report.hasErrors else { throw ButaneFailure(diagnostics: translator.report.diagnostics) }
        return IgnitionOutput(json: IgnitionJSONWriter.write(output, pretty: options.pretty),
                              ignitionVersion: translator.schema.version, warnings: translator.report.diagnostics)
    }
}

/// Tells the two YAML formats apart: a Butane config names its variant at
/// the top; anything else in `ignition/` is a Container Linux Config.
public enum CoreOSConfigFormat: Sendable, Equatable {
    case butane
    case containerLinuxConfig

    package static func of(_ root: Node?) -> CoreOSConfigFormat {
        guard case .mapping(let mapping)? = root else { return .containerLinuxConfig }
        for (key, _) in ButaneDecoder.mergingKeys(mapping) {
            if case .scalar(let scalar) = key, scalar.string == "variant" { return .butane }
        }
        return .containerLinuxConfig
    }
}

/// One YAML config from `ignition/` to Ignition JSON, Butane or CLC as its
/// text says, parsed once.
public enum CoreOSConfig {
    public static func translate(_ text: String, butane: ButaneOptions, clc: CLCOptions) throws(ButaneFailure) -> IgnitionOutput {
        try translate(parse(text), butane: butane, clc: clc)
    }

    public static func format(of text: String) -> CoreOSConfigFormat {
        parse(text).format
    }

    /// A file parsed once, for callers that translate it more than once
    /// (a static CLC under each profile's settings) or need its format first.
    package struct Parsed {
        let root: Result<Node?, ButaneFailure>
        package let format: CoreOSConfigFormat
    }

    package static func parse(_ text: String) -> Parsed {
        let root = Result { () throws(ButaneFailure) in try ButaneDecoder.parse(text) }
        return Parsed(root: root, format: CoreOSConfigFormat.of(try? root.get()))
    }

    package static func translate(_ parsed: Parsed, butane: ButaneOptions, clc: CLCOptions) throws(ButaneFailure) -> IgnitionOutput {
        let root = try parsed.root.get()
        switch parsed.format {
        case .butane: return try Butane.translate(root: root, options: butane)
        case .containerLinuxConfig: return try ContainerLinuxConfig.translate(root: root, options: clc)
        }
    }
}

struct CLCTranslator {
    let options: CLCOptions
    let schema: Ignition2Schema
    var report: ButaneReport
    let files: LocalFiles?

    init(options: CLCOptions, report: ButaneReport) {
        self.options = options
        self.schema = options.ignitionVersion == .v2_3 ? .v2_3 : .v2_2
        self.report = report
        self.files = options.filesDirectory.map(LocalFiles.init(root:))
    }

    mutating func translate(_ config: CLCObject) -> IgnitionObject {
        var root = IgnitionObject(schema.config)
        var ignition = IgnitionObject(schema.ignition)
        ignition["version"] = .string(schema.version)
        if let section = config.object("ignition") { translateIgnition(section, into: &ignition) }
        root["ignition"] = .object(ignition)

        // ct's converters run in its source files' order: the platform's
        // units, docker, etcd and flannel come before the user's units, and
        // update.conf after the user's files. Nothing is merged.
        var units: [IgnitionValue] = []
        if let platform = options.platform, !platform.isEmpty {
            guard CLCSugar.platforms.contains(platform) else {
                report.error(config.place, "unsupported platform \"\(platform)\" (one of \(CLCSugar.platforms.joined(separator: ", ")))")
                return root
            }
            units += platformUnits(platform)
        }
        if let docker = config.object("docker") { units.append(dockerUnit(docker)) }
        if let etcd = config.object("etcd"), let unit = etcdUnit(etcd) { units.append(unit) }
        if let flannel = config.object("flannel"), let unit = flannelUnit(flannel) { units.append(unit) }
        if let systemd = config.object("systemd") {
            units += systemd.objects("units").compactMap { unit($0) }
        }

        var storage = IgnitionObject(schema.storage)
        if let section = config.object("storage") { translateStorage(section, into: &storage) }
        if let updateConf = updateConf(update: config.object("update"), locksmith: config.object("locksmith"), at: config.place) {
            storage["files"] = .list((storage["files"]?.list ?? []) + [updateConf])
        }
        root["storage"] = .object(storage)

        var systemd = IgnitionObject(schema.systemd)
        systemd["units"] = .list(units)
        root["systemd"] = .object(systemd)

        var networkd = IgnitionObject(schema.networkd)
        if let section = config.object("networkd") {
            networkd["units"] = .list(section.objects("units").compactMap { networkdUnit($0) })
        }
        root["networkd"] = .object(networkd)

        var passwd = IgnitionObject(schema.passwd)
        if let section = config.object("passwd") {
            passwd["users"] = .list(section.objects("users").map { user($0) })
            passwd["groups"] = .list(section.objects("groups").map { group($0) })
        }
        root["passwd"] = .object(passwd)
        return root
    }

    // MARK: helpers

    mutating func check(_ problem: String?, at place: SourcePlace) {
        if let problem { report.error(place, problem) }
    }

    func object(_ schema: ObjectSchema, _ values: [String: IgnitionValue?]) -> IgnitionValue {
        var object = IgnitionObject(schema)
        for (key, value) in values {
            if let value { object[key] = value }
        }
        return .object(object)
    }

    func strings(_ list: [String]) -> IgnitionValue? {
        list.isEmpty ? nil : .list(list.map(IgnitionValue.string))
    }

    // MARK: ignition

    mutating func reference(_ item: CLCObject) -> IgnitionValue {
        let source = item.string("source") ?? ""
        check(Ignition2Rules.url(source), at: item.place(of: "source"))
        return object(schema.configReference, ["source": .string(source), "verification": verification(item.object("verification"))])
    }

    mutating func verification(_ item: CLCObject?) -> IgnitionValue {
        var verification = IgnitionObject(schema.verification)
        if let hash = item?.object("hash"), let function = hash.string("function"), let sum = hash.string("sum"), !function.isEmpty, !sum.isEmpty {
            let value = "\(function)-\(sum)"
            check(Ignition2Rules.hash(value), at: hash.place)
            verification["hash"] = .string(value)
        }
        return .object(verification)
    }

    mutating func translateIgnition(_ section: CLCObject, into ignition: inout IgnitionObject) {
        if let config = section.object("config") {
            var references = IgnitionObject(schema.ignitionConfig)
            references["append"] = .list(config.objects("append").map { reference($0) })
            if let replace = config.object("replace") { references["replace"] = reference(replace) }
            ignition["config"] = .object(references)
        }
        if let timeouts = section.object("timeouts") {
            ignition["timeouts"] = object(schema.timeouts, [
                "httpResponseHeaders": timeouts.int("http_response_headers").map(IgnitionValue.int),
                "httpTotal": timeouts.int("http_total").map(IgnitionValue.int),
            ])
        }
        if let tls = section.object("security")?.object("tls") {
            let authorities = tls.objects("certificate_authorities").map { reference($0) }
            ignition["security"] = object(schema.security, ["tls": object(schema.tls, ["certificateAuthorities": .list(authorities)])])
        }
    }

    // MARK: storage

    static let typeGUIDAliases = [
        "raid_containing_root": "be9067b9-ea49-4f15-b4f6-f36f8c9e1818",
        "linux_filesystem_data": "0fc63daf-8483-4772-8e79-3d69d8477de4",
        "swap_partition": "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f",
        "raid_partition": "a19d880f-05fc-4d3b-a006-743f0f84911e",
    ]

    mutating func translateStorage(_ section: CLCObject, into storage: inout IgnitionObject) {
        storage["disks"] = .list(section.objects("disks").map { disk($0) })
        storage["raid"] = .list(section.objects("raid").map { raid($0) })
        storage["filesystems"] = .list(section.objects("filesystems").map { filesystem($0) })
        storage["files"] = .list(section.objects("files").map { file($0) })
        storage["directories"] = .list(section.objects("directories").map { directory($0) })
        storage["links"] = .list(section.objects("links").map { link($0) })
    }

    mutating func disk(_ item: CLCObject) -> IgnitionValue {
        let device = item.string("device") ?? ""
        if device.isEmpty { report.error(item.place, "disk device is required") } else { check(Ignition2Rules.absolutePath(device), at: item.place(of: "device")) }
        var partitions: [IgnitionValue] = []
        for partition in item.objects("partitions") {
            if let value = self.partition(partition) { partitions.append(value) }
        }
        return object(schema.disk, [
            "device": .string(device), "wipeTable": item.bool("wipe_table") == true ? .bool(true) : nil, "partitions": .list(partitions),
        ])
    }

    mutating func partition(_ item: CLCObject) -> IgnitionValue? {
        var values: [String: IgnitionValue?] = [:]
        if let label = item.string("label") {
            check(Ignition2Rules.partitionLabel(label), at: item.place(of: "label"))
            values["label"] = label.isEmpty && schema.minor < 3 ? nil : .string(label)
        }
        if let number = item.int("number"), number != 0 { values["number"] = .int(number) }
        for (key, sectors, mebibytes) in [("size", "size", "sizeMiB"), ("start", "start", "startMiB")] {
            guard let text = item.string(key), !text.isEmpty else { continue }
            guard let bytes = Self.bytes(text) else {
                report.error(item.place(of: key), "\(key) \"\(text)\" is not a size: write a number and a unit (B, KiB, MiB, GiB, TiB; KB, MB… mean the same), or 0")
                return nil
            }
            if schema.minor >= 3 {
                guard bytes % (1 << 20) == 0 else {
                    report.error(item.place(of: key), "invalid dimension \"\(text)\" (finest granularity is 1MiB)")
                    return nil
                }
                values[mebibytes] = .int(bytes >> 20)
            } else if bytes != 0 {
                values[sectors] = .int((bytes + 511) / 512)
            }
        }
        if let guid = item.string("guid"), !guid.isEmpty {
            check(Ignition2Rules.guid(guid), at: item.place(of: "guid"))
            values["guid"] = .string(guid)
        }
        if let typeGUID = item.string("type_guid"), !typeGUID.isEmpty {
            let resolved = Self.typeGUIDAliases[typeGUID] ?? typeGUID
            check(Ignition2Rules.guid(resolved), at: item.place(of: "type_guid"))
            values["typeGuid"] = .string(resolved)
        }
        return object(schema.partition, values)
    }

    /// ct's partition sizes: base-2 units whatever they are called (`MB` is
    /// `MiB`), terms may add up (`1GiB512MiB`), and a bare number must be 0.
    static func bytes(_ text: String) -> Int? {
        if text == "0" { return 0 }
        let units: [(String, Int)] = [("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10),
                                      ("EB", 60), ("PB", 50), ("TB", 40), ("GB", 30), ("MB", 20), ("KB", 10), ("B", 0)]
        var rest = Substring(text)
        if rest.first == "+" { rest = rest.dropFirst() }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, shift) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * Double(Int64(1) << shift)
        }
        guard total < 9e18 else { return nil }
        return Int(total.rounded(.up))
    }

    mutating func raid(_ item: CLCObject) -> IgnitionValue {
        let name = item.string("name") ?? "", level = item.string("level") ?? ""
        if name.isEmpty { report.error(item.place, "raid name is required") }
        if level.isEmpty { report.error(item.place, "raid level is required") } else { check(Ignition2Rules.raidLevel(level), at: item.place(of: "level")) }
        let devices = item.strings("devices")
        if devices.isEmpty { report.error(item.place, "raid devices are required") }
        for device in devices { check(Ignition2Rules.absolutePath(device), at: item.place(of: "devices")) }
        let spares = item.int("spares") ?? 0
        if spares > 0, ["linear", "raid0", "0", "stripe"].contains(level) {
            report.error(item.place(of: "spares"), "spares unsupported for arrays with a level greater than 0")
        }
        return object(schema.raid, [
            "name": .string(name), "level": .string(level), "devices": .list(devices.map(IgnitionValue.string)),
            "spares": spares != 0 ? .int(spares) : nil, "options": strings(item.strings("options")),
        ])
    }

    mutating func filesystem(_ item: CLCObject) -> IgnitionValue {
        var values: [String: IgnitionValue?] = ["name": item.string("name").map(IgnitionValue.string)]
        let mount = item.object("mount")
        switch (mount, item.string("path")) {
        case (nil, nil): report.error(item.place, "filesystem is missing mount or path")
        case (.some, .some): report.error(item.place, "filesystem has both mount and path defined")
        default: break
        }
        if let path = item.string("path") {
            check(Ignition2Rules.absolutePath(path), at: item.place(of: "path"))
            values["path"] = .string(path)
        }
        if let mount {
            let device = mount.string("device") ?? "", format = mount.string("format") ?? ""
            if device.isEmpty { report.error(mount.place, "mount device is required") } else { check(Ignition2Rules.absolutePath(device), at: mount.place(of: "device")) }
            if format.isEmpty { report.error(mount.place, "mount format is required") } else { check(Ignition2Rules.format(format), at: mount.place(of: "format")) }
            if let label = mount.string("label") { check(Ignition2Rules.label(label, format: format), at: mount.place(of: "label")) }
            var create: IgnitionValue?
            if let options = mount.object("create") {
                report.warning(mount.place(of: "create"), "the create object has been deprecated in favor of mount-level options")
                if mount.bool("wipe_filesystem") == true { report.error(mount.place(of: "create"), "cannot use both create object and wipeFilesystem field") }
                if !mount.strings("options").isEmpty { report.error(mount.place(of: "create"), "cannot use both create object and mount-level options field") }
                create = object(schema.create, ["force": options.bool("force") == true ? .bool(true) : nil, "options": strings(options.strings("options"))])
            }
            values["mount"] = object(schema.mount, [
                "device": .string(device), "format": .string(format), "wipeFilesystem": mount.bool("wipe_filesystem") == true ? .bool(true) : nil,
                "label": mount.string("label").map(IgnitionValue.string), "uuid": mount.string("uuid").map(IgnitionValue.string),
                "options": strings(mount.strings("options")), "create": create,
            ])
        }
        return object(schema.filesystem, values)
    }

    /// The fields files, directories and links share. A missing filesystem
    /// is `root`, as Flatcar's ct and Butane take it (ct v0.9 refused it).
    mutating func node(_ item: CLCObject) -> [String: IgnitionValue?] {
        let path = item.string("path") ?? ""
        if path.isEmpty { report.error(item.place, "path is required") } else { check(Ignition2Rules.absolutePath(path), at: item.place(of: "path")) }
        var values: [String: IgnitionValue?] = [
            "filesystem": .string(item.string("filesystem").flatMap { $0.isEmpty ? nil : $0 } ?? "root"),
            "path": .string(path),
            "overwrite": item.bool("overwrite").map(IgnitionValue.bool),
        ]
        for key in ["user", "group"] {
            guard let owner = item.object(key) else { continue }
            if owner.int("id") != nil, !(owner.string("name") ?? "").isEmpty { report.error(owner.place, "cannot set both id and name") }
            values[key] = object(schema.nodeOwner, [
                "id": owner.int("id").map(IgnitionValue.int),
                "name": owner.string("name").flatMap { $0.isEmpty ? nil : .string($0) },
            ])
        }
        return values
    }

    mutating func mode(_ item: CLCObject, default defaultMode: Int, kind: String) -> IgnitionValue {
        guard let mode = item.int("mode") else {
            report.warning(item.place, "mode unspecified for \(kind), defaulting to 0\(String(defaultMode, radix: 8))")
            return .int(defaultMode)
        }
        check(Ignition2Rules.mode(mode), at: item.place(of: "mode"))
        return .int(mode)
    }

    mutating func file(_ item: CLCObject) -> IgnitionValue {
        var values = node(item)
        values["mode"] = mode(item, default: 0o644, kind: "file")
        if item.bool("append") == true {
            values["append"] = .bool(true)
            if item.bool("overwrite") == true { report.error(item.place(of: "append"), "cannot set both append and overwrite to true") }
        }
        var contents = IgnitionObject(schema.contents)
        contents["verification"] = .object(IgnitionObject(schema.verification))
        var source = "data:,"
        if let given = item.object("contents") {
            let inline = given.string("inline"), local = given.string("local"), remote = given.object("remote")
            let url = remote?.string("url")
            if [inline, local, url].filter({ !($0 ?? "").isEmpty }).count > 1 {
                report.error(given.place, "only one of the following can be set: local, inline, remote.url")
            }
            if let inline, !inline.isEmpty {
                source = "data:," + DataURL.percentEncode(Array(inline.utf8))
            } else if let local, !local.isEmpty {
                source = "data:," + DataURL.percentEncode(localFile(local, at: given.place(of: "local")))
            } else if let url, !url.isEmpty {
                source = url
                check(Ignition2Rules.url(url), at: remote!.place(of: "url"))
            }
            if let remote {
                if let compression = remote.string("compression"), !compression.isEmpty {
                    check(Ignition2Rules.compression(compression), at: remote.place(of: "compression"))
                    contents["compression"] = .string(compression)
                }
                contents["verification"] = verification(remote.object("verification"))
            }
        }
        contents["source"] = .string(source)
        values["contents"] = .object(contents)
        return object(schema.file, values)
    }

    mutating func localFile(_ relative: String, at place: SourcePlace) -> [UInt8] {
        guard let files else {
            report.error(place, "local files need a files directory (kiln ct --files-dir; kiln serve reads the data directory's files/)")
            return []
        }
        do {
            return try files.contents(of: relative)
        } catch {
            report.error(place, error.description)
            return []
        }
    }

    mutating func directory(_ item: CLCObject) -> IgnitionValue {
        var values = node(item)
        values["mode"] = mode(item, default: 0o755, kind: "directory")
        return object(schema.directory, values)
    }

    mutating func link(_ item: CLCObject) -> IgnitionValue {
        var values = node(item)
        let target = item.string("target") ?? ""
        if target.isEmpty { report.error(item.place, "link target is required") }
        values["target"] = .string(target)
        values["hard"] = item.bool("hard") == true ? .bool(true) : nil
        return object(schema.link, values)
    }

    // MARK: systemd, networkd, passwd

    mutating func dropins(_ item: CLCObject) -> IgnitionValue? {
        let list = item.objects("dropins").map { dropin -> IgnitionValue in
            let name = dropin.string("name") ?? ""
            check(Ignition2Rules.dropinName(name), at: dropin.place(of: "name"))
            if let contents = dropin.string("contents") { check(Ignition2Rules.unitContents(contents), at: dropin.place(of: "contents")) }
            return object(schema.dropin, ["name": .string(name), "contents": dropin.string("contents").map(IgnitionValue.string)])
        }
        return list.isEmpty ? nil : .list(list)
    }

    mutating func unit(_ item: CLCObject) -> IgnitionValue? {
        let name = item.string("name") ?? ""
        check(Ignition2Rules.unitName(name), at: item.place(of: "name"))
        let contents = item.string("contents") ?? ""
        if !contents.isEmpty {
            check(Ignition2Rules.unitContents(contents), at: item.place(of: "contents"))
            if item.bool("enable") == true || item.bool("enabled") == true, !Ignition2Rules.hasInstallSection(contents) {
                report.warning(item.place, "unit \"\(name)\" is enabled, but has no install section so enable does nothing")
            }
        }
        return object(schema.unit, [
            "name": .string(name), "contents": contents.isEmpty ? nil : .string(contents),
            "enable": item.bool("enable") == true ? .bool(true) : nil, "enabled": item.bool("enabled").map(IgnitionValue.bool),
            "mask": item.bool("mask") == true ? .bool(true) : nil, "dropins": dropins(item),
        ])
    }

    mutating func networkdUnit(_ item: CLCObject) -> IgnitionValue? {
        let name = item.string("name") ?? ""
        check(Ignition2Rules.networkdName(name), at: item.place(of: "name"))
        let contents = item.string("contents") ?? ""
        if !contents.isEmpty { check(Ignition2Rules.unitContents(contents), at: item.place(of: "contents")) }
        return object(schema.networkdUnit, ["name": .string(name), "contents": contents.isEmpty ? nil : .string(contents), "dropins": dropins(item)])
    }

    static let userFields: [(yaml: String, json: String)] = [
        ("gecos", "gecos"), ("home_dir", "homeDir"), ("primary_group", "primaryGroup"), ("shell", "shell"),
        ("no_create_home", "noCreateHome"), ("no_user_group", "noUserGroup"), ("no_log_init", "noLogInit"), ("system", "system"),
        ("groups", "groups"), ("uid", "uid"),
    ]

    func userFields(_ item: CLCObject, _ target: ObjectSchema) -> [String: IgnitionValue?] {
        var values: [String: IgnitionValue?] = [:]
        for (yaml, json) in Self.userFields {
            switch item.values[yaml] {
            case .string(let text)?: values[json] = text.isEmpty ? nil : .string(text)
            case .bool(let flag)?: values[json] = flag ? .bool(true) : nil
            case .int(let number)?: values[json] = .int(number)
            case .list?: values[json] = strings(item.strings(yaml))
            default: break
            }
        }
        return values
    }

    mutating func user(_ item: CLCObject) -> IgnitionValue {
        let name = item.string("name") ?? ""
        if name.isEmpty { report.error(item.place, "user name is required") }
        var values = userFields(item, schema.user)
        values["name"] = .string(name)
        values["passwordHash"] = item.string("password_hash").map(IgnitionValue.string)
        values["sshAuthorizedKeys"] = strings(item.strings("ssh_authorized_keys"))
        if let create = item.object("create") {
            report.warning(item.place(of: "create"), "the create object has been deprecated in favor of user-level options")
            for (yaml, json) in Self.userFields where item.has(yaml) {
                report.error(item.place(of: yaml), "cannot use both the create object and the user-level \(json) field")
            }
            values["create"] = object(schema.userCreate, userFields(create, schema.userCreate))
        }
        return object(schema.user, values)
    }

    mutating func group(_ item: CLCObject) -> IgnitionValue {
        let name = item.string("name") ?? ""
        if name.isEmpty { report.error(item.place, "group name is required") }
        return object(schema.group, [
            "name": .string(name), "gid": item.int("gid").map(IgnitionValue.int),
            "passwordHash": item.string("password_hash").map(IgnitionValue.string), "system": item.bool("system") == true ? .bool(true) : nil,
        ])
    }
}
