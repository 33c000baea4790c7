import ArgumentParser
import Foundation
import KilnCLC
import KilnIgnition

struct CTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ct",
        abstract: "Translate a Container Linux Config to Ignition 2.x JSON, like CoreOS's ct.",
        discussion: """
            Reads --in-file (or standard input) and writes Ignition 2.2.0 JSON (2.3.0 with --ignition-version) to standard output \
            or --out-file. The sections are ct's: ignition, storage, systemd, networkd, passwd, and the sugar sections etcd, flannel, \
            locksmith, update and docker. Dynamic data ({PRIVATE_IPV4} and friends, in etcd and flannel options) needs --platform.
            Errors and warnings go to standard error, each with its line, column and YAML path.
            The flags are ct's, single-dash forms included, so scripts that call ct work unchanged. As with ct, compact output has \
            no trailing newline and --pretty output has one.
            Exit status: 0 on success; 1 when the config does not translate (or, with --strict, has warnings); \
            2 when the input or output cannot be read or written.
            """
    )

    @Option(name: [.long, .customLong("in-file", withSingleDash: true)], help: ArgumentHelp("The Container Linux Config; standard input when absent or -.", valueName: "FILE"))
    var inFile: String?

    @Option(name: [.long, .customLong("out-file", withSingleDash: true)], help: ArgumentHelp("Write here instead of standard output (atomically: the file is complete or untouched).", valueName: "FILE"))
    var outFile: String?

    @Flag(name: [.long, .customLong("pretty", withSingleDash: true)], help: "Indent the JSON by two spaces.")
    var pretty = false

    @Flag(name: [.long, .customLong("strict", withSingleDash: true)], help: "Fail on warnings, such as unknown keys or unset file modes.")
    var strict = false

    @Option(name: [.long, .customLong("files-dir", withSingleDash: true)], help: ArgumentHelp("Directory that contents.local files are read from; nothing outside it is readable.", valueName: "DIR"))
    var filesDir: String?

    @Option(name: [.long, .customLong("platform", withSingleDash: true)], help: ArgumentHelp("The cloud whose metadata fills dynamic data: \(CLCOptions.platforms.joined(separator: ", ")).", valueName: "PLATFORM"))
    var platform: String?

    @Option(name: .long, help: ArgumentHelp("The Ignition version to write: 2.2.0 (ct v0.9, matchbox v0.9) or 2.3.0 (Flatcar's ct).", valueName: "VERSION"))
    var ignitionVersion = "2.2.0"

    @Flag(name: .long, help: "Check the config and report; write no output.")
    var check = false

    func validate() throws {
        guard CLCOptions.IgnitionVersion(rawValue: ignitionVersion) != nil else {
            throw ValidationError("--ignition-version must be 2.2.0 or 2.3.0, not \(ignitionVersion)")
        }
        if let platform, !platform.isEmpty, !CLCOptions.platforms.contains(platform) {
            throw ValidationError("--platform \(platform) is not one of \(CLCOptions.platforms.joined(separator: ", "))")
        }
    }

    func run() throws {
        let data: Data
        do {
            if let inFile, inFile != "-" {
                data = try Data(contentsOf: URL(fileURLWithPath: inFile))
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
        } catch {
            printError("kiln ct: cannot read \(inFile ?? "standard input"): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        let name = inFile.flatMap { $0 == "-" ? nil : $0 } ?? "<stdin>"
        let options = CLCOptions(strict: strict, filesDirectory: filesDir, pretty: pretty, platform: platform,
                                 ignitionVersion: CLCOptions.IgnitionVersion(rawValue: ignitionVersion) ?? .v2_2)
        let translated: IgnitionOutput
        do {
            translated = try ContainerLinuxConfig.translate(String(decoding: data, as: UTF8.self), options: options)
        } catch {
            for diagnostic in error.diagnostics { printError("\(name): \(diagnostic)") }
            throw ExitCode(1)
        }
        for warning in translated.warnings { printError("\(name): \(warning)") }
        if check { return }
        let bytes = translated.json + (pretty ? [UInt8(ascii: "\n")] : [])
        guard let outFile, outFile != "-" else {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: outFile), options: .atomic)
        } catch {
            printError("kiln ct: cannot write \(outFile): \(error.localizedDescription)")
            throw ExitCode(2)
        }
    }
}
