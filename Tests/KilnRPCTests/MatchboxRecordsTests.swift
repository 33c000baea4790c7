import Foundation
import KilnCore
@testable import KilnRPC
import Testing

/// Records put through matchbox's API become the files matchbox writes,
/// and loaded records go back out as matchbox answers them. The calls
/// themselves are checked over the wire by scripts/rpc-checks.sh.
@Suite struct MatchboxRecordsTests {
    @Test func aGroupBecomesMatchboxsFile() throws {
        var group = Storagepb_Group()
        group.id = "node1"
        group.profile = "worker"
        group.selector = ["mac": "52:54:00:aa:bb:01"]
        group.metadata = Data(#"{"hostname": "node1", "n": 3}"#.utf8)
        let document = try MatchboxRecords.document(for: group)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])
        #expect(Set(object.keys) == ["id", "profile", "selector", "metadata"])
        #expect((object["metadata"] as? [String: Any])?["n"] as? Int == 3)
        // It loads as any file in groups/ does.
        let file = CatalogFile(path: "groups/node1.json", bytes: document)
        let loaded = CatalogLoader.load(CatalogSnapshot(groups: [file], profiles: [CatalogFile(path: "profiles/worker.json", bytes: Array(#"{"id": "worker"}"#.utf8))]))
        #expect(loaded.catalog?.groups.first?.metadata["hostname"] == .string("node1"))
    }

    @Test func badGroupsAreRefusedBeforeAnyWrite() {
        var group = Storagepb_Group()
        group.profile = "worker"
        #expect(throws: MatchboxRecords.Invalid.self) { try MatchboxRecords.document(for: group) }
        group.id = "g"
        group.profile = ""
        #expect(throws: MatchboxRecords.Invalid.self) { try MatchboxRecords.document(for: group) }
        group.profile = "worker"
        for metadata in ["[1]", "\"text\"", "{", "null"] {
            group.metadata = Data(metadata.utf8)
            #expect(throws: MatchboxRecords.Invalid.self, "\(metadata)") { try MatchboxRecords.document(for: group) }
        }
    }

    @Test func aProfileKeepsAnEmptyBootAndAnswersWithOne() throws {
        var profile = Storagepb_Profile()
        profile.id = "plain"
        profile.boot = Storagepb_NetBoot()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try MatchboxRecords.document(for: profile))) as? [String: Any])
        #expect(object["boot"] as? [String: Any] != nil)
        let loaded = Profile(id: "none", name: "", boot: nil, ignitionID: nil, cloudID: nil, genericID: nil, sourcePath: "profiles/none.json")
        let message = MatchboxRecords.message(for: loaded)
        #expect(message.hasBoot && message.boot.kernel.isEmpty)
    }

    @Test func metadataGoesOutAsGoWouldEncodeIt() {
        let group = Group(id: "g", name: "", profile: "p", selector: [:],
                          metadata: ["z": .number(1), "a": .object(["b": .string("c")])], sourcePath: "groups/g.json")
        #expect(MatchboxRecords.message(for: group).metadata == Data(#"{"a":{"b":"c"},"z":1}"#.utf8))
    }
}
