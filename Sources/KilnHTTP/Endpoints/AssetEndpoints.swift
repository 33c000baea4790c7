import Hummingbird
import KilnCore
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves the assets directory: kernels, initrds and images that can be
/// gigabytes, so files are sent with `sendfile(2)` (or streamed in chunks),
/// never read whole. Ranges,
/// validators and HEAD are handled here because Hummingbird's file
/// middleware gets suffix ranges, out-of-range starts and HEAD wrong.
struct AssetEndpoints: Sendable {
    /// The resolved (symlink-free) root; nil when the directory is missing.
    let root: String?
    let configuredRoot: String

    init(root: String) {
        self.configuredRoot = root
        self.root = ConfinedFile.realPath(root)
    }

    func routes() -> [Route] {
        [.plain("/assets/**", "assets") { request in await reply(to: request) }]
    }

    func reply(to request: Request) async -> Reply {
        let rawPath = request.uri.path
        guard rawPath.hasPrefix("/assets/") else { return .failure(.notFound, "no asset \(rawPath)") }
        guard let root else { return .failure(.notFound, "assets directory \(configuredRoot) does not exist") }
        let path: String
        let info: stat
        do {
            let found = try AssetPath.resolve(rawPath: rawPath.dropFirst("/assets/".count), root: root)
            (path, info) = (found.path, found.info)
        } catch {
            switch error {
            case .malformed: return .failure(.badRequest, error.description)
            case .escapes: return .failure(.forbidden, error.description)
            case .notFound, .notAFile: return .failure(.notFound, error.description)
            }
        }

        let size = Int64(info.st_size)
        let modified = Int(info.st_mtim.tv_sec)
        let etag = "\"\(String(UInt64(size), radix: 16))-\(String(UInt64(modified), radix: 16))\(String(UInt64(info.st_mtim.tv_nsec), radix: 16))\""
        let lastModified = HTTPDate.format(secondsSinceEpoch: modified)
        var headers = HTTPFields()
        headers[.contentType] = Self.contentType(for: path)
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = etag
        headers[.lastModified] = lastModified

        if Self.notModified(request.headers, etag: etag, modified: modified) {
            return Reply(status: .notModified, headers: headers)
        }

        var range = ByteRangeRequest(header: request.headers[.range], size: size)
        if let ifRange = request.headers[.ifRange], ifRange != etag, ifRange != lastModified {
            range = .whole  // the client's copy is stale: send all of it
        }
        var status: HTTPResponse.Status = .ok
        var bytes: ClosedRange<Int64>?
        switch range {
        case .whole:
            bytes = size > 0 ? 0...(size - 1) : nil
        case .partial(let selected):
            status = .partialContent
            bytes = selected
            headers[.contentRange] = "bytes \(selected.lowerBound)-\(selected.upperBound)/\(size)"
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            var reply = Reply.failure(.rangeNotSatisfiable, "range \(request.headers[.range] ?? "") is outside the \(size)-byte file")
            reply.headers[.contentRange] = "bytes */\(size)"
            return reply
        }
        let length = bytes.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        headers[.contentLength] = String(length)
        guard request.method != .head, let bytes else {
            return Reply(status: status, headers: headers)
        }
        var reply = Reply(status: status, headers: headers)
        reply.file = FileBody(path: path, bytes: bytes)
        return reply
    }

    /// RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since.
    static func notModified(_ headers: HTTPFields, etag: String, modified: Int) -> Bool {
        if let ifNoneMatch = headers[.ifNoneMatch] {
            let tags = ifNoneMatch.split(separator: ",").map { $0.trimmingASCIISpaces() }
            // Weak comparison: W/"x" matches "x".
            return tags.contains { $0 == "*" || $0 == etag || $0 == "W/" + etag }
        }
        if let since = headers[.ifModifiedSince], let date = HTTPDate.parse(since) {
            return modified <= date
        }
        return false
    }

    static func contentType(for path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        switch name[name.index(after: dot)...].lowercased() {
        case "ipxe", "txt", "cfg", "conf", "sh", "asc", "sig", "sha256", "sha512": return "text/plain; charset=utf-8"
        case "json", "ign", "ignition": return "application/json"
        case "yaml", "yml", "bu": return "application/yaml"
        case "iso": return "application/x-iso9660-image"
        case "gz", "tgz": return "application/gzip"
        case "xz": return "application/x-xz"
        case "zst": return "application/zstd"
        case "tar": return "application/x-tar"
        case "html", "htm": return "text/html; charset=utf-8"
        default: return "application/octet-stream"
        }
    }
}
