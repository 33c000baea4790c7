import ArgumentParser
import KilnCore
import KilnRender

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check every file in the data directory and report problems with file, line and column.",
        discussion: """
            Errors: JSON syntax, fields of the wrong type, malformed MAC selectors, duplicate ids, groups naming \
            missing profiles, profiles naming missing ignition/cloud/generic files, raw .ign files that are not JSON, \
            templates (and templated boot fields) that do not parse.
            Warnings: ambiguous groups (same number of selectors, can match the same machine; the lower id wins), \
            folders inside groups/, profile ids that differ from their file names.
            Exit status: 0 when there are no errors (warnings too with --strict), 1 otherwise.
            """
    )

    @OptionGroup var data: DataOptions

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    func run() throws {
        let outcome = data.load()
        for diagnostic in outcome.diagnostics {
            print(diagnostic.description)
        }
        let errors = outcome.diagnostics.errors.count
        let warnings = outcome.diagnostics.warnings.count
        print("\(data.resolvedDataPath): \(outcome.groupFileCount) group files, \(outcome.profileFileCount) profile files, \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        if errors > 0 || (strict && warnings > 0) { throw ExitCode(1) }
    }
}
