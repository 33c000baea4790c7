/// Schema-checked Butane values to an Ignition config: renames, resources
/// to data URLs, local files, then the sugar that needs the whole config
/// (mount units, trees, boot_device, grub), then Ignition's own checks.
struct ButaneTranslator {
    let spec: ButaneSpec
    let options: ButaneOptions
    var report: ButaneReport
    let files: LocalFiles?
    /// Set when translating a shape (see IgnitionShape): contents holding
    /// placeholders are kept here and written as markers, to be encoded
    /// once their values are known.
    var deferredContents: [DeferredContents]?

    struct DeferredContents {
        var bytes: [UInt8]
        var userCompression: String?
        var allowCompression: Bool
    }

    /// - Parameter report: what decoding found, continued here.
    init(spec: ButaneSpec, options: ButaneOptions, report: ButaneReport) {
        self.spec = spec
        self.options = options
        self.report = report
        self.files = options.filesDirectory.map(LocalFiles.init(root:))
    }

    mutating func translate(_ source: ButaneObject) -> IgnitionObject {
        var config = convert(source)
        var ignition = config["ignition"]?.object ?? IgnitionObject(IgnitionSchema.ignition)
        ignition["version"] = .string(spec.ignitionVersion)
        config["ignition"] = .object(ignition)

        if let mountUnits = mountUnits(source) {
            config = Merge.merge(parent: mountUnits, child: config)
        }
        addTrees(source, to: &config)
        if let bootDevice = source["boot_device"]?.object, let rendered = bootDeviceConfig(bootDevice, luks: source["storage"]?.object) {
            config = Merge.merge(parent: rendered, child: config)
        }
        if let grub = source["grub"]?.object, let rendered = grubConfig(grub) {
            config = Merge.merge(parent: rendered, child: config)
        }
        var checker = IgnitionChecks(minor: spec.ignitionMinor, source: source, report: report)
        checker.check(config)
        report = checker.report
        return config
    }

    // MARK: - field by field

    mutating func convert(_ source: ButaneObject) -> IgnitionObject {
        var out = IgnitionObject(source.schema)
        for field in source.schema.fields where !field.butaneOnly {
            guard let value = source[field.yaml] else { continue }
            out[field.json] = convert(value)
        }
        let schema = source.schema
        if schema === IgnitionSchema.fileResource || schema === IgnitionSchema.configResource || schema === IgnitionSchema.keyFileResource {
            resource(source, into: &out)
        } else if schema === IgnitionSchema.passwdUser {
            authorizedKeys(source, into: &out)
        } else if schema === IgnitionSchema.unit || schema === IgnitionSchema.dropin {
            localContents(source, into: &out)
        }
        return out
    }

    mutating func convert(_ value: ButaneValue) -> IgnitionValue {
        switch value {
        case .string(let text): return .string(text)
        case .int(let number): return .int(number)
        case .bool(let flag): return .bool(flag)
        case .object(let object): return .object(convert(object))
        case .list(let values):
            return .list(values.map { convert($0) })
        }
    }

    mutating func encodeContents(_ contents: [UInt8], userCompression: String?, allowCompression: Bool) -> DataURL.Encoded {
        guard deferredContents != nil, Marker.contains(contents) else {
            return DataURL.encode(contents, userCompression: userCompression, allowCompression: allowCompression)
        }
        deferredContents?.append(DeferredContents(bytes: contents, userCompression: userCompression, allowCompression: allowCompression))
        let index = deferredContents!.count - 1
        return DataURL.Encoded(urlBytes: Array(Marker.sourcePlaceholder(index).utf8), compression: Marker.compressionPlaceholder(index))
    }

    /// `inline` and `local` become `source` data URLs.
    mutating func resource(_ source: ButaneObject, into out: inout IgnitionObject) {
        let given = ["source", "inline", "local"].filter { source[$0] != nil }
        if given.count > 1 {
            report.error(source.place, "\(given.joined(separator: " and ")) are mutually exclusive: give one")
            return
        }
        let compressionAvailable = spec.allows(source.schema.field(yaml: "compression")!, in: source.schema)
        let contents: [UInt8]
        let place: SourcePlace
        if let inline = source["inline"]?.string {
            contents = Array(inline.utf8)
            place = source.place(of: "inline")
        } else if let local = source["local"]?.string {
            place = source.place(of: "local")
            guard let read = readLocal(local, place) else { return }
            contents = read
        } else {
            return
        }
        let userCompression = source["compression"]?.string
        let encoded = encodeContents(contents, userCompression: userCompression, allowCompression: compressionAvailable)
        out["source"] = .string(encoded.url)
        if compressionAvailable {
            out["compression"] = .string(encoded.compression)
        }
    }

