import ArgumentParser
import Foundation
import KilnIgnition

struct ButaneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "butane",
        abstract: "Translate a Butane config to Ignition JSON, like the upstream butane tool.",
        discussion: """
            Reads FILE (or standard input) and writes Ignition JSON to standard output (or --output). \
            Specs: fcos 1.0.0–1.7.0 (Ignition 3.0.0–3.6.0), flatcar 1.0.0–1.1.0 (Ignition 3.3.0–3.4.0), r4e 1.0.0–1.1.0 (3.3.0–3.4.0) and fiot 1.0.0 (3.4.0). \
            Warnings go to standard error, each with its line and YAML path.
            The flags are upstream butane's, short forms included, so scripts that call it work unchanged.
            Exit status: 0 on success; 1 when the config does not translate (or, with --strict, has warnings); \
            2 when the input or output cannot be read or written.
            """
    )

    @Flag(name: [.customShort("s"), .long], help: "Fail on warnings, such as unknown keys.")
    var strict = false

    @Flag(name: [.customShort("c"), .long], help: "Check the config and report; write no output.")
    var check = false

    @Flag(name: [.customShort("r"), .long], help: "Accepted for scripts written for upstream butane: Kiln has no openshift variant, so output is always plain Ignition.")
    var raw = false

    @Flag(name: [.customShort("p"), .long], help: "Indent the JSON.")
    var pretty = false

    @Option(name: [.customShort("d"), .long], help: ArgumentHelp("Directory that local, contents_local, ssh_authorized_keys_local and trees are read from; nothing outside it is readable.", valueName: "DIR"))
    var filesDir: String?

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write here instead of standard output (atomically: the file is complete or untouched).", valueName: "FILE"))
    var output: String?

    @Argument(help: ArgumentHelp("The Butane config; standard input when absent or -.", valueName: "FILE"))
    var input: String?

    func run() throws {
        let data: Data
        do {
            if let input, input != "-" {
                data = try Data(contentsOf: URL(fileURLWithPath: input))
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
        } catch {
            printError("kiln butane: cannot read \(input ?? "standard input"): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        let name = input.flatMap { $0 == "-" ? nil : $0 } ?? "<stdin>"
        let options = ButaneOptions(strict: strict, filesDirectory: filesDir, pretty: pretty)
        let translated: IgnitionOutput
        do {
            translated = try Butane.translate(String(decoding: data, as: UTF8.self), options: options)
        } catch {
            for diagnostic in error.diagnostics { printError("\(name): \(diagnostic)") }
            throw ExitCode(1)
        }
        for warning in translated.warnings { printError("\(name): \(warning)") }
        if check { return }
        let bytes = translated.json + [UInt8(ascii: "\n")]
        guard let output, output != "-" else {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            printError("kiln butane: cannot write \(output): \(error.localizedDescription)")
            throw ExitCode(2)
        }
    }
}
