import CArchive

/// One file to put in an image.
public struct ISOFile: Sendable, Equatable {
    /// Slash-separated, relative to the image root (`openstack/latest/user_data`).
    public var path: String
    public var bytes: [UInt8]
    public var executable: Bool

    public init(_ path: String, _ bytes: [UInt8], executable: Bool = false) {
        self.path = path
        self.bytes = bytes
        self.executable = executable
    }

    public init(_ path: String, text: String) {
        self.init(path, Array(text.utf8))
    }
}

/// An El Torito boot record: BIOS, no emulation (what ISOLINUX wants).
public struct ElToritoBoot: Sendable, Equatable {
    /// The boot image's path in the image.
    public var image: String
    public var catalog: String
    /// 512-byte sectors the BIOS loads (ISOLINUX: 4).
    public var loadSectors: Int
    /// Patch the boot image with the image's layout (ISOLINUX needs it).
    public var infoTable: Bool

    public init(image: String, catalog: String, loadSectors: Int = 4, infoTable: Bool = true) {
        self.image = image
        self.catalog = catalog
        self.loadSectors = loadSectors
        self.infoTable = infoTable
    }
}

public struct ISOOptions: Sendable, Equatable {
    /// Up to 32 bytes. The primary volume descriptor gets it upper-cased
    /// with `-` as `_` (ISO 9660's d-characters); the Joliet descriptor
    /// keeps it as written, and that is the label blkid and udev report.
    public var volumeID: String
    /// 300 KiB of zeros at the end, for old CD readers' read-ahead. Off for
    /// config drives, which are attached as virtual disks.
    public var pad: Bool
    public var boot: ElToritoBoot?

    public init(volumeID: String, pad: Bool = false, boot: ElToritoBoot? = nil) {
        self.volumeID = volumeID
        self.pad = pad
        self.boot = boot
    }
}

/// What went wrong making an image, with libarchive's own words.
public struct ISOError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// ISO 9660 images with Rock Ridge and Joliet, made in memory with
/// libarchive. libarchive's writer keeps file data in an unlinked
/// temporary file while it lays out the image, so it needs a writable
/// TMPDIR and blocks: call it off an event loop. Nothing is left behind,
/// on success or failure.
public enum ISOImage {
    /// Largest image made in memory; config drives and network-boot images
    /// are a few hundred KB.
    public static let maximumBytes = 256 * 1024 * 1024

    public static func build(_ files: [ISOFile], options: ISOOptions) throws(ISOError) -> [UInt8] {
        guard !options.volumeID.isEmpty, options.volumeID.utf8.count <= 32 else {
            throw ISOError("volume label \"\(options.volumeID)\" must be 1 to 32 bytes")
        }
        var seen = Set<String>()
        for file in files {
            let components = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.path.isEmpty, !file.path.hasPrefix("/"), !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
                  !file.path.utf8.contains(0) else {
                throw ISOError("file name \"\(file.path)\" must be a relative path without empty, . or .. components")
            }
            guard seen.insert(file.path).inserted else { throw ISOError("file \(file.path) is given twice") }
        }
        guard let archive = archive_write_new() else { throw ISOError("libarchive: out of memory") }
        defer { archive_write_free(archive) }
        let sink = Sink()

        func check(_ status: Int32, _ what: String) throws(ISOError) {
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                let message = archive_error_string(archive).map { String(cString: $0) } ?? "error \(status)"
                throw ISOError("\(what): \(message)")
            }
        }
        func option(_ name: String, _ value: String?) throws(ISOError) {
            try check(archive_write_set_format_option(archive, "iso9660", name, value), "iso9660 option \(name)")
        }

        try check(archive_write_set_format_iso9660(archive), "iso9660 format")
        try option("volume-id", options.volumeID)
        try option("rockridge", "1")
        try option("joliet", "1")
        try option("pad", options.pad ? "1" : nil)
        if let boot = options.boot {
            guard files.contains(where: { $0.path == boot.image }) else { throw ISOError("boot image \(boot.image) is not in the image") }
            try option("boot", boot.image)
            try option("boot-catalog", boot.catalog)
            try option("boot-type", "no-emulation")
            try option("boot-load-size", String(boot.loadSectors))
            try option("boot-info-table", boot.infoTable ? "1" : nil)
        }
        // Sectors, not tar's 10 KiB blocks, and no padding of the last one.
        try check(archive_write_set_bytes_per_block(archive, 2048), "block size")
        try check(archive_write_set_bytes_in_last_block(archive, 1), "last block")
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try check(archive_write_open2(archive, context, nil, { _, context, buffer, length in
            guard let context, let buffer else { return -1 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            guard sink.bytes.count + length <= ISOImage.maximumBytes else { return -1 }
            sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        }, nil, nil), "open")

        for directory in Self.directories(of: files) {
            try write(archive, path: directory, bytes: nil, mode: 0o755, check)
        }
        for file in files.sorted(by: { $0.path < $1.path }) {
            try write(archive, path: file.path, bytes: file.bytes, mode: file.executable ? 0o755 : 0o644, check)
        }
        try check(archive_write_close(archive), "finishing the image")
        return sink.bytes
    }

    /// Every parent directory, parents first.
    static func directories(of files: [ISOFile]) -> [String] {
        var directories = Set<String>()
        for file in files {
            var components = file.path.split(separator: "/").dropLast()
            while !components.isEmpty {
                directories.insert(components.joined(separator: "/"))
                components = components.dropLast()
            }
        }
        return directories.sorted()
    }

    private static func write(_ archive: OpaquePointer, path: String, bytes: [UInt8]?, mode: UInt32,
                              _ check: (Int32, String) throws(ISOError) -> Void) throws(ISOError) {
        guard let entry = archive_entry_new() else { throw ISOError("libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path)
        archive_entry_set_filetype(entry, bytes == nil ? kiln_archive_directory : kiln_archive_regular_file)
        archive_entry_set_perm(entry, mode_t(mode))
        archive_entry_set_size(entry, Int64(bytes?.count ?? 0))
        // A fixed time: the same inputs give the same directory records.
        archive_entry_set_mtime(entry, 0, 0)
        try check(archive_write_header(archive, entry), "adding \(path)")
        guard let bytes, !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        if written != bytes.count {
            try check(ARCHIVE_FATAL, "writing \(path)")
        }
    }

    private final class Sink {
        var bytes: [UInt8] = []
    }
}
