import Foundation
import KilnCore
@testable import KilnIgnition
import KilnTestSupport

/// `../shared/fixtures` beside the repository, when it is there.
enum SharedFixtures {
    static let path: String? = {
        let path = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/fixtures").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()
}

/// Ignition JSON reduced to what it means: data URLs decoded (so gzip
/// streams from different compressors compare equal), `compression`
/// dropped once applied, key order irrelevant.
enum Meaning {
    static func of(_ bytes: [UInt8]) throws -> JSONValue {
        normalise(try JSONReader.parse(bytes, positionDepth: 0).value)
    }

    static func normalise(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var object):
            if case .string(let source)? = object["source"], source.hasPrefix("data:") {
                let compression = object["compression"]?.stringValue
                if let decoded = DataURL.decode(source, compression: compression) {
                    object["source"] = .string("decoded:" + String(decoding: decoded, as: UTF8.self))
                    object["compression"] = nil
                }
            }
            return .object(object.mapValues(normalise))
        case .array(let values):
            return .array(values.map(normalise))
        default:
            return value
        }
    }
}

func translate(_ text: String, strict: Bool = false, filesDirectory: String? = nil) throws(ButaneFailure) -> IgnitionOutput {
    try Butane.translate(text, options: ButaneOptions(strict: strict, filesDirectory: filesDirectory))
}

func json(_ output: IgnitionOutput) -> String {
    String(decoding: output.json, as: UTF8.self)
}

func meaning(_ output: IgnitionOutput) throws -> JSONValue {
    try Meaning.of(output.json)
}

func parse(_ text: String) throws -> JSONValue {
    try Meaning.of(Array(text.utf8))
}
