import KilnTestSupport
import KilnCore
import Testing

@testable import KilnIgnition

/// The deflate floor lets Kiln skip compressing files gzip cannot win for;
/// these hold it to zlib's real output and to the choice compressing every
/// file would have made.
@Suite struct DataURLTests {
    /// Inputs of every kind the floor reasons about: tiny alphabets (long
    /// matches), text, repeated words, binary, UTF-8, and the edges.
    static func samples() -> [[UInt8]] {
        var random = SplitMix64(seed: 0x6B696C6E)
        var samples: [[UInt8]] = [[], [0], [1, 2], [7, 7, 7], Array(repeating: 0x61, count: 250), (0..<250).map { UInt8($0) },
                                  Array("CLUSTER=rack1\nROLE=worker\nMAC=52:54:00:00:00:07\n".utf8),
                                  Array("node007.rack1.example.com".utf8)]
        let words = ["kiln", "rack", "node", "=", "\n", ":", "00", "worker", "é", "ü", " ", "ExecStart=/usr/bin/podman"]
        for index in 0..<3000 {
            let count = Int.random(in: 0...DeflateLowerBound.largestInput, using: &random)
            switch index % 5 {
            case 0:
                let alphabet = [2, 4, 16, 64, 256][Int.random(in: 0..<5, using: &random)]
                samples.append((0..<count).map { _ in UInt8(Int.random(in: 0..<alphabet, using: &random)) })
            case 1:
                let text = Array("abcdefghij0123456789:=\n-._ ".utf8)
                samples.append((0..<count).map { _ in text[Int.random(in: 0..<text.count, using: &random)] })
            case 2:
                var bytes: [UInt8] = []
                while bytes.count < count { bytes += words[Int.random(in: 0..<words.count, using: &random)].utf8 }
                samples.append(Array(bytes.prefix(count)))
            case 3:
                samples.append((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
            default:
                // Text with a repeated tail, like a motd or a unit.
                let head = (0..<(count / 3)).map { _ in UInt8.random(in: 0x61...0x7A, using: &random) }
                samples.append(Array((head + head + head + head).prefix(count)))
            }
        }
        return samples
    }

    @Test func theFloorNeverExceedsWhatZlibWrites() throws {
        for input in Self.samples() {
            let floor = try #require(DeflateLowerBound.bytes(input))
            let real = try #require(Gzip.deflate(input))
            #expect(floor <= real.count, "floor \(floor) > zlib \(real.count) for \(input)")
        }
        #expect(DeflateLowerBound.bytes(Array(repeating: 0, count: DeflateLowerBound.largestInput + 1)) == nil)
    }

    @Test func skippingCompressionNeverChangesTheChoice() throws {
        for input in Self.samples() {
            // Butane's rule with compression always tried.
            let percent = "data:," + DataURL.percentEncode(input)
            let base64 = "data:;base64," + Base64.encode(input)
            var expected = DataURL.Encoded(urlBytes: Array((base64.utf8.count < percent.utf8.count ? base64 : percent).utf8), compression: "")
            let gzipped = "data:;base64," + Base64.encode(try #require(Gzip.compress(input)))
            if gzipped.utf8.count + 4 < expected.urlBytes.count {
                expected = DataURL.Encoded(urlBytes: Array(gzipped.utf8), compression: "gzip")
            }
            #expect(DataURL.encode(input, userCompression: nil, allowCompression: true) == expected)
        }
    }

    @Test func shortTextFilesAreNotCompressed() throws {
        // A machine's env file: percent-encoding is 76 bytes; gzip could
        // only win with a deflate stream of 27 bytes or fewer.
        let environment = Array("CLUSTER=rack1\nROLE=worker\nMAC=52:54:00:00:00:07\n".utf8)
        let floor = try #require(DeflateLowerBound.bytes(environment))
        #expect(floor > 27)
        #expect(DataURL.encode(environment, userCompression: nil, allowCompression: true).compression == "")
    }
}
