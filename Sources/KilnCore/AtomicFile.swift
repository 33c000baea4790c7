#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file replacement that never leaves a half-written file: the bytes
/// go to a hidden temporary file beside the target, reach the disk
/// (fsync), and are renamed over it; the folder is synced so the rename
/// survives a power cut.
public enum AtomicFile {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let name = path.split(separator: "/").last.map(String.init) ?? path
        // Hidden, so a reload that lists the folder mid-write skips it.
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).kiln-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { buffer in
                    Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw Failure("cannot write \(temporary): \(String(cString: strerror(errno)))")
                }
                written += result
            }
            guard fsync(fd) == 0 else { throw Failure("cannot sync \(temporary): \(String(cString: strerror(errno)))") }
            closed = true
            guard close(fd) == 0 else { throw Failure("cannot close \(temporary): \(String(cString: strerror(errno)))") }
            guard rename(temporary, path) == 0 else { throw Failure("cannot rename onto \(path): \(String(cString: strerror(errno)))") }
        } catch {
            unlink(temporary)
            throw error
        }
        try syncDirectory(folder.isEmpty ? "." : folder)
    }

    public static func syncDirectory(_ folder: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure("cannot open \(folder): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure("cannot sync \(folder): \(String(cString: strerror(errno)))") }
    }
}
