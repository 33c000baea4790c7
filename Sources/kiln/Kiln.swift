import ArgumentParser

@main
struct Kiln: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "Bare-metal provisioning server: answers network-booting machines with their boot scripts and configs.",
        discussion: """
            Kiln reads a matchbox-layout data directory (groups/*.json, profiles/*.json, ignition/, generic/, cloud/) \
            and serves each machine the profile of the most specific group whose selectors match its labels.
            """,
        subcommands: [ServeCommand.self, MatchCommand.self, ValidateCommand.self, RenderCommand.self, ButaneCommand.self, CTCommand.self, ISOCommand.self, DHCPCommand.self, MachinesCommand.self, MachineCommand.self, AssignCommand.self, ApplyCommand.self, DeleteCommand.self, TokenCommand.self, StoreCommand.self, BMCCommand.self]
    )
}
