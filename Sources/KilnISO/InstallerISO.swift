import Foundation
import KilnCore

/// Customising CoreOS live ISOs as `coreos-installer iso customize` and
/// `iso ignition embed` do: the machine's Ignition goes into the embed
/// area as a gzip-compressed newc cpio holding `config.ign`, kernel
/// arguments into the areas `coreos/kargs.json` lists, and every other
/// byte of the base image is copied as it is, so its El Torito and hybrid
/// boot records, labels and size survive.
public enum InstallerISO {
    public static func layout(of path: String) throws(ISOError) -> InstallerLayout {
        let image = try ISO9660Reader(path: path)
        let ignition: ISOExtent
        if let info = try image.lookup("coreos/igninfo.json") {
            let document = try json(try image.read(info.offset, Int(min(info.length, 64 * 1024))), "coreos/igninfo.json")
            guard let file = document["file"]?.stringValue else { throw ISOError("\(path): coreos/igninfo.json names no file") }
            guard let extent = try image.lookup(file) else { throw ISOError("\(path): coreos/igninfo.json names \(file), which is not in the image") }
            let offset = try number(document["offset"], "offset") ?? 0
            guard offset <= extent.length else { throw ISOError("\(path): igninfo offset \(offset) is past the end of \(file)") }
            let length = try number(document["length"], "length") ?? (extent.length - offset)
            guard offset + length <= extent.length else { throw ISOError("\(path): igninfo length \(length) runs past the end of \(file)") }
            ignition = ISOExtent(offset: extent.offset + offset, length: length)
        } else if let extent = try image.lookup("images/ignition.img") {
            ignition = extent
        } else {
            throw ISOError("\(path) has no CoreOS embed area (neither coreos/igninfo.json nor images/ignition.img): not a CoreOS live ISO, or too old")
        }
        guard ignition.length > 0, ignition.offset + ignition.length <= image.size else {
            throw ISOError("\(path): the embed area lies outside the file")
        }
        var kargs: InstallerLayout.KernelArgumentAreas?
        if let info = try image.lookup("coreos/kargs.json") {
            let document = try json(try image.read(info.offset, Int(min(info.length, 64 * 1024))), "coreos/kargs.json")
            guard let size = try number(document["size"], "size"), size > 0, size <= 2048,
                  let defaults = document["default"]?.stringValue, case .array(let files)? = document["files"] else {
                throw ISOError("\(path): coreos/kargs.json lacks size (1-2048), default or files")
            }
            var areas: [InstallerLayout.KernelArgumentAreas.Area] = []
            for entry in files {
                guard let file = entry.objectValue?["path"]?.stringValue, let offset = try number(entry.objectValue?["offset"], "offset") else {
                    throw ISOError("\(path): a coreos/kargs.json entry lacks path or offset")
                }
                guard let extent = try image.lookup(file), offset + size <= extent.length else {
                    throw ISOError("\(path): coreos/kargs.json names \(file) at \(offset), which is not in the image")
                }
                func character(_ key: String, _ fallback: UInt8) throws(ISOError) -> UInt8 {
                    guard let text = entry.objectValue?[key]?.stringValue else { return fallback }
                    guard text.utf8.count == 1, let byte = text.utf8.first else { throw ISOError("\(path): coreos/kargs.json \(key) must be one character") }
                    return byte
                }
                areas.append(.init(offset: extent.offset + offset, pad: try character("pad", UInt8(ascii: "#")), end: try character("end", UInt8(ascii: "\n"))))
            }
            guard !areas.isEmpty else { throw ISOError("\(path): coreos/kargs.json lists no areas") }
            kargs = .init(size: Int(size), defaults: defaults, areas: areas.sorted { $0.offset < $1.offset })
        }
        return InstallerLayout(ignition: ignition, kargs: kargs, size: image.size)
    }

    /// The patches that customise a base image.
    /// - Parameters:
    ///   - ignition: the machine's config; with `destinationDevice` it is
    ///     installed to that disk unattended, else it configures the live
    ///     system. Nil leaves the embed area empty.
    ///   - kernelArguments: appended to the image's defaults (an image
    ///     customised before gets the defaults back first).
    public static func patches(_ layout: InstallerLayout, ignition: [UInt8]?, destinationDevice: String? = nil,
                               kernelArguments: [String] = []) throws(ISOError) -> [ISOPatch] {
        var patches: [ISOPatch] = []
        var area = [UInt8](repeating: 0, count: Int(layout.ignition.length))
        if let ignition {
            let config = try destinationDevice.map { device throws(ISOError) in try unattendedInstall(ignition, device: device) } ?? ignition
            let initrd = try Initrd.build([ISOFile("config.ign", config)])
            guard initrd.count <= area.count else {
                throw ISOError("the compressed config is \(initrd.count) bytes; the ISO's embed area holds \(area.count)")
            }
            area.replaceSubrange(0..<initrd.count, with: initrd)
        } else if destinationDevice != nil {
            throw ISOError("an unattended install needs an Ignition config for the installed system")
        }
        patches.append(ISOPatch(offset: layout.ignition.offset, bytes: area))
        if let kargs = layout.kargs {
            let arguments = ([kargs.defaults] + kernelArguments).joined(separator: " ").trimmingCharacters(in: .whitespaces)
            for place in kargs.areas {
                patches.append(ISOPatch(offset: place.offset, bytes: try kargs.contents(arguments, place)))
            }
        } else if !kernelArguments.isEmpty {
            throw ISOError("this ISO has no kernel argument areas (no coreos/kargs.json), so arguments cannot be appended")
        }
        return try checked(patches, size: layout.size)
    }

