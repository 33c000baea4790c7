import Foundation
@testable import KilnCLC
import KilnIgnition
import Testing

/// The Container Linux Config examples of ct's, CoreOS's and Flatcar's
/// documentation (Tests/Fixtures/clc-doc-examples.json) translate, pass the
/// Ignition 2.x structural check in both versions, and give the output the
/// documents show where they show one: whole configs, or the drop-in and
/// file entries ct wrote (documents from ct's Ignition 2.0 days differ
/// only in the envelope, so those compare the part that carried over).
@Suite struct CLCDocExampleTests {
    struct Example: Decodable {
        var title: String
        var source: String
        var yaml: String
        var platform: String?
        var json: String?
        var contains: [String]?
    }

    static let examples: [Example] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/clc-doc-examples.json")
        guard let data = try? Data(contentsOf: path), let list = try? JSONDecoder().decode([Example].self, from: data) else { return [] }
        return list
    }()

    @Test func theExamplesAreThere() {
        #expect(Self.examples.count >= 30)
        #expect(Self.examples.filter { $0.json != nil || $0.contains != nil }.count >= 8)
    }

    @Test(arguments: examples.indices)
    func exampleTranslatesAsDocumented(_ index: Int) throws {
        let example = Self.examples[index]
        let output = try ContainerLinuxConfig.translate(example.yaml, options: CLCOptions(platform: example.platform))
        let text = String(decoding: output.json, as: UTF8.self)
        #expect(output.warnings.filter { !$0.message.contains("no install section") } == [], "\(example.title)")
        #expect(Ignition2Structure.check(output.json) == [], "\(example.title)")
        if let json = example.json { #expect(text == json, "\(example.title)") }
        for part in example.contains ?? [] { #expect(text.contains(part), "\(example.title): \(part)") }
        let newer = try ContainerLinuxConfig.translate(example.yaml, options: CLCOptions(platform: example.platform, ignitionVersion: .v2_3))
        #expect(Ignition2Structure.check(newer.json) == [], "\(example.title) as 2.3.0")
    }
}
