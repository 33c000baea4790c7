/// One record of a catalog as a writer names it: a group, a profile, or a
/// template of one kind. Names are one path component, checked by `init`,
/// so no write can reach outside its folder.
public struct CatalogRecord: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case group
        case profile
        case template(TemplateKind)

        /// The folder the record's file lives in.
        public var folder: String {
            switch self {
            case .group: return "groups"
            case .profile: return "profiles"
            case .template(let kind): return kind.directory
            }
        }

        /// As the API and CLI name it: `group`, `profile`, `ignition`…
        public var name: String {
            switch self {
            case .group: return "group"
            case .profile: return "profile"
            case .template(let kind): return kind.rawValue
            }
        }

        public init?(name: String) {
            switch name {
            case "group", "groups": self = .group
            case "profile", "profiles": self = .profile
            default:
                guard let kind = TemplateKind(rawValue: name) else { return nil }
                self = .template(kind)
            }
        }
    }

    public enum NameRefusal: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case tooLong(Int)
        case forbidden(String)

        public var description: String {
            switch self {
            case .empty: return "name is empty"
            case .tooLong(let limit): return "name is longer than \(limit) characters"
            case .forbidden(let name):
                return "name \"\(name.prefix(80))\" is not allowed: use letters, digits and . _ - : @ + only, not starting with a dot (no separators, encodings or NUL)"
            }
        }
    }

    public static let maxNameLength = 200

    public let kind: Kind
    /// The id (groups, profiles) or file name (templates).
    public let name: String

    public init(kind: Kind, name: String) throws(NameRefusal) {
        guard !name.isEmpty else { throw .empty }
        guard name.utf8.count <= Self.maxNameLength else { throw .tooLong(Self.maxNameLength) }
        // An allow-list rather than a deny-list: a name that is only these
        // characters cannot be a separator, a traversal, an encoding or NUL.
        let allowed = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "+"):
                return true
            default:
                return false
            }
        }
        // A leading dot would be a hidden file the loader skips, or `..`.
        guard allowed, !name.hasPrefix(".") else { throw .forbidden(name) }
        self.kind = kind
        self.name = name
    }

    /// The file's path in matchbox's layout: `groups/NAME.json`,
    /// `ignition/NAME`.
    public var path: String {
        switch kind {
        case .group, .profile: return "\(kind.folder)/\(name).json"
        case .template: return "\(kind.folder)/\(name)"
        }
    }

    public var description: String { path }
}

/// A catalog source that can also be written: the data directory today, a
/// distributed store later. Writes replace whole files atomically.
public protocol WritableCatalogSource: CatalogSource {
    /// One file's bytes as they are now; nil when there is none.
    func read(_ record: CatalogRecord) throws -> [UInt8]?

    /// The names of the records of one kind, sorted.
    func names(of kind: CatalogRecord.Kind) throws -> [String]

    /// Replaces (or creates) a file, or removes it when `bytes` is nil.
    /// Readers see the old file or the new one, never part of either.
    func write(_ record: CatalogRecord, bytes: [UInt8]?) throws

    /// As `write`, only if the record still holds `expected` (nil: it does
    /// not exist), checked and written as one step; otherwise throws
    /// `CatalogWriteConflict`. A shared store needs this: another replica
    /// may write between the editor's read and its write.
    func write(_ record: CatalogRecord, bytes: [UInt8]?, replacing expected: [UInt8]?) throws
}

extension WritableCatalogSource {
    /// One process writes a directory, and the editor writes one record at
    /// a time, so nothing can come between its read and its write.
    public func write(_ record: CatalogRecord, bytes: [UInt8]?, replacing expected: [UInt8]?) throws {
        try write(record, bytes: bytes)
    }
}

/// Another writer changed the record after it was read: the write was not made.
public struct CatalogWriteConflict: Error, Sendable, CustomStringConvertible {
    public var record: CatalogRecord

    public init(record: CatalogRecord) {
        self.record = record
    }

    public var description: String { "\(record.path) was changed by another writer while this write was checked" }
}

extension CatalogSnapshot {
    /// This snapshot with one file replaced, added or removed, as the
    /// source would read it after the write.
    public func applying(_ record: CatalogRecord, bytes: [UInt8]?) -> CatalogSnapshot {
        var copy = self
        let file = bytes.map { CatalogFile(path: record.path, bytes: $0) }
        func replace(in files: inout [CatalogFile]) {
            files.removeAll { $0.path == record.path }
            if let file {
                files.append(file)
                files.sort { $0.path < $1.path }
            }
        }
        switch record.kind {
        case .group: replace(in: &copy.groups)
        case .profile: replace(in: &copy.profiles)
        case .template: copy.templates[record.path] = file
        }
        return copy
    }
}
