import KilnCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read request checked against the root and negotiated, ready to run on
/// any event loop (everything in it is Sendable; the file is opened there).
struct TransferPlan: Sendable {
    var filename: String
    var path: String
    var size: Int
    /// netascii transfers are converted in memory up front.
    var converted: [UInt8]?
    var negotiation: TFTPNegotiation

    struct Refusal: Error {
        var code: TFTPErrorCode
        var message: String
    }

    /// netascii files are converted in memory: cap their size.
    static let maxNetASCIISize = 16 << 20

    /// The file a name means under the (resolved) root: confined to it, and
    /// a bare name also in its `ipxe/` folder.
    static func locate(_ name: String, root: String) throws(ConfinedFile.Refusal) -> ConfinedFile.Found {
        let components = try ConfinedFile.check(name.utf8.split(separator: UInt8(ascii: "/")).map(Array.init))
        do {
            return try ConfinedFile.resolve(components, root: root, displayName: name)
        } catch .notFound where components.count == 1 {
            // DHCP servers hand out bare names such as undionly.kpxe; the
            // iPXE binaries live in ipxe/ under the root.
            return try ConfinedFile.resolve(["ipxe"] + components, root: root, displayName: name)
        }
    }

    static func prepare(_ request: TFTPRequest, root: String?, limits: TFTPLimits) -> Result<TransferPlan, Refusal> {
        guard request.mode == "octet" || request.mode == "netascii" else {
            return .failure(Refusal(code: .illegalOperation, message: "transfer mode \(request.mode) is not supported; use octet or netascii"))
        }
        guard let root else { return .failure(Refusal(code: .fileNotFound, message: "the TFTP root does not exist")) }
        let name = request.filename
        if name.hasPrefix("/") {
            return .failure(Refusal(code: .accessViolation, message: "absolute paths are not allowed"))
        }
        let found: ConfinedFile.Found
        do {
            found = try locate(name, root: root)
        } catch {
            switch error {
            case .malformed, .escapes: return .failure(Refusal(code: .accessViolation, message: error.description))
            case .notFound, .notAFile: return .failure(Refusal(code: .fileNotFound, message: error.description))
            }
        }
        var size = Int(found.info.st_size)
        var converted: [UInt8]?
        if request.mode == "netascii" {
            guard size <= maxNetASCIISize else {
                return .failure(Refusal(code: .accessViolation, message: "netascii transfers are limited to \(maxNetASCIISize) bytes; use octet mode"))
            }
            guard let bytes = readWhole(found.path, size: size) else {
                return .failure(Refusal(code: .fileNotFound, message: "cannot read \(name)"))
            }
            converted = NetASCII.encode(bytes)
            size = converted!.count
        }
        let negotiation = TFTPNegotiation(request: request, transferSize: size, limits: limits)
        return .success(TransferPlan(filename: name, path: found.path, size: size, converted: converted, negotiation: negotiation))
    }

    /// Opens the data source on the event loop that will run the transfer.
    func openSource() -> Result<any TFTPDataSource, Refusal> {
        if let converted { return .success(MemorySource(converted)) }
        guard let descriptor = Self.openForReading(path) else {
            return .failure(Refusal(code: .fileNotFound, message: "cannot open \(filename)"))
        }
        var info = stat()
        guard fstat(descriptor.rawValue, &info) == 0, Int(info.st_size) == size else {
            try? descriptor.close()
            return .failure(Refusal(code: .notDefined, message: "\(filename) changed while the transfer started"))
        }
        return .success(FileChunkSource(descriptor: descriptor, size: size, windowBytes: negotiation.blockSize * negotiation.windowSize))
    }

    private static func openForReading(_ path: String) -> SystemPackage.FileDescriptor? {
        try? SystemPackage.FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec, retryOnInterrupt: true)
    }

    private static func readWhole(_ path: String, size: Int) -> [UInt8]? {
        guard let descriptor = openForReading(path) else { return nil }
        // As before, a failing close does not fail the read.
        defer { try? descriptor.close() }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let got = try? bytes.withUnsafeMutableBytes {
                try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]), retryOnInterrupt: true)
            }
            guard let got, got > 0 else { return nil }
            filled += got
        }
        return bytes
    }
}
