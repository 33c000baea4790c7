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
}
