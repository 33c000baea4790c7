import KilnEtcd
import Testing

@Suite struct EtcdAddressTests {
    @Test func parsesEndpointsAndPrefix() throws {
        let address = try EtcdAddress("etcd://10.0.0.1:2379,10.0.0.2,[::1]:23790/sites/east/")
        #expect(address.endpoints.map(\.description) == ["10.0.0.1:2379", "10.0.0.2:2379", "[::1]:23790"])
        #expect(address.prefix == "/sites/east")
        #expect(!address.tls)
        #expect(address.description == "etcd://10.0.0.1:2379,10.0.0.2:2379,[::1]:23790/sites/east")
        #expect(try EtcdAddress("etcds://e1:2379/kiln").tls)
    }

    @Test(arguments: [
        "http://127.0.0.1:2379/kiln", "etcd://127.0.0.1:2379", "etcd://127.0.0.1:2379/", "etcd:///kiln", "etcd://a:0/kiln",
        "etcd://a:99999/kiln", "etcd://a:b/kiln", "etcd://a,,b/kiln", "etcd://user@a/kiln", "etcd://a/../kiln", "etcd://a/k/./x",
        "etcd://a/k iln", "etcd://a/k//x", "etcd://[::1/kiln",
    ])
    func refusesWhatIsNotAStore(_ text: String) {
        #expect(throws: EtcdAddress.Refusal.self) { try EtcdAddress(text) }
    }

    @Test func prefixRangeEndIsTheNextKey() {
        #expect(Array("/kiln/".utf8).prefixRangeEnd == Array("/kiln0".utf8))
        #expect([0x61, 0xff, 0xff].prefixRangeEnd == [0x62])
        #expect([0xff].prefixRangeEnd == [0])
    }
}

@Suite struct EtcdWatchMessageTests {
    private func message(_ text: String) throws -> EtcdWatchBatch? {
        try EtcdClient.watchMessage(Array(text.utf8))
    }

    @Test func readsPutsAndDeletes() throws {
        // PUT is the enum's zero value: the gateway leaves `type` out.
        let batch = try #require(try message(#"{"result":{"header":{"revision":"15"},"events":[{"kv":{"key":"dzE=","value":"eA==","mod_revision":"14","create_revision":"14","version":"1"}},{"type":"DELETE","kv":{"key":"dzI=","mod_revision":"15"}}]}}"#))
        #expect(batch.revision == 15)
        #expect(batch.events.map(\.kind) == [.put, .delete])
        #expect(batch.events[0].kv.keyText == "w1")
        #expect(batch.events[0].kv.value == Array("x".utf8))
        #expect(batch.events[0].kv.modRevision == 14)
    }

    @Test func creationAndProgressCarryNoChange() throws {
        #expect(try message(#"{"result":{"header":{"revision":"3"},"created":true}}"#) == nil)
        #expect(try message(#"{"result":{"header":{"revision":"3"}}}"#)?.events.isEmpty == true)
    }

    @Test func aCompactedStartIsReported() {
        #expect {
            _ = try message(#"{"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"10"}}"#)
        } throws: { error in
            (error as? EtcdError)?.kind == .compacted(10)
        }
    }

    @Test func aCanceledWatchOrGarbageEndsTheStream() {
        #expect(throws: EtcdError.self) { _ = try message(#"{"result":{"canceled":true,"cancel_reason":"permission denied"}}"#) }
        #expect(throws: EtcdError.self) { _ = try message(#"{"error":{"grpc_code":14,"message":"unavailable"}}"#) }
        #expect(throws: EtcdError.self) { _ = try message("not json") }
    }
}
