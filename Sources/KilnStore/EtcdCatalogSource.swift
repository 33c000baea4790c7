import Foundation
import KilnCore
import KilnEtcd
import Logging
import Synchronization

/// The catalog kept in etcd: each file of matchbox's layout is one key,
/// `<prefix>/catalog/groups/node1.json`, `<prefix>/catalog/ignition/node1.yaml`.
/// A snapshot is one range read at one revision; changes come from a watch
/// that starts right after the newest snapshot's revision, so a change can
/// cause an extra reload but never be missed. A lost watch or a compacted
/// revision reports a change (the reloader reads afresh) and starts again.
public final class EtcdCatalogSource: WritableCatalogSource {
    public let client: EtcdClient
    let keyPrefix: String
    let logger: Logger
    /// The revision of the newest snapshot read; a watch starts after it.
    private let snapshotRevision = Mutex<Int64>(0)
    /// Waits before watching again after a failure: doubles to the limit.
    static let retryLimit = Duration.seconds(5)

    /// Where the newest snapshot read is kept, so a replica restarted
    /// while etcd is away still serves the catalog it last saw; nil keeps none.
    let cachePath: String?
    private let readOnce = Mutex(false)

    public init(client: EtcdClient, logger: Logger, cacheFolder: String? = nil) {
        self.client = client
        self.keyPrefix = client.address.prefix + "/catalog/"
        self.logger = logger
        cachePath = cacheFolder.map { $0 + "/etcd-catalog-cache.json" }
    }

    public var origin: String { client.address.description + "/catalog" }

    public var lastSnapshotRevision: Int64 { snapshotRevision.withLock { $0 } }

    func key(_ path: String) -> [UInt8] { Array((keyPrefix + path).utf8) }

    public func snapshot() -> CatalogSnapshot {
        let client = self.client
        let prefix = Array(keyPrefix.utf8)
        let range: EtcdRange
        do {
            range = try EtcdClient.blocking { try await client.rangeAll(prefix: prefix) }
        } catch {
            let failure = Diagnostic(.error, path: origin, "cannot read the catalog from etcd: \(error)")
            // Only before anything was read: later, the catalog in memory is newer than any cache.
            if !readOnce.withLock({ $0 }), let cached = readCache() {
                snapshotRevision.withLock { $0 = max($0, cached.revision) }
                var snapshot = Self.snapshot(of: cached.kvs, prefix: keyPrefix)
                snapshot.diagnostics.append(Diagnostic(.warning, path: origin,
                    "cannot read the catalog from etcd (\(error)); serving the copy of revision \(cached.revision) kept in \(cachePath ?? "")"))
                return snapshot
            }
            return CatalogSnapshot(diagnostics: [failure], isReadable: false)
        }
        let newer = snapshotRevision.withLock { revision -> Bool in
            defer { revision = max(revision, range.revision) }
            return range.revision > revision
        }
        readOnce.withLock { $0 = true }
        if newer { writeCache(range) }
        return Self.snapshot(of: range.kvs, prefix: keyPrefix)
    }

    private func writeCache(_ range: EtcdRange) {
        guard let cachePath else { return }
        let object: [String: Any] = [
            "revision": range.revision,
            "keys": range.kvs.map { ["key": $0.keyText, "value": Data($0.value).base64EncodedString()] },
        ]
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            try FileManager.default.createDirectory(atPath: (cachePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try AtomicFile.write([UInt8](data), to: cachePath, mode: 0o600)
        } catch {
            logger.warning("store: cannot keep a copy of the catalog in \(cachePath): \(error)")
        }
    }

    private func readCache() -> (revision: Int64, kvs: [EtcdKeyValue])? {
        guard let cachePath, let data = FileManager.default.contents(atPath: cachePath),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let revision = (object["revision"] as? NSNumber)?.int64Value, let keys = object["keys"] as? [[String: String]]
        else { return nil }
        let kvs = keys.compactMap { entry -> EtcdKeyValue? in
            guard let key = entry["key"], key.hasPrefix(keyPrefix), let value = entry["value"].flatMap({ Data(base64Encoded: $0) }) else { return nil }
            return EtcdKeyValue(key: Array(key.utf8), value: [UInt8](value))
        }
        return (revision, kvs)
    }

    /// The files under the prefix, laid out as a data directory would give them.
    static func snapshot(of kvs: [EtcdKeyValue], prefix: String) -> CatalogSnapshot {
        var snapshot = CatalogSnapshot()
        let folders = Set(TemplateKind.allCases.map(\.directory))
        for kv in kvs {
            let path = String(kv.keyText.dropFirst(prefix.count))
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count >= 2, let folder = parts.first.map(String.init),
                  !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                snapshot.diagnostics.append(Diagnostic(.warning, path: path, "key \(kv.keyText) is not part of matchbox's layout and is not read"))
                continue
            }
            let file = CatalogFile(path: path, bytes: kv.value)
            if folder == "groups" || folder == "profiles" {
                guard parts.count == 2, path.hasSuffix(".json"), !parts[1].hasPrefix(".") else {
                    snapshot.diagnostics.append(Diagnostic(.warning, path: path, "key \(kv.keyText) is not groups/*.json or profiles/*.json and is not read"))
                    continue
                }
                if folder == "groups" { snapshot.groups.append(file) } else { snapshot.profiles.append(file) }
            } else if folders.contains(folder) {
                snapshot.templates[path] = file
            } else {
                snapshot.diagnostics.append(Diagnostic(.warning, path: path, "key \(kv.keyText) is not part of matchbox's layout and is not read"))
            }
        }
        snapshot.groups.sort { $0.path < $1.path }
        snapshot.profiles.sort { $0.path < $1.path }
        return snapshot
    }

