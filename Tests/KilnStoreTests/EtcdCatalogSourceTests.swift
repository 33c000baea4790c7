import Foundation
import KilnTestSupport
import KilnCore
import KilnEtcd
import KilnStore
import Logging
import Testing

@Suite(.serialized) struct EtcdCatalogSourceTests {
    let group = #"{"id": "node1", "profile": "p", "selector": {"mac": "52:54:00:00:00:01"}}"#
    let profile = #"{"id": "p", "boot": {"kernel": "/k", "initrd": ["/i"], "args": []}, "ignition_id": "node.yaml"}"#
    let template = "variant: fcos\nversion: 1.5.0\n"

    private func files() -> [CatalogFile] {
        [CatalogFile(path: "ignition/node.yaml", bytes: Array(template.utf8)),
         CatalogFile(path: "profiles/p.json", bytes: Array(profile.utf8)),
         CatalogFile(path: "groups/node1.json", bytes: Array(group.utf8))]
    }

    @Test func importedCatalogReadsBackAsADataDirectoryWould() async throws {
        guard let member = try await EtcdMember.start() else { return }
        defer { member.stop() }
        let client = try EtcdClient(address: try EtcdAddress(member.url()))
        defer { Task { await client.shutdown() } }
        let imported = try await CatalogTransfer.importCatalog(files(), into: client, replace: false)
        #expect(imported.transactions == 1)
        await #expect(throws: CatalogTransfer.Refusal.self) { _ = try await CatalogTransfer.importCatalog(files(), into: client, replace: false) }
        // A stray key is reported, not read.
        try await client.put(Array("/kiln/catalog/notes.txt".utf8), Array("x".utf8))
        let source = EtcdCatalogSource(client: client, logger: Logger(label: "test"))
        let snapshot = await Task.detached { source.snapshot() }.value
        #expect(snapshot.isReadable)
        #expect(snapshot.groups.map(\.path) == ["groups/node1.json"])
        #expect(snapshot.profiles.map(\.path) == ["profiles/p.json"])
        #expect(snapshot.templates["ignition/node.yaml"] == CatalogFile(path: "ignition/node.yaml", bytes: Array(template.utf8)))
        #expect(snapshot.diagnostics.contains { $0.description.contains("notes.txt") })
        #expect(source.lastSnapshotRevision > 0)
        let names = try await Task.detached { try source.names(of: .group) }.value
        #expect(names == ["node1"])

        let folder = NSTemporaryDirectory() + "kiln-export-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        await #expect(throws: CatalogTransfer.Refusal.self) { _ = try await CatalogTransfer.exportCatalog(from: client, to: folder) }
        try await client.delete(Array("/kiln/catalog/notes.txt".utf8))
        let (count, _) = try await CatalogTransfer.exportCatalog(from: client, to: folder)
        #expect(count == 3)
        #expect(FileManager.default.contents(atPath: folder + "/ignition/node.yaml") == Data(template.utf8))
        #expect(FileManager.default.contents(atPath: folder + "/groups/node1.json") == Data(group.utf8))
    }

    @Test func aConditionalWriteLosesToOneMadeSinceItsRead() async throws {
        guard let member = try await EtcdMember.start() else { return }
        defer { member.stop() }
        let client = try EtcdClient(address: try EtcdAddress(member.url()))
        defer { Task { await client.shutdown() } }
        let source = EtcdCatalogSource(client: client, logger: Logger(label: "test"))
        let record = try CatalogRecord(kind: .group, name: "node1")
        let first = Array(group.utf8)
        try await Task.detached { try source.write(record, bytes: first, replacing: nil) }.value
        // Created once: a second create is a conflict.
        await #expect(throws: CatalogWriteConflict.self) { try await Task.detached { try source.write(record, bytes: first, replacing: nil) }.value }
        let second = Array(group.replacingOccurrences(of: "\"p\"", with: "\"q\"").utf8)
        try await Task.detached { try source.write(record, bytes: second, replacing: first) }.value
        // A writer that read `first` is told, and writes nothing.
        await #expect(throws: CatalogWriteConflict.self) { try await Task.detached { try source.write(record, bytes: nil, replacing: first) }.value }
        #expect(try await Task.detached { try source.read(record) }.value == second)
        try await Task.detached { try source.write(record, bytes: nil, replacing: second) }.value
        #expect(try await Task.detached { try source.read(record) }.value == nil)
    }

