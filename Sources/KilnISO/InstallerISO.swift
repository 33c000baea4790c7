import CArchive
import Foundation
import KilnCore

/// Bytes to write over a base image at an offset.
public struct ISOPatch: Sendable, Equatable {
    public var offset: UInt64
    public var bytes: [UInt8]
}

/// The places a CoreOS live ISO keeps for customisation, found the way
/// coreos-installer finds them.
public struct InstallerLayout: Sendable, Equatable {
    /// The Ignition embed area: a compressed cpio (an extra initrd for the
    /// live system), zero-filled when empty.
    public var ignition: ISOExtent
    public var kargs: KernelArgumentAreas?
    public var size: UInt64

    /// `coreos/kargs.json`: the same kernel command line is kept in each
    /// boot loader's config, in an area of fixed size padded with `#`.
    public struct KernelArgumentAreas: Sendable, Equatable {
        public var size: Int
        public var defaults: String
        public var areas: [Area]

        public struct Area: Sendable, Equatable {
            public var offset: UInt64
            public var pad: UInt8
            public var end: UInt8
        }

        /// The area's bytes for these arguments: the arguments, the end
        /// character, then padding.
        func contents(_ arguments: String, _ area: Area) throws(ISOError) -> [UInt8] {
            let text = Array(arguments.utf8)
            guard text.count < size else {
                throw ISOError("kernel arguments are \(text.count + 1) bytes with their end; the ISO's areas hold \(size)")
            }
            var bytes = [UInt8](repeating: area.pad, count: size)
            bytes.replaceSubrange(0..<text.count, with: text)
            bytes[text.count] = area.end
            return bytes
        }

        /// The arguments an area holds: padding and end character dropped.
        func arguments(in bytes: [UInt8], _ area: Area) -> String {
            var end = bytes.count
            while end > 0, bytes[end - 1] == area.pad { end -= 1 }
            while end > 0, bytes[end - 1] == area.end { end -= 1 }
            return String(decoding: bytes[..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
    }
}

/// What an installer image holds now (`kiln iso show`).
public struct InstallerContents: Sendable {
    /// The embedded `config.ign`, nil when the area is empty.
    public var ignition: [UInt8]?
    /// Every file of the embedded initrd, by path.
    public var initrdFiles: [String]
    public var kernelArguments: String?
    public var defaultKernelArguments: String?
}

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
            .object(["path": .string(path), "mode": .number(0o600), "contents": .object(["source": .string("data:;base64," + Data(bytes).base64EncodedString())])])
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

    /// Writes the base image with the patches applied to `output`,
    /// atomically: a temporary file beside it, renamed into place when
    /// complete, removed on any failure. Memory stays at one 1 MiB buffer
    /// whatever the image's size.
    public static func write(base: String, patches: [ISOPatch], to output: String) throws(ISOError) {
        let input = open(base, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ISOError("cannot open \(base): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        var status = stat()
        guard fstat(input, &status) == 0 else { throw ISOError("cannot read \(base)") }
        let size = UInt64(status.st_size)
        let sorted = try checked(patches, size: size)
        let directory = (output as NSString).deletingLastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/." + (output as NSString).lastPathComponent + ".kiln-XXXXXX").utf8CString)
        let temporary = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard temporary >= 0 else { throw ISOError("cannot create a file beside \(output): \(String(cString: strerror(errno)))") }
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var finished = false
        defer {
            close(temporary)
            if !finished { unlink(temporaryPath) }
        }
        var cursor: UInt64 = 0
        for patch in sorted + [ISOPatch(offset: size, bytes: [])] {
            try copyRange(from: input, to: temporary, offset: cursor, count: patch.offset - cursor)
            try writeAll(temporary, patch.bytes, at: patch.offset)
            cursor = patch.offset + UInt64(patch.bytes.count)
        }
        guard fchmod(temporary, status.st_mode & 0o777) == 0, fsync(temporary) == 0 else {
            throw ISOError("cannot finish \(output): \(String(cString: strerror(errno)))")
        }
        guard rename(temporaryPath, output) == 0 else { throw ISOError("cannot write \(output): \(String(cString: strerror(errno)))") }
        finished = true
    }

    private static func copyRange(from input: Int32, to output: Int32, offset: UInt64, count: UInt64) throws(ISOError) {
        var remaining = count
        var position = off_t(offset)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while remaining > 0 {
            let wanted = Int(min(remaining, UInt64(buffer.count)))
            let got = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, wanted, position) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { throw ISOError("reading the base image: \(got == 0 ? "it ended early" : String(cString: strerror(errno)))") }
            try writeAll(output, Array(buffer[0..<got]), at: UInt64(position))
            position += off_t(got)
            remaining -= UInt64(got)
        }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], at offset: UInt64) throws(ISOError) {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            if wrote < 0, errno == EINTR { continue }
            guard wrote > 0 else { throw ISOError("writing: \(String(cString: strerror(errno)))") }
            done += wrote
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

/// initrd archives: newc cpio, gzip-compressed (the kernel and
/// coreos-installer both read gzip; libarchive's xz would carry a CRC64
/// check, which the kernel's initramfs decoder refuses).
public enum Initrd {
    public static func build(_ files: [ISOFile]) throws(ISOError) -> [UInt8] {
        let archive = try MemoryArchive(limit: 256 * 1024 * 1024)
        try archive.configure("cpio format") { archive_write_set_format_cpio_newc($0) }
        try archive.configure("gzip filter") { archive_write_add_filter_gzip($0) }
        // No time in the gzip header: the same config gives the same bytes.
        try archive.configure("gzip timestamp") { archive_write_set_filter_option($0, "gzip", "timestamp", nil) }
        try archive.configure("block size") { archive_write_set_bytes_per_block($0, 0) }
        try archive.open()
        for file in files {
            try archive.add(file.path, file.bytes, mode: file.executable ? 0o755 : 0o644)
        }
        return try archive.finish("finishing the initrd")
    }

    /// The files of a compressed (gzip, xz, zstd…) or plain cpio archive;
    /// zeros after its end are ignored.
    public static func read(_ bytes: [UInt8]) throws(ISOError) -> [ISOFile] {
        guard let archive = archive_read_new() else { throw ISOError("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_all(archive)
        archive_read_support_format_cpio(archive)
        var files: [ISOFile] = []
        let status = bytes.withUnsafeBytes { buffer -> Int32 in
            guard archive_read_open_memory(archive, buffer.baseAddress, buffer.count) == ARCHIVE_OK else { return ARCHIVE_FATAL }
            var entry: OpaquePointer?
            while true {
                let next = archive_read_next_header(archive, &entry)
                if next == ARCHIVE_EOF { return ARCHIVE_OK }
                guard next == ARCHIVE_OK || next == ARCHIVE_WARN, let entry else { return next }
                var path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
                while path.hasPrefix("./") { path.removeFirst(2) }
                let size = Int(archive_entry_size(entry))
                guard size >= 0, size <= 64 * 1024 * 1024 else { return ARCHIVE_FATAL }
                var data = [UInt8](repeating: 0, count: size)
                if size > 0 {
                    let got = data.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, size) }
                    guard got == size else { return ARCHIVE_FATAL }
                }
                if archive_entry_filetype(entry) == kiln_archive_regular_file { files.append(ISOFile(path, data)) }
            }
        }
        guard status == ARCHIVE_OK else {
            throw ISOError("the embedded initrd does not read: \(archive_error_string(archive).map { String(cString: $0) } ?? "not a cpio archive")")
        }
        return files
    }
}