    /// The patches that restore an image to its state as shipped: an empty
    /// embed area and the default kernel arguments.
    public static func resetPatches(_ layout: InstallerLayout) throws(ISOError) -> [ISOPatch] {
        try patches(layout, ignition: nil)
    }

    /// A live Ignition config that makes coreos-installer install `ignition`
    /// to `device` without asking: as coreos-installer's own customisation
    /// does, the installer's config and the installed system's Ignition are
    /// files the live config writes (an initrd's files would stay in the
    /// initramfs, where the installer never looks).
    public static func unattendedInstall(_ ignition: [UInt8], device: String) throws(ISOError) -> [UInt8] {
        guard device.hasPrefix("/dev/"), !device.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw ISOError("destination device \"\(device)\" must be a /dev/ path")
        }
        let installer = "# Written by Kiln\ndest-device: \(JSONValue.quoted(device))\nignition-file: /etc/coreos/dest.ign\n"
        func file(_ path: String, _ bytes: [UInt8]) -> JSONValue {
            .object(["path": .string(path), "mode": .number(0o600), "contents": .object(["source": .string("data:;base64," + Base64.encode(bytes))])])
        }
        let live: JSONValue = .object([
            "ignition": .object(["version": .string("3.0.0")]),
            "storage": .object(["files": .array([
                file("/etc/coreos/dest.ign", ignition),
                file("/etc/coreos/installer.d/0000-kiln.yaml", Array(installer.utf8)),
            ])]),
        ])
        return Array((live.jsonText + "\n").utf8)
    }

    public static func show(_ path: String) throws(ISOError) -> InstallerContents {
        let layout = try layout(of: path)
        let image = try ISO9660Reader(path: path)
        guard layout.ignition.length <= 64 * 1024 * 1024 else { throw ISOError("\(path): an embed area of \(layout.ignition.length) bytes is not plausible") }
        let area = try image.read(layout.ignition.offset, Int(layout.ignition.length))
        var contents = InstallerContents(ignition: nil, initrdFiles: [])
        if area.contains(where: { $0 != 0 }) {
            let files = try Initrd.read(area)
            contents.initrdFiles = files.map(\.path)
            contents.ignition = files.first { $0.path == "config.ign" }?.bytes
        }
        if let kargs = layout.kargs, let first = kargs.areas.first {
            contents.kernelArguments = kargs.arguments(in: try image.read(first.offset, kargs.size), first)
            contents.defaultKernelArguments = kargs.defaults
        }
        return contents
    }

    /// Sorted, inside the image, not overlapping.
    static func checked(_ patches: [ISOPatch], size: UInt64) throws(ISOError) -> [ISOPatch] {
        let sorted = patches.sorted { $0.offset < $1.offset }
        var end: UInt64 = 0
        for patch in sorted {
            guard patch.offset >= end, patch.offset + UInt64(patch.bytes.count) <= size else {
                throw ISOError("customisation areas overlap or lie outside the image")
            }
            end = patch.offset + UInt64(patch.bytes.count)
        }
        return sorted
    }

    /// Lays the patches that fall in `[offset, offset + count)` over a chunk
    /// of the base image read from `offset`.
    public static func overlay(_ patches: [ISOPatch], offset: UInt64, count: Int, _ write: (_ at: Int, _ bytes: ArraySlice<UInt8>) -> Void) {
        let chunkEnd = offset + UInt64(count)
        for patch in patches {
            let patchEnd = patch.offset + UInt64(patch.bytes.count)
            guard patch.offset < chunkEnd, patchEnd > offset else { continue }
            let from = max(patch.offset, offset)
            let to = min(patchEnd, chunkEnd)
            write(Int(from - offset), patch.bytes[Int(from - patch.offset)..<Int(to - patch.offset)])
        }
    }

    private static func json(_ bytes: [UInt8], _ name: String) throws(ISOError) -> [String: JSONValue] {
        // Space-padded in place by coreos-installer when rewritten.
        var trimmed = bytes
        while let last = trimmed.last, last == 0 || last == 0x20 || last == 0x0A { trimmed.removeLast() }
        guard let value = try? JSONReader.parse(trimmed).value, let object = value.objectValue else {
            throw ISOError("\(name) in the image is not a JSON object")
        }
        return object
    }

    private static func number(_ value: JSONValue?, _ name: String) throws(ISOError) -> UInt64? {
        guard let value, value != .null else { return nil }
        guard case .number(let number) = value, number >= 0, number == number.rounded(), number < 1e15 else {
            throw ISOError("\(name) must be a whole number")
        }
        return UInt64(number)
    }
}