    @Test func aChangeAfterTheSnapshotIsReportedByTheWatch() async throws {
        guard let member = try await EtcdMember.start() else { return }
        defer { member.stop() }
        let client = try EtcdClient(address: try EtcdAddress(member.url()))
        defer { Task { await client.shutdown() } }
        let source = EtcdCatalogSource(client: client, logger: Logger(label: "test"))
        let changes = source.changes()
        _ = await Task.detached { source.snapshot() }.value
        // Written before the watch may even be open: it starts at the snapshot's revision, so it still sees this.
        try await client.put(Array("/kiln/catalog/groups/late.json".utf8), Array("{}".utf8))
        let reason = await withTaskGroup(of: String?.self) { group in
            group.addTask { for await reason in changes { return reason }; return nil }
            group.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(reason?.contains("groups/late.json") == true, "\(reason ?? "no change reported within 10 s")")
    }

    @Test func aWatchFromACompactedRevisionLeadsToAFreshRead() async throws {
        guard let member = try await EtcdMember.start() else { return }
        defer { member.stop() }
        let client = try EtcdClient(address: try EtcdAddress(member.url()))
        defer { Task { await client.shutdown() } }
        let source = EtcdCatalogSource(client: client, logger: Logger(label: "test"))
        _ = await Task.detached { source.snapshot() }.value
        var newest: Int64 = 0
        for value in ["1", "2", "3"] {
            newest = try await client.put(Array("/kiln/catalog/groups/churn.json".utf8), Array(value.utf8))
        }
        // The history the watch would start from is gone.
        try await client.compact(newest)
        let changes = source.changes()
        let reason = await withTaskGroup(of: String?.self) { group in
            group.addTask { for await reason in changes { return reason }; return nil }
            group.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(reason?.contains("compacted") == true, "\(reason ?? "nothing reported within 10 s")")
    }

    @Test func aReplicaStartedWhileEtcdIsAwayServesItsKeptCopy() async throws {
        guard let member = try await EtcdMember.start() else { return }
        let folder = NSTemporaryDirectory() + "kiln-cache-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let url = member.url()
        do {
            let client = try EtcdClient(address: try EtcdAddress(url))
            _ = try await CatalogTransfer.importCatalog(files(), into: client, replace: false)
            let source = EtcdCatalogSource(client: client, logger: Logger(label: "test"), cacheFolder: folder)
            #expect(await Task.detached { source.snapshot() }.value.groups.count == 1)
            await client.shutdown()
        }
        member.stop()
        let client = try EtcdClient(address: try EtcdAddress(url), requestTimeout: .milliseconds(500))
        defer { Task { await client.shutdown() } }
        let restarted = EtcdCatalogSource(client: client, logger: Logger(label: "test"), cacheFolder: folder)
        let snapshot = await Task.detached { restarted.snapshot() }.value
        #expect(snapshot.isReadable)
        #expect(snapshot.groups.map(\.path) == ["groups/node1.json"])
        #expect(snapshot.diagnostics.contains { $0.description.contains("serving the copy of revision") })
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/etcd-catalog-cache.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func anUnreachableStoreIsAnUnreadableSnapshotNotACrash() async throws {
        let client = try EtcdClient(address: try EtcdAddress("etcd://127.0.0.1:\(freeLoopbackPort())/kiln"), requestTimeout: .milliseconds(500))
        defer { Task { await client.shutdown() } }
        let source = EtcdCatalogSource(client: client, logger: Logger(label: "test"))
        let snapshot = await Task.detached { source.snapshot() }.value
        #expect(!snapshot.isReadable)
        #expect(snapshot.diagnostics.first?.description.contains("cannot read the catalog from etcd") == true)
        await #expect(throws: EtcdError.self) { _ = try await Task.detached { try source.read(try CatalogRecord(kind: .group, name: "x")) }.value }
    }
}
