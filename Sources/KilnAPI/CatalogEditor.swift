import Crypto
import Foundation
import KilnCore
import KilnHTTP
import KilnRender
import Logging
import Synchronization

/// Writes groups, profiles and templates for the API. One write at a time:
/// its precondition is checked against the file as it is on disk, the
/// catalog with the change is loaded and compiled as a reload would, and
/// only a catalog no worse than the one before is written (atomically,
/// through the source) and installed before the caller hears back.
public final class CatalogEditor: Sendable {
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable {
            /// 404: nothing to delete or precondition on.
            case notFound
            /// 412: If-Match or If-None-Match did not hold.
            case preconditionFailed
            /// 422: the catalog would not load, or would be worse.
            case invalid
            /// 503: the source could not be read or written.
            case unavailable
        }

        public var kind: Kind
        public var message: String
        /// `path:line:column: error: reason` lines for `invalid`.
        public var reasons: [String]

        init(_ kind: Kind, _ message: String, reasons: [String] = []) {
            self.kind = kind
            self.message = message
            self.reasons = reasons
        }

        public init(kind: Kind, message: String, reasons: [String] = []) {
            self.init(kind, message, reasons: reasons)
        }

        public var description: String { ([message] + reasons).joined(separator: "\n") }
    }

    /// What the caller asked to be true of the file before the write.
    public struct Precondition: Sendable, Equatable {
        /// `If-Match`: one of these entity tags, or `*` for any existing file.
        public var ifMatch: [String]?
        /// `If-None-Match: *`: only create.
        public var mustNotExist: Bool

        public init(ifMatch: [String]? = nil, mustNotExist: Bool = false) {
            self.ifMatch = ifMatch
            self.mustNotExist = mustNotExist
        }
    }

    public struct Written: Sendable {
        public var etag: String?
        public var created: Bool
    }

    let source: any WritableCatalogSource
    let reloader: CatalogReloader
    let logger: Logger
    private let gate = SerialGate()

    public init(source: any WritableCatalogSource, reloader: CatalogReloader, logger: Logger) {
        self.source = source
        self.reloader = reloader
        self.logger = logger
    }

    /// The entity tag of a file's bytes: strong, so If-Match compares bytes.
    public static func etag(_ bytes: [UInt8]) -> String {
        "\"" + SHA256.hash(data: bytes).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
    }

    public func read(_ record: CatalogRecord) async throws(Refusal) -> [UInt8]? {
        let source = self.source
        do {
            return try await NIOThreadPoolRunner.run { try source.read(record) }
        } catch {
            throw Refusal(.unavailable, "cannot read \(record.path): \(error)")
        }
    }

    public func names(of kind: CatalogRecord.Kind) async throws(Refusal) -> [String] {
        let source = self.source
        do {
            return try await NIOThreadPoolRunner.run { try source.names(of: kind) }
        } catch {
            throw Refusal(.unavailable, "cannot list \(kind.folder)/: \(error)")
        }
    }

    /// Replaces or creates a record (`bytes`), or deletes it (nil).
    public func write(_ record: CatalogRecord, bytes: [UInt8]?, precondition: Precondition, by credential: String) async throws(Refusal) -> Written {
        let source = self.source
        let logger = self.logger
        let action = bytes == nil ? "delete" : "put"
        do {
            return try await gate.run {
                let outcome = Outcome()
                _ = try await self.reloader.install(reason: "API \(action) \(record.path) by \(credential)") { stamp in
                    let before = try Self.readOrRefuse(source, record)
                    if bytes == nil && before == nil { throw Refusal(.notFound, "no \(record.kind.name) \(record.name)") }
                    let snapshot = source.snapshot()
                    let baseline = LoadedCatalog.load(from: SnapshotSource(snapshot, origin: "API write"))
                    let candidate = LoadedCatalog.load(from: SnapshotSource(snapshot.applying(record, bytes: bytes), origin: "API write"))
                    // What is wrong with the request itself comes before whether it is stale.
                    try Self.compare(candidate, with: baseline, record: record)
                    try Self.check(precondition, against: before, record: record)
                    do {
                        try source.write(record, bytes: bytes, replacing: before)
                    } catch let conflict as CatalogWriteConflict {
                        throw Refusal(.preconditionFailed, "\(conflict); read it again and retry")
                    } catch {
                        throw Refusal(.unavailable, "cannot write \(record.path): \(error)")
                    }
                    stamp()
                    outcome.set(Written(etag: bytes.map(Self.etag), created: before == nil))
                    return candidate
                }
                logger.notice("api: \(action) \(record.path)", metadata: ["credential": "\(credential)"])
                return outcome.value ?? Written(etag: nil, created: false)
            }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(.unavailable, "\(error)")
        }
    }

    /// The group that gives one machine a profile: `machine-<mac>`,
    /// selecting the MAC. The API's assign and the dashboard's form both
    /// write it through `write`.
    public static func assignment(of mac: MACAddress, profile: String, metadata: [String: Any]) throws -> (CatalogRecord, [UInt8]) {
        let id = "machine-" + mac.bytes.map { String(format: "%02x", $0) }.joined()
        let group: [String: Any] = [
            "id": id, "name": "assigned to \(mac)", "profile": profile, "selector": ["mac": mac.description], "metadata": metadata,
        ]
        let document = try JSONSerialization.data(withJSONObject: group, options: [.prettyPrinted, .sortedKeys]) + Data("\n".utf8)
        return (try CatalogRecord(kind: .group, name: id), [UInt8](document))
    }

    private static func readOrRefuse(_ source: any WritableCatalogSource, _ record: CatalogRecord) throws -> [UInt8]? {
        do {
            return try source.read(record)
        } catch {
            throw Refusal(.unavailable, "cannot read \(record.path): \(error)")
        }
    }

    private static func check(_ precondition: Precondition, against current: [UInt8]?, record: CatalogRecord) throws {
        if precondition.mustNotExist && current != nil {
            throw Refusal(.preconditionFailed, "\(record.path) already exists (If-None-Match: *)")
        }
        if let tags = precondition.ifMatch {
            guard let current else { throw Refusal(.preconditionFailed, "\(record.path) does not exist (If-Match)") }
            let tag = etag(current)
            guard tags.contains("*") || tags.contains(tag) || tags.contains("W/" + tag) else {
                throw Refusal(.preconditionFailed, "\(record.path) has changed: its ETag is now \(tag)")
            }
        }
    }

    /// Refuses a candidate that does not compile, adds errors, or adds
    /// ambiguous group pairs: a write must leave the catalog no worse.
    private static func compare(_ candidate: LoadedCatalog, with baseline: LoadedCatalog, record: CatalogRecord) throws {
        let known = Set(baseline.diagnostics.map(\.description))
        let newErrors = candidate.diagnostics.errors.filter { !known.contains($0.description) }
        if candidate.compiled == nil || !newErrors.isEmpty {
            let reasons = (newErrors.isEmpty ? candidate.diagnostics.errors : newErrors).map(\.description)
            throw Refusal(.invalid, "\(record.path) was not written: the catalog would not load with it", reasons: reasons)
        }
        let before = baseline.catalog?.ambiguityCount ?? 0
        if let after = candidate.catalog?.ambiguityCount, after > before {
            let reasons = candidate.diagnostics.warnings.filter { !known.contains($0.description) }.map(\.description)
            throw Refusal(.invalid, "\(record.path) was not written: it makes \(after - before) pair(s) of groups equally specific for one machine",
                          reasons: reasons)
        }
    }
}

/// Where a write's result is left by the loading closure.
private final class Outcome: Sendable {
    private let held = Mutex<CatalogEditor.Written?>(nil)
    var value: CatalogEditor.Written? { held.withLock { $0 } }
    func set(_ written: CatalogEditor.Written) { held.withLock { $0 = written } }
}
