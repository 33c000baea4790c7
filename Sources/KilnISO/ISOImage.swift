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
        let archive = try MemoryArchive(limit: maximumBytes)
        func option(_ name: String, _ value: String?) throws(ISOError) {
            try archive.configure("iso9660 option \(name)") { archive_write_set_format_option($0, "iso9660", name, value) }
        }
        try archive.configure("iso9660 format") { archive_write_set_format_iso9660($0) }
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
        try archive.configure("block size") { archive_write_set_bytes_per_block($0, 2048) }
        try archive.configure("last block") { archive_write_set_bytes_in_last_block($0, 1) }
        try archive.open()
        for directory in Self.directories(of: files) {
            try archive.add(directory, nil, mode: 0o755)
        }
        for file in files.sorted(by: { $0.path < $1.path }) {
            try archive.add(file.path, file.bytes, mode: file.executable ? 0o755 : 0o644)
        }
        return try archive.finish("finishing the image")
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
}