    mutating func authorizedKeys(_ source: ButaneObject, into out: inout IgnitionObject) {
        guard let locals = source["ssh_authorized_keys_local"]?.list, !locals.isEmpty else { return }
        var keys = out["sshAuthorizedKeys"]?.list ?? []
        let place = source.place(of: "ssh_authorized_keys_local")
        for (index, entry) in locals.enumerated() {
            guard let path = entry.string, let bytes = readLocal(path, place.child(String(index))) else { continue }
            // Bytes, not Characters: Swift reads "\r\n" as one Character.
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                let key = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
                if !key.isEmpty { keys.append(.string(String(decoding: key, as: UTF8.self))) }
            }
        }
        out["sshAuthorizedKeys"] = .list(keys)
    }

    mutating func localContents(_ source: ButaneObject, into out: inout IgnitionObject) {
        guard let local = source["contents_local"]?.string, !local.isEmpty else { return }
        let place = source.place(of: "contents_local")
        if source["contents"] != nil {
            report.error(place, "contents and contents_local are mutually exclusive: give one")
            return
        }
        guard let bytes = readLocal(local, place) else { return }
        out["contents"] = .string(String(decoding: bytes, as: UTF8.self))
    }

    mutating func readLocal(_ path: String, _ place: SourcePlace) -> [UInt8]? {
        guard let files else {
            report.error(place, "local file \(path) needs a files directory (kiln butane --files-dir, or the data directory's files/)")
            return nil
        }
        do {
            let bytes = try files.contents(of: path)
            refuseMarkers(bytes, place)
            return bytes
        } catch {
            report.error(place, error.description)
            return nil
        }
    }

    /// A shape's placeholders come only from its text: a local file that
    /// happens to hold marker characters cannot be shaped.
    mutating func refuseMarkers(_ bytes: [UInt8], _ place: SourcePlace) {
        if deferredContents != nil, Marker.contains(bytes) {
            report.error(place, "local file holds placeholder marker characters")
        }
    }

    // MARK: - with_mount_unit

    func mountUnits(_ source: ButaneObject) -> IgnitionObject? {
        guard let storage = source["storage"]?.object, let filesystems = storage["filesystems"]?.list else { return nil }
        let tangLuks = Set((storage["luks"]?.list ?? []).compactMap { entry -> String? in
            guard let luks = entry.object, let name = luks["name"]?.string,
                  !(luks["clevis"]?.object?["tang"]?.list ?? []).isEmpty else { return nil }
            return name
        })
        var units: [IgnitionValue] = []
        for entry in filesystems {
            guard let filesystem = entry.object, filesystem["with_mount_unit"]?.bool == true,
                  let device = filesystem["device"]?.string, let format = filesystem["format"]?.string else { continue }
            let remote = tangLuks.contains { device == "/dev/mapper/\($0)" || device == "/dev/disk/by-id/dm-name-\($0)" }
            let options = (filesystem["mount_options"]?.list ?? []).compactMap(\.string) + (remote ? ["_netdev"] : [])
            let optionsLine = options.isEmpty ? "" : "\nOptions=" + options.joined(separator: ",")
            let name: String
            let contents: String
            if format == "swap" {
                name = SystemdEscape.path(device) + ".swap"
                contents = "# Generated by Butane\n[Swap]\nWhat=\(device)\(optionsLine)\n\n[Install]\nRequiredBy=swap.target"
            } else {
                guard let path = filesystem["path"]?.string else { continue }
                let escapedDevice = SystemdEscape.path(device)
                name = SystemdEscape.path(path) + ".mount"
                contents = "# Generated by Butane\n[Unit]\nRequires=systemd-fsck@\(escapedDevice).service\nAfter=systemd-fsck@\(escapedDevice).service\n\n[Mount]\nWhere=\(path)\nWhat=\(device)\nType=\(format)\(optionsLine)\n\n[Install]\nRequiredBy=\(remote ? "remote-fs.target" : "local-fs.target")"
            }
            units.append(.object(IgnitionObject(IgnitionSchema.unit, ["name": .string(name), "enabled": .bool(true), "contents": .string(contents)])))
        }
        guard !units.isEmpty else { return nil }
        return IgnitionObject(IgnitionSchema.config, ["systemd": .object(IgnitionObject(IgnitionSchema.systemd, ["units": .list(units)]))])
    }

    // MARK: - trees

    mutating func addTrees(_ source: ButaneObject, to config: inout IgnitionObject) {
        guard let storageSource = source["storage"]?.object, let trees = storageSource["trees"]?.list, !trees.isEmpty else { return }
        var storage = config["storage"]?.object ?? IgnitionObject(IgnitionSchema.storage)
        var files = storage["files"]?.list.compactMap(\.object) ?? []
        var links = storage["links"]?.list.compactMap(\.object) ?? []
        let directories = Set((storage["directories"]?.list ?? []).compactMap { $0.object?["path"]?.string })
        let treesPlace = storageSource.place(of: "trees")
        for (index, entry) in trees.enumerated() {
            let place = treesPlace.child(String(index))
            guard let tree = entry.object, let local = tree["local"]?.string else { continue }
            guard let localFiles = self.files else {
                report.error(place, "trees need a files directory (kiln butane --files-dir, or the data directory's files/)")
                return
            }
            let base = tree["path"]?.string ?? "/"
            let walked: [LocalFiles.TreeEntry]
            do {
                walked = try localFiles.walk(local)
            } catch {
                report.error(place, error.description)
                continue
            }
            for item in walked {
                let destination = SlashPath.join(base, item.relativePath)
                let conflict = { (kind: String) in "tree entry \(destination) clashes with an existing \(kind) of that path" }
                switch item.kind {
                case .file(let contents, let executable):
                    refuseMarkers(contents, place)
                    if directories.contains(destination) || links.contains(where: { $0["path"]?.string == destination }) {
                        report.error(place, conflict("node"))
                        continue
                    }
                    var file: IgnitionObject
                    let existing = files.firstIndex { $0["path"]?.string == destination }
                    if let existing {
                        file = files[existing]
                        if file["contents"]?.object?["source"] != nil {
                            report.error(place, conflict("file with contents"))
                            continue
                        }
                    } else {
                        file = IgnitionObject(IgnitionSchema.file, ["path": .string(destination)])
                    }
                    var contentsObject = file["contents"]?.object ?? IgnitionObject(IgnitionSchema.fileResource)
                    let encoded = encodeContents(contents, userCompression: contentsObject["compression"]?.string, allowCompression: true)
                    contentsObject["source"] = .string(encoded.url)
                    contentsObject["compression"] = .string(encoded.compression)
                    file["contents"] = .object(contentsObject)
                    if file["mode"] == nil { file["mode"] = .int(executable ? 0o755 : 0o644) }
                    if let existing { files[existing] = file } else { files.append(file) }
                case .symlink(let target):
                    if directories.contains(destination) || files.contains(where: { $0["path"]?.string == destination }) {
                        report.error(place, conflict("node"))
                        continue
                    }
                    let existing = links.firstIndex { $0["path"]?.string == destination }
                    var link = existing.map { links[$0] } ?? IgnitionObject(IgnitionSchema.link, ["path": .string(destination)])
                    if existing != nil, link["target"] != nil {
                        report.error(place, conflict("link with a target"))
                        continue
                    }
                    link["target"] = .string(target)
                    if let existing { links[existing] = link } else { links.append(link) }
                }
            }
        }
        storage["files"] = .list(files.map(IgnitionValue.object))
        storage["links"] = .list(links.map(IgnitionValue.object))
        config["storage"] = .object(storage)
    }

    // MARK: - boot_device (fcos 1.3.0+)

    mutating func bootDeviceConfig(_ bootDevice: ButaneObject, luks storage: ButaneObject?) -> IgnitionObject? {
        let luksSource = bootDevice["luks"]?.object
        let tang = luksSource?["tang"]?.list ?? []
        let wantLuks = luksSource?["tpm2"]?.bool == true || !tang.isEmpty || luksSource?["cex"]?.object?["enabled"]?.bool == true
        let mirrorDevices = (bootDevice["mirror"]?.object?["devices"]?.list ?? []).compactMap(\.string)
        let wantMirror = !mirrorDevices.isEmpty
        let layout = bootDevice["layout"]?.string ?? "x86_64"
        let layouts = spec.ignitionMinor >= 5
            ? ["x86_64", "aarch64", "ppc64le", "s390x-eckd", "s390x-virt", "s390x-zfcp"]
            : ["x86_64", "aarch64", "ppc64le"]
        guard layouts.contains(layout) else {
            report.error(bootDevice.place(of: "layout"), "unknown layout \(layout) (one of \(layouts.joined(separator: ", ")))")
            return nil
        }
        if wantMirror, mirrorDevices.count < 2 {
            report.error(bootDevice.place(of: "mirror"), "mirroring needs at least two devices")
            return nil
        }
        if let luksSource, luksSource["cex"]?.object?["enabled"]?.bool == true, luksSource["tpm2"]?.bool == true || !tang.isEmpty {
            report.error(luksSource.place, "cex cannot be combined with tpm2 or tang")
            return nil
        }
        guard wantLuks || wantMirror else { return nil }

        var disks: [IgnitionValue] = []
        var filesystems: [IgnitionValue] = []
        var raid: [IgnitionValue] = []
        let wantBIOS = layout == "x86_64"
        let wantEFI = layout == "x86_64" || layout == "aarch64"
        let wantPReP = layout == "ppc64le"
        func partition(_ label: String, _ size: Int?, _ type: String?) -> IgnitionValue {
            var values: [String: IgnitionValue] = ["label": .string(label)]
            if let size { values["sizeMiB"] = .int(size) }
            if let type { values["typeGuid"] = .string(type) }
            return .object(IgnitionObject(IgnitionSchema.partition, values))
        }
        if wantMirror {
            for (index, device) in mirrorDevices.enumerated() {
                let number = index + 1
                var partitions: [IgnitionValue] = []
                if wantBIOS {
                    partitions.append(partition("bios-\(number)", 1, "21686148-6449-6E6F-744E-656564454649"))
                } else if wantPReP {
                    partitions.append(partition("prep-\(number)", 4, "9E1A2D38-C612-4316-AA26-8B49521E5A8B"))
                } else {
                    partitions.append(partition("reserved-\(number)", 1, "8DA63339-0007-60C0-C436-083AC8230908"))
                }
                if wantEFI {
                    partitions.append(partition("esp-\(number)", 127, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"))
                } else {
                    partitions.append(partition("reserved-\(number)", 1, "8DA63339-0007-60C0-C436-083AC8230908"))
                }
                partitions.append(partition("boot-\(number)", 384, nil))
                partitions.append(partition("root-\(number)", nil, nil))
                disks.append(.object(IgnitionObject(IgnitionSchema.disk, ["device": .string(device), "wipeTable": .bool(true), "partitions": .list(partitions)])))
                if wantEFI {
                    filesystems.append(.object(IgnitionObject(IgnitionSchema.filesystem, [
                        "device": .string("/dev/disk/by-partlabel/esp-\(number)"), "format": .string("vfat"),
                        "label": .string("esp-\(number)"), "wipeFilesystem": .bool(true),
                    ])))
                }
            }
            func members(_ prefix: String) -> IgnitionValue {
                .list((1...mirrorDevices.count).map { .string("/dev/disk/by-partlabel/\(prefix)-\($0)") })
            }
            raid = [
                // The superblock at the end of the partition, so BIOS GRUB
                // reads /boot without understanding RAID.
                .object(IgnitionObject(IgnitionSchema.raid, ["devices": members("boot"), "level": .string("raid1"), "name": .string("md-boot"), "options": .list([.string("--metadata=1.0")])])),
                .object(IgnitionObject(IgnitionSchema.raid, ["devices": members("root"), "level": .string("raid1"), "name": .string("md-root")])),
            ]
            filesystems.append(.object(IgnitionObject(IgnitionSchema.filesystem, [
                "device": .string("/dev/md/md-boot"), "format": .string("ext4"), "label": .string("boot"), "wipeFilesystem": .bool(true),
            ])))
        }
        var luksList: [IgnitionValue] = []
        if wantLuks, let luksSource {
            let device: String
            switch layout {
            case "s390x-eckd", "s390x-zfcp":
                guard let whole = luksSource["device"]?.string else {
                    report.error(luksSource.place, "layout \(layout) needs luks.device, the whole disk")
                    return nil
                }
                device = whole + (layout == "s390x-eckd" ? "2" : "4")
            default:
                device = wantMirror ? "/dev/md/md-root" : "/dev/disk/by-partlabel/root"
            }
            var luks = IgnitionObject(IgnitionSchema.luks, [
                "device": .string(device), "label": .string("luks-root"), "name": .string("root"), "wipeVolume": .bool(true),
            ])
            if let discard = luksSource["discard"]?.bool { luks["discard"] = .bool(discard) }
            if luksSource["cex"]?.object?["enabled"]?.bool == true {
                luks["cex"] = .object(IgnitionObject(IgnitionSchema.cex, ["enabled": .bool(true)]))
            } else {
                var clevis = IgnitionObject(IgnitionSchema.clevis)
                if !tang.isEmpty { clevis["tang"] = convert(.list(tang)) }
                if let threshold = luksSource["threshold"]?.int { clevis["threshold"] = .int(threshold) }
                if let tpm2 = luksSource["tpm2"]?.bool { clevis["tpm2"] = .bool(tpm2) }
                luks["clevis"] = .object(clevis)
            }
            luksList.append(.object(luks))
        }
        filesystems.append(.object(IgnitionObject(IgnitionSchema.filesystem, [
            "device": .string(wantLuks ? "/dev/mapper/root" : "/dev/md/md-root"), "format": .string("xfs"),
            "label": .string("root"), "wipeFilesystem": .bool(true),
        ])))
        var storage = IgnitionObject(IgnitionSchema.storage, ["filesystems": .list(filesystems)])
        if !disks.isEmpty { storage["disks"] = .list(disks) }
        if !raid.isEmpty { storage["raid"] = .list(raid) }
        if !luksList.isEmpty { storage["luks"] = .list(luksList) }
        return IgnitionObject(IgnitionSchema.config, ["storage": .object(storage)])
    }

    // MARK: - grub (fcos 1.5.0+)

    mutating func grubConfig(_ grub: ButaneObject) -> IgnitionObject? {
        let users = (grub["users"]?.list ?? []).compactMap(\.object)
        guard !users.isEmpty else { return nil }
        var names: [String] = []
        var commands: [String] = []
        for user in users {
            guard let name = user["name"]?.string, !name.isEmpty else {
                report.error(user.place, "a GRUB user needs a name")
                return nil
            }
            guard let hash = user["password_hash"]?.string, !hash.isEmpty else {
                report.error(user.place, "GRUB user \(name) needs password_hash (from grub2-mkpasswd-pbkdf2)")
                return nil
            }
            names.append(name)
            commands.append("password_pbkdf2 \(name) \(hash)")
        }
        let text = "# Generated by Butane\n\nset superusers=\"\(names.joined(separator: " "))\"\n" + commands.joined(separator: "\n") + "\n"
        let encoded = encodeContents(Array(text.utf8), userCompression: nil, allowCompression: true)
        let fragment = IgnitionObject(IgnitionSchema.fileResource, ["source": .string(encoded.url), "compression": .string(encoded.compression)])
        let storage = IgnitionObject(IgnitionSchema.storage, [
            "filesystems": .list([.object(IgnitionObject(IgnitionSchema.filesystem, [
                "device": .string("/dev/disk/by-label/boot"), "format": .string("ext4"), "path": .string("/boot"),
            ]))]),
            "files": .list([.object(IgnitionObject(IgnitionSchema.file, [
                "path": .string("/boot/grub2/user.cfg"), "append": .list([.object(fragment)]),
            ]))]),
        ])
        return IgnitionObject(IgnitionSchema.config, ["storage": .object(storage)])
    }
}

/// systemd's path escaping for unit names (`systemd-escape --path`).
enum SystemdEscape {
    static func path(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard !trimmed.isEmpty else { return "-" }
        var out = ""
        for (index, byte) in trimmed.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "/"):
                out.append("-")
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "_"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: ".") where index > 0:
                out.append(".")
            default:
                out.append("\\x" + String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16))
            }
        }
        return out
    }
}

enum SlashPath {
    /// Joins and cleans like Go's path.Join.
    static func join(_ base: String, _ relative: String) -> String {
        var parts: [Substring] = []
        for component in (base + "/" + relative).split(separator: "/") {
            switch component {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
