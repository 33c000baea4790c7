// MARK: - boot_device (fcos 1.3.0+)

extension ButaneTranslator {
    mutating func bootDeviceConfig(_ bootDevice: ButaneObject, luks storage: ButaneObject?) -> IgnitionObject? {
        let luksSource = bootDevice["luks"]?.object
        let tang = luksSource?["tang"]?.list ?? []
        let wantLuks = luksSource?["tpm2"]?.bool == true || !tang.isEmpty || luksSource?["cex"]?.object?["enabled"]?.bool == true
        let mirrorDevices = (bootDevice["mirror"]?.object?["devices"]?.list ?? []).compactMap(\.string)
        let wantMirror = !mirrorDevices.isEmpty
        if spec.ignitionMinor >= 6, let luksSource, luksSource["device"] != nil, !wantLuks {
            report.error(luksSource.place, "no method specified for luks: set tang, tpm2 or cex")
            return nil
        }
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
        // fcos 1.7.0 made the layout a requirement of mirroring: x86_64 was only ever a guess.
        if wantMirror, bootDevice["layout"] == nil, spec.variant == .fcos, spec.ignitionMinor >= 6 {
            report.error(bootDevice.place(of: "mirror"), "mirroring needs a layout (x86_64, aarch64, ppc64le…) from fcos 1.7.0 on")
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
}
