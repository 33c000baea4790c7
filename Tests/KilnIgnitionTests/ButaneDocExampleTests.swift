import Foundation
@testable import KilnIgnition
import KilnTestSupport
import Testing

/// Every example on Butane's own examples page that needs no local files
/// (Tests/Fixtures/butane-doc-examples.json) translates strictly, and the
/// result passes Kiln's structural check and, for the specs it knows,
/// Debian's ignition-validate. The page shows no output to compare with.
/// Examples of specs Kiln does not translate (experimental ones) are listed
/// and skipped by name.
@Suite struct ButaneDocExampleTests {
    struct Example: Decodable {
        var title: String
        var yaml: String
    }

    static let examples: [Example] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/butane-doc-examples.json")
        struct Page: Decodable { var examples: [Example] }
        guard let data = try? Data(contentsOf: path), let page = try? JSONDecoder().decode(Page.self, from: data) else { return [] }
        return page.examples
    }()

    static let experimental = ["Podman Quadlets"]

    @Test func thePageIsThere() {
        #expect(Self.examples.count >= 20)
    }

    @Test(arguments: examples.map(\.title).filter { !experimental.contains($0) })
    func exampleTranslates(_ title: String) async throws {
        let example = try #require(Self.examples.first { $0.title == title })
        let output = try translate(example.yaml, strict: true)
        #expect(IgnitionStructure.check(output.json) == [], "\(title)")
        guard let validate = ProcessRunner.find("ignition-validate"), output.ignitionVersion <= "3.3.0" else { return }
        let directory = try makeTemporaryDirectory("kiln-doc-example")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(output.json).write(to: URL(fileURLWithPath: directory + "/config.ign"))
        let result = try await ProcessRunner.run(validate, [directory + "/config.ign"])
        #expect(result.status == 0, "\(title): \(result.stdout)\(result.stderr)")
    }
}
