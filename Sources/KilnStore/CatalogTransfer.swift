import Foundation
import KilnCore
import KilnEtcd

/// Copies a catalog between a data directory and etcd (`kiln store
/// import` and `export`), and counts what a store holds.
public enum CatalogTransfer {
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public struct Imported: Sendable {
        public var transactions: Int
        public var deleted: Int
        public var revision: Int64
    }

    /// etcd refuses a transaction of more than 128 operations, or a request over 1.5 MiB, by default.
    static let operationsPerTransaction = 120
    static let bytesPerTransaction = 1 << 20

    /// Writes `files` (already checked, in the order given: templates,
    /// profiles, groups) under `<prefix>/catalog/`. One transaction when
    /// they fit, guarded so it applies only if the catalog is still as it
    /// was read; else several, in order, so every midway state compiles.
    public static func importCatalog(_ files: [CatalogFile], into client: EtcdClient, replace: Bool) async throws -> Imported {
        let prefix = client.address.prefix + "/catalog/"
        let existing = try await client.rangeAll(prefix: Array(prefix.utf8), keysOnly: true)
        if !existing.kvs.isEmpty && !replace {
            throw Refusal(description: "\(client.address) already holds a catalog (\(existing.kvs.count) keys); use --replace to overwrite it")
        }
        var operations: [(EtcdOperation, Int)] = []
        var wanted = Set<[UInt8]>()
        for file in files {
            guard case .bytes(let bytes) = file.contents else {
                throw Refusal(description: "\(file.path) cannot be read")
            }
            let key = Array((prefix + file.path).utf8)
            wanted.insert(key)
            guard bytes.count + key.count < bytesPerTransaction else {
                throw Refusal(description: "\(file.path) is \(bytes.count) bytes, more than etcd takes in one request")
            }
            operations.append((.put(key: key, value: bytes), bytes.count + key.count))
        }
        // Groups first, then profiles, then templates: the reverse of writing.
        let stale = existing.kvs.map(\.key).filter { !wanted.contains($0) }.sorted { order($0, prefix) > order($1, prefix) }
        for key in stale { operations.append((.delete(key: key), key.count)) }
        var chunks: [[EtcdOperation]] = [[]]
        var size = 0
        for (operation, bytes) in operations {
            if chunks[chunks.count - 1].count >= operationsPerTransaction || size + bytes > bytesPerTransaction {
                chunks.append([])
                size = 0
            }
            chunks[chunks.count - 1].append(operation)
            size += bytes
        }
        var revision: Int64 = 0
        for (index, chunk) in chunks.enumerated() where !chunk.isEmpty {
            // The first transaction holds only while no catalog key was written since the read.
            let unchanged = EtcdCompare(key: Array(prefix.utf8), rangeEnd: Array(prefix.utf8).prefixRangeEnd,
                                        .modRevision(existing.revision + 1), .less)
            let result = try await client.transaction(index == 0 ? [unchanged] : [], success: chunk)
            guard result.succeeded else { throw Refusal(description: "the catalog changed while it was imported; run the import again") }
            revision = result.revision
        }
        return Imported(transactions: chunks.filter { !$0.isEmpty }.count, deleted: stale.count, revision: revision)
    }

    private static func order(_ key: [UInt8], _ prefix: String) -> Int {
        let path = String(decoding: key, as: UTF8.self).dropFirst(prefix.count)
        if path.hasPrefix("groups/") { return 2 }
        if path.hasPrefix("profiles/") { return 1 }
        return 0
    }

    /// Writes every catalog key as a file under `directory` (new or
    /// empty), through a folder beside it renamed into place at the end.
    public static func exportCatalog(from client: EtcdClient, to directory: String) async throws -> (Int, Int64) {
        let prefix = client.address.prefix + "/catalog/"
        let range = try await client.rangeAll(prefix: Array(prefix.utf8))
        let manager = FileManager.default
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        let staging = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).export-\(UInt32.random(in: 0...UInt32.max))")
        try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            // groups/ and profiles/ always, as matchbox expects them; template folders when they hold something.
            for folder in ["groups", "profiles"] {
                try manager.createDirectory(at: staging.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
            for kv in range.kvs {
                let path = String(kv.keyText.dropFirst(prefix.count))
                let parts = path.split(separator: "/", omittingEmptySubsequences: false)
                // Keys are written by Kiln, but a store is shared: nothing may land outside the folder.
                guard parts.count >= 2, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.hasPrefix(".") }) else {
                    throw Refusal(description: "key \(kv.keyText) is not a path Kiln writes; nothing was exported")
                }
                let file = staging.appendingPathComponent(path)
                try manager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(kv.value).write(to: file)
            }
            if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }
            try manager.moveItem(at: staging, to: target)
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
        return (range.kvs.count, range.revision)
    }

    /// Keys under the prefix by kind, for `kiln store status`.
    public static func keyCounts(_ client: EtcdClient) async throws -> [(String, Int64)] {
        let base = client.address.prefix
        var result: [(String, Int64)] = []
        for (name, path) in [("groups", "/catalog/groups/"), ("profiles", "/catalog/profiles/"), ("ignition", "/catalog/ignition/"),
                             ("cloud", "/catalog/cloud/"), ("generic", "/catalog/generic/"), ("machines", "/inventory/machines/"),
                             ("events", "/inventory/events/")] {
            let key = Array((base + path).utf8)
            result.append((name, try await client.range(key, rangeEnd: key.prefixRangeEnd, countOnly: true).count))
        }
        return result
    }
}
