#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import KilnCore
import SystemPackage

/// The files directory Butane's `local` references read from. Nothing
/// outside it is reachable: not by `..`, not by an absolute path, not by a
/// symlink that points out.
package struct LocalFiles: Sendable {
    package let root: String

    package init(root: String) {
        self.root = root
    }

    package struct Refusal: Error, CustomStringConvertible {
        package var description: String
    }

    enum TreeItemKind {
        case directory
        case file(contents: [UInt8], executable: Bool)
        case symlink(target: String)
    }

    struct TreeEntry {
        var relativePath: String
        var kind: TreeItemKind
    }

    /// Files larger than this are refused: a config is fetched whole by
    /// every machine and held in memory by Ignition.
    static let maximumFileSize = 64 * 1024 * 1024

    private var realRoot: String? { ConfinedFile.realPath(root) }

    package func contents(of relative: String) throws(Refusal) -> [UInt8] {
        let path = try confined(relative)
        var info = stat()
        guard stat(path, &info) == 0 else { throw Refusal(description: "local file \(relative): \(Self.errorText()) in the files directory") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Refusal(description: "local file \(relative) is not a regular file") }
        guard Int(info.st_size) <= Self.maximumFileSize else { throw Refusal(description: "local file \(relative) is larger than 64 MiB") }
        return try Self.readWhole(path, displayName: relative)
    }

    /// Regular files and symlinks under `relative`, in lexical order (as
    /// Go's filepath.Walk visits them).
    func walk(_ relative: String) throws(Refusal) -> [TreeEntry] {
        let base = try confined(relative)
        var info = stat()
        guard stat(base, &info) == 0 else { throw Refusal(description: "tree \(relative): \(Self.errorText())") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw Refusal(description: "tree \(relative) is not a directory") }
        var entries = [TreeEntry(relativePath: "", kind: .directory)]
        try walk(directory: base, prefix: "", into: &entries, depth: 0)
        return entries
    }

    private func walk(directory: String, prefix: String, into entries: inout [TreeEntry], depth: Int) throws(Refusal) {
        guard depth < 64 else { throw Refusal(description: "tree \(prefix) is nested too deeply") }
        guard let handle = opendir(directory) else { throw Refusal(description: "tree \(prefix.isEmpty ? "." : prefix): \(Self.errorText())") }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: UInt8.self, capacity: 256) { String(decoding: UnsafeBufferPointer(start: $0, count: strlen(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))), as: UTF8.self) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)
        for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let path = directory + "/" + name
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { throw Refusal(description: "tree entry \(relative): \(Self.errorText())") }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                entries.append(TreeEntry(relativePath: relative, kind: .directory))
                try walk(directory: path, prefix: relative, into: &entries, depth: depth + 1)
            case S_IFREG:
                guard Int(info.st_size) <= Self.maximumFileSize else { throw Refusal(description: "tree entry \(relative) is larger than 64 MiB") }
                let contents = try Self.readWhole(path, displayName: relative)
                entries.append(TreeEntry(relativePath: relative, kind: .file(contents: contents, executable: info.st_mode & 0o111 != 0)))
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(path, &buffer, buffer.count - 1)
                guard count >= 0 else { throw Refusal(description: "tree entry \(relative): \(Self.errorText())") }
                let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                entries.append(TreeEntry(relativePath: relative, kind: .symlink(target: target)))
            default:
                throw Refusal(description: "tree entry \(relative) is neither a file, a directory nor a symlink")
            }
        }
    }

    private func confined(_ relative: String) throws(Refusal) -> String {
        guard !relative.isEmpty else { throw Refusal(description: "local path is empty") }
        guard !relative.utf8.contains(0) else { throw Refusal(description: "local path contains a NUL byte") }
        guard let realRoot else { throw Refusal(description: "files directory \(root) does not exist") }
        let joined = SlashPath.join(realRoot, relative)
        guard joined == realRoot || joined.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            throw Refusal(description: "local path \(relative) is outside the files directory")
        }
        // A symlink inside may still point out; what it resolves to must stay in.
        if let resolved = ConfinedFile.realPath(joined), resolved != realRoot, !resolved.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") {
            throw Refusal(description: "local path \(relative) resolves outside the files directory")
        }
        return joined
    }

    private static func errorText() -> String {
        errno == ENOENT ? "no such file" : String(decoding: UnsafeRawBufferPointer(start: strerror(errno), count: strlen(strerror(errno))).bindMemory(to: UInt8.self), as: UTF8.self)
    }

    /// The same words for an error swift-system threw (an `Errno`).
    private static func errorText(_ error: any Error) -> String {
        if let code = error as? Errno, code == .noSuchFileOrDirectory { return "no such file" }
        return "\(error)"
    }

    /// Reads through swift-system, which retries when a signal interrupts.
    private static func readWhole(_ path: String, displayName: String) throws(Refusal) -> [UInt8] {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
        } catch {
            throw Refusal(description: "local file \(displayName): \(errorText(error))")
        }
        defer { try? descriptor.close() }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            } catch {
                throw Refusal(description: "local file \(displayName): \(errorText(error))")
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            if result.count > maximumFileSize { throw Refusal(description: "local file \(displayName) is larger than 64 MiB") }
        }
        return result
    }
}
