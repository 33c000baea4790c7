import KilnCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps a request path under `/assets/` to a file inside the assets
/// directory, refusing everything that could name a file outside it.
struct AssetPath {
    enum Refusal: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case escapes(String)
        case notFound(String)
        case notAFile(String)

        var description: String {
            switch self {
            case .malformed(let why): return why
            case .escapes(let path): return "\(path) resolves outside the assets directory"
            case .notFound(let path): return "no asset \(path)"
            case .notAFile(let path): return "\(path) is not a regular file"
            }
        }
    }

    /// The components of a raw (still percent-encoded) request path after
    /// the `/assets/` prefix, decoded and checked. Refuses `..` and `.`,
    /// encoded slashes and backslashes, NUL, and invalid escapes.
    static func components(ofRawPath raw: Substring) throws(Refusal) -> [String] {
        var components: [String] = []
        for rawComponent in raw.split(separator: "/", omittingEmptySubsequences: true) {
            guard let bytes = PercentEncoding.decode(rawComponent, plusIsSpace: false) else {
                throw .malformed("invalid percent escape in path")
            }
            if bytes.contains(0) { throw .malformed("NUL byte in path") }
            if bytes.contains(UInt8(ascii: "/")) { throw .malformed("encoded slash in path") }
            if bytes.contains(UInt8(ascii: "\\")) { throw .malformed("backslash in path") }
            let component = String(decoding: bytes, as: UTF8.self)
            if component == ".." || component == "." { throw .malformed("'.' and '..' are not allowed in asset paths") }
            components.append(component)
        }
        return components
    }

    /// Resolves symlinks and checks the result is a regular file under the
    /// (already resolved) root.
    static func resolve(_ components: [String], root: String) throws(Refusal) -> (path: String, info: stat) {
        let display = "/assets/" + components.joined(separator: "/")
        guard !components.isEmpty else { throw .notAFile(display) }
        let joined = root + "/" + components.joined(separator: "/")
        guard let resolved = realPath(joined) else { throw .notFound(display) }
        guard resolved.hasPrefix(root + "/") else { throw .escapes(display) }
        var info = stat()
        guard stat(resolved, &info) == 0 else { throw .notFound(display) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notAFile(display) }
        return (resolved, info)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

}