    public func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task { [self] in
            var wait = Duration.milliseconds(250)
            var waited = 0
            while !Task.isCancelled {
                // The first snapshot has not been read yet: it will be the start.
                // While etcd is away at start, ask for another read every 2 s.
                let revision = lastSnapshotRevision
                guard revision > 0 else {
                    try? await Task.sleep(for: .milliseconds(100))
                    waited += 1
                    if waited % 20 == 0 { continuation.yield("etcd: the catalog has not been read yet; trying again") }
                    continue
                }
                do {
                    for try await batch in client.watch(prefix: Array(keyPrefix.utf8), from: revision + 1) {
                        wait = .milliseconds(250)
                        guard let first = batch.events.first else { continue }
                        let what = first.kv.keyText.dropFirst(keyPrefix.count)
                        let more = batch.events.count > 1 ? " and \(batch.events.count - 1) more" : ""
                        continuation.yield("etcd: \(first.kind == .put ? "put" : "delete") \(what)\(more) at revision \(batch.revision)")
                    }
                } catch let error as EtcdError {
                    if case .compacted = error.kind {
                        continuation.yield("etcd: the watch's revision was compacted; reading the catalog afresh")
                    } else if !Task.isCancelled {
                        logger.warning("store: catalog watch lost: \(error); reading afresh and watching again")
                        continuation.yield("etcd: watch lost; reading the catalog afresh")
                    }
                } catch {
                    if Task.isCancelled { break }
                    continuation.yield("etcd: watch lost; reading the catalog afresh")
                }
                // The reload the yield causes takes a new snapshot, so the
                // next watch starts from what it read.
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, Self.retryLimit)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    // MARK: WritableCatalogSource

    public func read(_ record: CatalogRecord) throws -> [UInt8]? {
        let client = self.client
        let key = self.key(record.path)
        return try EtcdClient.blocking { try await client.range(key).kvs.first?.value }
    }

    public func names(of kind: CatalogRecord.Kind) throws -> [String] {
        let client = self.client
        let folder = keyPrefix + kind.folder + "/"
        let range = try EtcdClient.blocking { try await client.rangeAll(prefix: Array(folder.utf8), keysOnly: true) }
        let names = range.kvs.map { String($0.keyText.dropFirst(folder.count)) }.filter { !$0.contains("/") && !$0.hasPrefix(".") }
        switch kind {
        case .group, .profile: return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
        case .template: return names.sorted()
        }
    }

    public func write(_ record: CatalogRecord, bytes: [UInt8]?) throws {
        let client = self.client
        let key = self.key(record.path)
        if let bytes {
            _ = try EtcdClient.blocking { try await client.put(key, bytes) }
        } else {
            _ = try EtcdClient.blocking { try await client.delete(key) }
        }
    }

    /// Reads the key's value and modification revision, checks the value
    /// is the one the editor validated against, and writes in a transaction
    /// that holds only while the key's modification revision is unchanged:
    /// of several replicas writing at once, one wins and the rest are told.
    public func write(_ record: CatalogRecord, bytes: [UInt8]?, replacing expected: [UInt8]?) throws {
        let client = self.client
        let key = self.key(record.path)
        let succeeded = try EtcdClient.blocking { () -> Bool in
            let current = try await client.range(key).kvs.first
            guard current?.value == expected else { return false }
            let compare = EtcdCompare(key: key, .modRevision(current?.modRevision ?? 0))
            let operation: EtcdOperation = bytes.map { .put(key: key, value: $0) } ?? .delete(key: key)
            return try await client.transaction([compare], success: [operation]).succeeded
        }
        guard succeeded else { throw CatalogWriteConflict(record: record) }
    }
}
