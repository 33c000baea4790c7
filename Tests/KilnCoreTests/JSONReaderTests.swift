import KilnTestSupport
import Testing
@testable import KilnCore

@Suite struct JSONReaderTests {
    private func parse(_ text: String) throws(JSONReader.SyntaxError) -> JSONReader.Document {
        try JSONReader.parse(Array(text.utf8))
    }

    @Test func valuesAndPositions() throws {
        let document = try parse("{\n  \"id\": \"a\",\n  \"selector\": {\"mac\": \"x\"},\n  \"n\": [1, -2.5e3, true, null]\n}")
        #expect(document.value == .object([
            "id": .string("a"), "selector": .object(["mac": .string("x")]),
            "n": .array([.number(1), .number(-2500), .bool(true), .null]),
        ]))
        #expect(document.position(of: "id") == .init(line: 2, column: 9))
        #expect(document.position(of: "selector.mac") == .init(line: 3, column: 23))
        #expect(document.position(of: "n[1]") == .init(line: 4, column: 12))
    }

    @Test func stringEscapes() throws {
        let document = try parse(#"["a\"b\\c\/d\n\t\u00e9\ud83d\ude00"]"#)
        #expect(document.value == .array([.string("a\"b\\c/d\n\té😀")]))
    }

    @Test(arguments: [
        ("{\n  \"a\": 1,\n}", 3, 1, "expected a quoted key"),
        ("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}'"),
        ("[1, 2", 1, 6, "unexpected end of file"),
        ("{\"a\": tru}", 1, 7, "expected a value"),
        ("{\"a\": 01}", 1, 8, "leading zeros"),
        ("{\"a\": \"x\n\"}", 1, 9, "unterminated string"),
        ("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key"),
        ("{} x", 1, 4, "after the end"),
        ("", 1, 1, "unexpected end of file"),
        ("{\"a\": \"\\x\"}", 1, 9, "invalid escape"),
        ("[\"\\ud800\"]", 1, 9, "unpaired surrogate"),
        ("{\"é\": ?}", 1, 7, "expected a value"),
    ])
    func syntaxErrorsHaveLineAndColumn(_ text: String, line: Int, column: Int, reason: String) {
        do {
            _ = try parse(text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.position == .init(line: line, column: column), "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONReader.SyntaxError.self) { try parse(deep) }
    }

    @Test func arbitraryBytesNeverCrash() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("{}[]\",:0123456789-+.eEtruefalsn \\u\n".utf8) + [0, 0xC3, 0xA9, 0xFF]
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 40)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            _ = try? JSONReader.parse(bytes)
        }
    }
}

@Suite struct GoNumberFormatTests {
    @Test(arguments: [
        (3.0, "3"), (0.5, "0.5"), (-2.25, "-2.25"), (123456.0, "123456"), (1_000_000.0, "1e+06"),
        (1_234_567.0, "1.234567e+06"), (0.0001, "0.0001"), (0.00001, "1e-05"), (1e21, "1e+21"), (0.0, "0"),
    ])
    func formatsLikeGoPercentV(_ value: Double, _ expected: String) {
        #expect(JSONValue.goFormat(value) == expected)
    }
}
