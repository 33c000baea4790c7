import ArgumentParser
import KilnCore
import KilnRender

struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Show which group and profile a machine gets, and why every other group lost.",
        discussion: """
            Example: kiln match --data-path profiles mac=52:54:00:12:34:56 uuid=1234
            Exit status: 0 when a group matches, 1 when none does, 2 when the data directory does not load.
            """
    )

    @OptionGroup var data: DataOptions

    @Argument(help: ArgumentHelp("The machine's labels as key=value (mac, uuid, hostname, serial, arch, or any key).", valueName: "key=value"))
    var labels: [String] = []

    func run() throws {
        let labels = try parseLabels(self.labels)
        guard let catalog = try loadOrExit(data).catalog else { throw ExitCode(2) }
        let explanation = MatchExplanation(catalog: catalog, labels: labels)
        print("labels:  \(labels.description)")
        if let chosen = explanation.chosen {
            let profile = catalog.profiles[chosen.profile]
            print("group:   \(chosen.id) (\(chosen.selectorDescription)) from \(chosen.sourcePath)")
            if let profile {
                print("profile: \(profile.id) from \(profile.sourcePath)")
            } else {
                print("profile: \(chosen.profile) — MISSING: no such profile in profiles/")
            }
        } else {
            print("group:   none — no group matches and there is no default group")
        }
        let others = explanation.entries.filter { $0.verdict != .chosen }
        if !others.isEmpty {
            print("other groups:")
            let width = min(others.map(\.group.id.count).max() ?? 0, 40)
            for entry in others {
                let padded = entry.group.id.padding(toLength: max(width, entry.group.id.count), withPad: " ", startingAt: 0)
                print("  \(padded)  \(entry.verdict)")
            }
        }
        if explanation.chosen == nil { throw ExitCode(1) }
    }
}
