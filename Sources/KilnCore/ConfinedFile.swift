#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds a file named by a client inside a root directory, refusing every
/// name that could reach outside it: `.` and `..` components, NUL bytes,
/// backslashes, and symlinks that resolve elsewhere. Shared by `/assets/`
/// and TFTP.
public enum ConfinedFile {
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(String)
        case escapes(String)
        case notFound(String)
        case notAFile(String)

        public var description: String {
            switch self {
            case .malformed(let why): return why
            case .escapes(let name): return "\(name) resolves outside the served directory"
            case .notFound(let name): return "no file \(name)"
            case .notAFile(let name): return "\(name) is not a regular file"
            }
        }
    }

    public struct Found: Sendable {
        public var path: String
        public var info: stat
    }

    /// Checks decoded path components.
    public static func check(_ components: [[UInt8]]) throws(Refusal) -> [String] {
        var checked: [String] = []
        for bytes in components {
            if bytes.contains(0) { throw .malformed("NUL byte in path") }
            if bytes.contains(UInt8(ascii: "/")) { throw .malformed("encoded slash in path") }
            if bytes.contains(UInt8(ascii: "\\")) { throw .malformed("backslash in path") }
            let component = String(decoding: bytes, as: UTF8.self)
            if component == ".." || component == "." { throw .malformed("'.' and '..' are not allowed in paths") }
            checked.append(component)
        }
        return checked
    }

    /// Resolves symlinks and checks the result is a regular file under
    /// `root`, which must itself be resolved (see `realPath`).
    public static func resolve(_ components: [String], root: String, displayName: String) throws(Refusal) -> Found {
        guard !components.isEmpty else { throw .notAFile(displayName) }
        let joined = root + "/" + components.joined(separator: "/")
        guard let resolved = realPath(joined) else { throw .notFound(displayName) }
        guard resolved.hasPrefix(root + "/") else { throw .escapes(displayName) }
        var info = stat()
        guard stat(resolved, &info) == 0 else { throw .notFound(displayName) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notAFile(displayName) }
        return Found(path: resolved, info: info)
    }

    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
