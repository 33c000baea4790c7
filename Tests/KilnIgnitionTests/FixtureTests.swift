import Foundation
import KilnCore
@testable import KilnIgnition
import KilnTestSupport
import Testing

/// Upstream Butane's own outputs, shipped beside their inputs: Kiln must
/// mean the same thing (data URLs decoded, key order ignored).
@Suite(.enabled(if: SharedFixtures.path != nil, "../shared/fixtures is absent: Butane fixture comparisons skipped"))
struct FixtureTests {
    static func pairs() -> [(butane: String, ignition: String)] {
        guard let root = SharedFixtures.path else { return [] }
        var pairs: [(String, String)] = []
        for (folder, suffix) in [("butane-pairs", ".bu"), ("matchbox-examples/ignition", ".yaml")] {
            let directory = root + "/" + folder
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where name.hasSuffix(suffix) {
                let ignition = directory + "/" + name.dropLast(suffix.count) + ".ign"
                if FileManager.default.fileExists(atPath: ignition) { pairs.append((directory + "/" + name, ignition)) }
            }
        }
        return pairs
    }

    @Test func everyPairIsFound() {
        #expect(Self.pairs().count == 7)
    }

    @Test(arguments: pairs().map(\.butane))
    func translatesLikeUpstreamButane(_ butanePath: String) throws {
        let ignitionPath = Self.pairs().first { $0.butane == butanePath }!.ignition
        let source = try String(contentsOfFile: butanePath, encoding: .utf8)
        let filesDirectory = URL(fileURLWithPath: butanePath).deletingLastPathComponent().path
        let output = try Butane.translate(source, options: ButaneOptions(strict: true, filesDirectory: filesDirectory))
        let expected = try Meaning.of(Array(try Data(contentsOf: URL(fileURLWithPath: ignitionPath))))
        #expect(try meaning(output) == expected, "\(butanePath)")
        #expect(IgnitionStructure.check(output.json) == [])
    }

    @Test(arguments: pairs().map(\.butane))
    func translationIsByteIdentical(_ butanePath: String) throws {
        let source = try String(contentsOfFile: butanePath, encoding: .utf8)
        let first = try translate(source).json
        let second = try translate(source).json
        #expect(first == second)
    }
}
