import Testing
@testable import KilnCore

@Suite struct MACAddressTests {
    @Test(arguments: [
        "52:54:00:12:34:56", "52-54-00-12-34-56", "525400123456", "52:54:00:12:34:56".uppercased(),
        "5254.0012.3456", "52-54-00-12-34-56".uppercased(),
    ])
    func acceptedForms(_ text: String) {
        #expect(MACAddress(text)?.description == "52:54:00:12:34:56")
    }

    @Test(arguments: [
        "", "52:54:00:12:34", "52:54:00:12:34:5", "52:54:00:12:34:567", "52:54-00:12:34:56", "5254001234", "zz:54:00:12:34:56",
        "52:54:00:12:34:56:", ":52:54:00:12:34:56", "52::54:00:12:34:56", "5254.0012.345", "52540012345g", "52 54 00 12 34 56",
        "52:54:00:12:34:56\u{0}",
    ])
    func rejectedForms(_ text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test func eui64() {
        #expect(MACAddress("02:00:00:00:00:00:00:01")?.description == "02:00:00:00:00:00:00:01")
    }
}

@Suite struct LabelsTests {
    @Test func parsesQueryLikeGo() throws {
        let labels = try Labels(query: "mac=52-54-00-12-34-56&hostname=a+b&serial=%41%42&x=1&x=2&empty=&flag")
        #expect(labels["mac"] == "52:54:00:12:34:56")
        #expect(labels["hostname"] == "a b")
        #expect(labels["serial"] == "AB")
        #expect(labels["x"] == "1")
        #expect(labels["empty"] == "")
        #expect(labels["flag"] == "")
        #expect(labels.rawQuery.hasPrefix("mac=52-54"))
    }

    @Test func macKeyIsCaseInsensitiveAndEmptyMACIsAbsent() throws {
        #expect(try Labels(query: "MAC=525400123456")["mac"] == "52:54:00:12:34:56")
        #expect(try Labels(query: "mac=&uuid=u")["mac"] == nil)
    }

    @Test func malformedMACIsAnError() {
        #expect(throws: Labels.ParseError.malformedMAC(key: "mac", value: "nope")) { try Labels(query: "mac=nope") }
        #expect(throws: Labels.ParseError.self) { try Labels(query: "mac=52:54:00:12:34") }
    }

    @Test func undecodableEscapesAreDropped() throws {
        let labels = try Labels(query: "bad=%zz&ok=1&%=x")
        #expect(labels["bad"] == nil)
        #expect(labels["ok"] == "1")
    }

    @Test func descriptionPutsWellKnownLabelsFirst() throws {
        let labels = try Labels(query: "zone=a&uuid=u1&mac=52:54:00:12:34:56&domain=&arch=x86_64&alpha=1")
        #expect(labels.description == "mac=52:54:00:12:34:56 uuid=u1 arch=x86_64 alpha=1 zone=a")
        #expect(try Labels(query: "").description == "(no labels)")
    }
}
