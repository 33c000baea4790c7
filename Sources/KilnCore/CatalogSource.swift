/// Where a catalog comes from: the data directory today; API writes and a
/// distributed store later. A source only reads and reports change; the
/// loader parses and checks what it read, so every source gets the same
/// errors with the same file, line and column.
public protocol CatalogSource: Sendable {
    /// Where the files come from, for logs: a directory, a store's address.
    var origin: String { get }

    /// Everything the catalog is made of, as it is now. May block on I/O:
    /// callers run it off the threads that serve requests.
    func snapshot() -> CatalogSnapshot

    /// A reason each time the catalog may have changed, whether the source
    /// polls (a directory) or is told (a store's watch). The stream ends when
    /// the consuming task is cancelled. Calling it marks the state to compare
    /// against, so a change made while the first snapshot loads is not lost.
    func changes() -> AsyncStream<String>
}

/// One file of a catalog, named as diagnostics name it (`groups/node1.json`).
public struct CatalogFile: Sendable, Equatable {
    public enum Contents: Sendable, Equatable {
        case bytes([UInt8])
        /// Why it could not be read (too large, permissions): reported by
        /// the loader when the file is needed.
        case unreadable(String)
    }

    public var path: String
    public var contents: Contents

    public init(path: String, contents: Contents) {
        self.path = path
        self.contents = contents
    }

    public init(path: String, bytes: [UInt8]) {
        self.init(path: path, contents: .bytes(bytes))
    }
}

/// The raw records of a catalog at one moment: what a source read, before
/// any of it is parsed.
public struct CatalogSnapshot: Sendable {
    /// `groups/*.json`, sorted by path.
    public var groups: [CatalogFile]
    /// `profiles/*.json`, sorted by path.
    public var profiles: [CatalogFile]
    /// Template files by path (`ignition/node1.yaml`); the loader takes the
    /// ones profiles name.
    public var templates: [String: CatalogFile]
    /// What reading found beside the files: missing folders, folders where
    /// files belong.
    public var diagnostics: [Diagnostic]
    /// False when the source itself could not be read (no such directory):
    /// nothing in it can be served.
    public var isReadable: Bool
    /// Where Butane's `local` references read from (the data directory's
    /// `files/`); nil refuses them.
    public var localFilesDirectory: String?

    public init(groups: [CatalogFile] = [], profiles: [CatalogFile] = [], templates: [String: CatalogFile] = [:],
                diagnostics: [Diagnostic] = [], isReadable: Bool = true, localFilesDirectory: String? = nil) {
        self.groups = groups
        self.profiles = profiles
        self.templates = templates
        self.diagnostics = diagnostics
        self.isReadable = isReadable
        self.localFilesDirectory = localFilesDirectory
    }
}

/// A snapshot already read, as a source, so it is loaded by the same code
/// as a reload (an API write's candidate, a directory being imported).
public struct SnapshotSource: CatalogSource {
    let held: CatalogSnapshot
    public let origin: String

    public init(_ snapshot: CatalogSnapshot, origin: String) {
        held = snapshot
        self.origin = origin
    }

    public func snapshot() -> CatalogSnapshot { held }
    public func changes() -> AsyncStream<String> { AsyncStream { $0.finish() } }
}
