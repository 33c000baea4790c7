#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Where a file's data sits in an image.
public struct ISOExtent: Sendable, Equatable {
    public var offset: UInt64
    public var length: UInt64
}

/// Just enough ISO 9660 to find files in an existing image by path, with
/// positioned reads, so a gigabyte image is never loaded.
final class ISO9660Reader {
    let path: String
    private let descriptor: FileDescriptor
    let size: UInt64
    private let root: ISOExtent
    static let sector: UInt64 = 2048

    init(path: String) throws(ISOError) {
        self.path = path
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
        } catch {
            throw ISOError("cannot open \(path): \(error)")
        }
        var status = stat()
        guard fstat(descriptor.rawValue, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            try? descriptor.close()
            throw ISOError("\(path) is not a regular file")
        }
        size = UInt64(status.st_size)
        // The primary volume descriptor is the first at sector 16.
        var found: ISOExtent?
        for sector in UInt64(16)..<UInt64(32) {
            guard let block = try? Self.pread(descriptor, offset: sector * Self.sector, length: Int(Self.sector), size: size),
                  block.count == Int(Self.sector), Array(block[1...5]) == Array("CD001".utf8) else { break }
            if block[0] == 1 {
                found = Self.record(block, at: 156).map(\.extent)
                break
            }
            if block[0] == 255 { break }
        }
        guard let found else {
            try? descriptor.close()
            throw ISOError("\(path) is not an ISO 9660 image (no primary volume descriptor)")
        }
        root = found
    }

    deinit {
        try? descriptor.close()
    }

    func read(_ offset: UInt64, _ length: Int) throws(ISOError) -> [UInt8] {
        let bytes = try Self.pread(descriptor, offset: offset, length: length, size: size)
        guard bytes.count == length else { throw ISOError("\(path): \(length) bytes at \(offset) are past the end of the file") }
        return bytes
    }

    /// A file by path, matching ISO 9660 names as CoreOS tools do: case
    /// insensitive, version suffix ignored, and long names also tried in
    /// their 8.3 form (`coreos/igninfo.json` is `COREOS/IGNINFO.JSO`).
    func lookup(_ path: String) throws(ISOError) -> ISOExtent? {
        var directory = root
        let components = path.split(separator: "/").map { $0.uppercased() }
        for (index, component) in components.enumerated() {
            guard let entry = try find(component, in: directory) else { return nil }
            let last = index == components.count - 1
            if last { return entry.isDirectory ? nil : entry.extent }
            guard entry.isDirectory else { return nil }
            directory = entry.extent
        }
        return nil
    }

    private func find(_ name: String, in directory: ISOExtent) throws(ISOError) -> Record? {
        guard directory.length <= 16 * 1024 * 1024 else { throw ISOError("\(path): a directory of \(directory.length) bytes is not plausible") }
        let bytes = try read(directory.offset, Int(directory.length))
        let short = Self.shortName(name)
        var index = 0
        while index < bytes.count {
            let length = Int(bytes[index])
            if length == 0 {
                // Records do not cross sectors: skip to the next one.
                index = (index / Int(Self.sector) + 1) * Int(Self.sector)
                continue
            }
            guard let record = Self.record(bytes, at: index) else { break }
            if record.name == name || record.name == short { return record }
            index += length
        }
        return nil
    }

    struct Record {
        var extent: ISOExtent
        var isDirectory: Bool
        var name: String
    }

    static func record(_ bytes: [UInt8], at index: Int) -> Record? {
        guard index + 33 <= bytes.count else { return nil }
        let length = Int(bytes[index])
        let nameLength = Int(bytes[index + 32])
        guard length >= 33 + nameLength, index + length <= bytes.count else { return nil }
        func le32(_ at: Int) -> UInt64 {
            (0..<4).reduce(UInt64(0)) { $0 | UInt64(bytes[index + at + $1]) << (8 * UInt64($1)) }
        }
        let extent = ISOExtent(offset: le32(2) * sector, length: le32(10))
        var name = String(decoding: bytes[(index + 33)..<(index + 33 + nameLength)], as: UTF8.self)
        if let semicolon = name.firstIndex(of: ";") { name = String(name[..<semicolon]) }
        if name.hasSuffix(".") { name.removeLast() }
        return Record(extent: extent, isDirectory: bytes[index + 25] & 0x02 != 0, name: name.uppercased())
    }

    /// `IGNINFO.JSON` → `IGNINFO.JSO`: ISO level 1's eight and three.
    static func shortName(_ name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return String(name.prefix(8)) }
        return String(name[..<dot].prefix(8)) + "." + String(name[name.index(after: dot)...].prefix(3))
    }

    /// A positioned read through swift-system, which retries it when a
    /// signal interrupts.
    private static func pread(_ descriptor: FileDescriptor, offset: UInt64, length: Int, size: UInt64) throws(ISOError) -> [UInt8] {
        guard offset < size else { return [] }
        let wanted = Int(min(UInt64(length), size - offset))
        var bytes = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let got: Int
            do {
                got = try bytes.withUnsafeMutableBytes { buffer in
                    try descriptor.read(fromAbsoluteOffset: Int64(offset) + Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
                }
            } catch {
                throw ISOError("reading at \(offset): \(error)")
            }
            guard got > 0 else { throw ISOError("reading at \(offset): unexpected end of file") }
            done += got
        }
        return bytes
    }
}
