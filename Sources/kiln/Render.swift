import ArgumentParser
import KilnCore
import KilnRender

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print what a machine would get from an endpoint, offline, from the data directory.",
        discussion: """
            Example: kiln render ipxe --data-path profiles mac=52:54:00:12:34:56
            Exit status: 0 on success; 1 when no group matches or the profile lacks what was asked for; \
            2 when the data directory does not load; 3 when a template fails to render.
            """
    )

    enum What: String, ExpressibleByArgument, CaseIterable {
        case ipxe, grub, metadata, ignition, generic, cloud
    }

    @OptionGroup var data: DataOptions

    @Argument(help: ArgumentHelp("ipxe, grub, metadata, ignition, generic or cloud."))
    var what: What

    @Argument(help: ArgumentHelp("The machine's labels as key=value.", valueName: "key=value"))
    var labels: [String] = []

    func run() throws {
        let labels = try parseLabels(self.labels)
        let (renderer, match) = try matchMachineOrExit(data, labels)
        let text: Result<String, MissingPart>
        do {
            text = try output(renderer, match, labels)
        } catch {
            printError("kiln: \(error)")
            throw ExitCode(3)
        }
        switch text {
        case .success(let text):
            print(text, terminator: "")
        case .failure(let missing):
            printError("kiln: \(missing.reason)")
            throw ExitCode(1)
        }
    }

    struct MissingPart: Error {
        var reason: String
    }

    /// The answer, or what the profile lacks for it.
    private func output(_ renderer: Renderer, _ match: Match, _ labels: Labels) throws(RenderError) -> Result<String, MissingPart> {
        switch what {
        case .ipxe, .grub:
            guard let boot = try renderer.boot(match, labels), !boot.kernel.isEmpty else {
                return .failure(MissingPart(reason: "profile \"\(match.profile.id)\" has no boot.kernel to boot"))
            }
            return .success(what == .ipxe ? BootScripts.ipxe(boot) : BootScripts.grub(boot))
        case .metadata:
            return .success(MachineVariables.environmentFile(MachineVariables.collect(group: match.group, labels: labels)))
        case .ignition, .generic, .cloud:
            let kind: TemplateKind = what == .ignition ? .ignition : (what == .generic ? .generic : .cloud)
            switch try renderer.config(kind, match, labels) {
            case .rendered(let config):
                // As the server logs them; the output itself stays clean.
                for warning in config.warnings { printError("kiln: \(warning)") }
                return .success(String(decoding: config.bytes, as: UTF8.self))
            case .missing(let failure):
                return .failure(MissingPart(reason: failure.description))
            }
        }
    }
}
