import Crypto
import Foundation
import KilnCore
import Synchronization

/// Who made an API call, and what they may do.
public struct APICredential: Sendable, Equatable {
    public enum Scope: String, Sendable, CaseIterable {
        case read
        case write
    }

    public var name: String
    public var scope: Scope

    public init(name: String, scope: Scope) {
        self.name = name
        self.scope = scope
    }

    public var mayWrite: Bool { scope == .write }
}

/// The tokens file: one token per line as `NAME SCOPE sha256:HEX`, with
/// `#` comments. Only the SHA-256 of each token is stored: tokens are 256
/// random bits, so a fast hash is as safe as a slow one and costs no
/// request a bcrypt's 100 ms.
public struct APITokenFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var scope: APICredential.Scope
        /// Lowercase hex of SHA-256 over the token's UTF-8 bytes.
        public var hash: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// Parses a tokens file; a malformed line is an error with its number,
    /// so a typo cannot silently lock everyone out or let someone in.
    public static func parse(_ text: String, path: String = "tokens") throws -> APITokenFile {
        var entries: [Entry] = []
        var names: Set<String> = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let at = "\(path):\(index + 1)"
            guard fields.count == 3 else { throw Failure("\(at): expected NAME SCOPE sha256:HEX, found \(fields.count) fields") }
            guard isValidName(fields[0]) else { throw Failure("\(at): token name \"\(fields[0])\" may hold letters, digits and . _ - @ only") }
            guard let scope = APICredential.Scope(rawValue: fields[1]) else { throw Failure("\(at): scope \"\(fields[1])\" is not read or write") }
            let hash = fields[2].lowercased()
            guard hash.hasPrefix("sha256:"), hash.count == 7 + 64, hash.dropFirst(7).allSatisfy(\.isHexDigit) else {
                throw Failure("\(at): the hash must be sha256: and 64 hex digits")
            }
            guard names.insert(fields[0]).inserted else { throw Failure("\(at): token name \"\(fields[0])\" is used twice") }
            entries.append(Entry(name: fields[0], scope: scope, hash: String(hash.dropFirst(7))))
        }
        return APITokenFile(entries: entries)
    }

    public static func load(path: String) throws -> APITokenFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure("cannot read the tokens file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-@".unicodeScalars.contains($0)) }
    }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A new token: `kiln_` and 43 characters of base64url (256 bits from
    /// the system's random source).
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Base64.encode(bytes)
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "kiln_" + text
    }

    /// Creates a token, appends its line to the file (created with mode
    /// 0600 when missing; the whole file rewritten atomically), and returns
    /// the token, which is stored nowhere.
    public static func add(name: String, scope: APICredential.Scope, path: String) throws -> String {
        guard isValidName(name) else { throw Failure("token name \"\(name)\" may hold letters, digits and . _ - @ only (64 at most)") }
        var existing = ""
        if FileManager.default.fileExists(atPath: path) {
            existing = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
            let parsed = try parse(existing, path: path)
            guard !parsed.entries.contains(where: { $0.name == name }) else {
                throw Failure("a token named \(name) is already in \(path); remove its line to replace it")
            }
            if !existing.isEmpty && !existing.hasSuffix("\n") { existing += "\n" }
        } else {
            existing = "# Kiln API tokens: NAME SCOPE sha256:HEX (made by kiln token add; the tokens themselves are not kept)\n"
        }
        let token = newToken()
        let line = "\(name) \(scope.rawValue) sha256:\(hash(token))\n"
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        do {
            try AtomicFile.write(Array((existing + line).utf8), to: path, mode: 0o600)
        } catch {
            throw Failure("\(error)")
        }
        return token
    }
}

/// The tokens being honoured now; replaced whole when the file is re-read
/// (SIGHUP), so a revoked token stops working without a restart.
public final class APITokenTable: Sendable {
    private let byHash: Mutex<[String: APICredential]>

    public init(_ file: APITokenFile = APITokenFile()) {
        byHash = Mutex(Self.index(file))
    }

    public func replace(with file: APITokenFile) {
        let index = Self.index(file)
        byHash.withLock { $0 = index }
    }

    public func credential(for token: String) -> APICredential? {
        // Looked up by hash: the presented token is never compared byte by
        // byte with a stored secret, so timing tells nothing about it.
        let hash = APITokenFile.hash(token)
        return byHash.withLock { $0[hash] }
    }

    /// The credential of the token with this name, while the file still has
    /// it: a dashboard session ends when its token is revoked.
    public func credential(named name: String) -> APICredential? {
        byHash.withLock { index in index.values.first { $0.name == name } }
    }

    public var count: Int { byHash.withLock { $0.count } }

    private static func index(_ file: APITokenFile) -> [String: APICredential] {
        var index: [String: APICredential] = [:]
        for entry in file.entries { index[entry.hash] = APICredential(name: entry.name, scope: entry.scope) }
        return index
    }
}
