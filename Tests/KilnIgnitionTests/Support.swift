import Foundation
import KilnCore
@testable import KilnIgnition
import KilnTestSupport

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
