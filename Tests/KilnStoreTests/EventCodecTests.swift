import Foundation
import KilnInventory
@testable import KilnStore
import Testing

@Suite struct EventCodecTests {
    @Test func anEntryRoundTripsWithHostileLabels() throws {
        let labels = ["hostname": "<img src=x onerror=alert(1)>", "quote\"key": "line\nbreak\u{0}nul", "uuid": "ünïcode-✓"]
        let event = BootEvent(time: Date(timeIntervalSince1970: 1_780_000_000.25), kind: .http, mac: "52:54:00:00:00:01", client: "10.0.0.9",
                              endpoint: "ipxe", target: "/ipxe?mac=52:54:00:00:00:01", status: 200, bytes: 512, duration: 0.002,
                              labels: labels, group: "g", profile: "p")
        let entry = InventoryEntry(event: event, mac: "52:54:00:00:00:01", reached: .ipxe, startsBoot: true)
        let (decoded, replica) = try #require(EventCodec.decodeEntry(EventCodec.encode(entry, replica: "a-1")))
        #expect(replica == "a-1")
        #expect(decoded == entry)
    }

    @Test func aHugeLabelIsShortenedSoEtcdTakesTheWrite() throws {
        let event = BootEvent(kind: .http, mac: "52:54:00:00:00:02", endpoint: "ipxe", target: "/ipxe", status: 200,
                              labels: ["serial": String(repeating: "A", count: 100_000)])
        let bytes = EventCodec.encode(InventoryEntry(event: event, mac: "52:54:00:00:00:02", reached: .ipxe, startsBoot: false), replica: "r")
        #expect(bytes.count < EventCodec.maxValueBytes)
        let (decoded, _) = try #require(EventCodec.decodeEntry(bytes))
        #expect(decoded.event.labels["serial"]?.count == 256)
    }

    @Test func somethingElsesValueIsSkipped() {
        #expect(EventCodec.decodeEntry(Array("not json".utf8)) == nil)
        #expect(EventCodec.decodeEntry(Array(#"{"mac": "x"}"#.utf8)) == nil)
        #expect(EventCodec.decodeEntry(Array(#"{"mac":"m","time":1,"kind":"smtp","endpoint":"e","target":"t","status":200,"reached":"ipxe","replica":"r"}"#.utf8)) == nil)
    }
}
