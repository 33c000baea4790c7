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

    var document: MachineDocument {
        switch what {
        case .ipxe: return .ipxe
        case .grub: return .grub
        case .metadata: return .metadata
        case .ignition: return .config(.ignition)
        case .generic: return .config(.generic)
        case .cloud: return .config(.cloud)
        }
    }

    func run() throws {
        let labels = try parseLabels(self.labels)
        let (renderer, match) = try matchMachineOrExit(data, labels)
        let answer: MachineAnswer
        do {
            answer = try renderer.answer(document, match, labels)
        } catch {
            throw answerExitCode(error)
        }
        // As the server logs them; the output itself stays clean.
        for warning in answer.warnings { printError("kiln: \(warning)") }
        print(String(decoding: answer.bytes ?? [], as: UTF8.self), terminator: "")
    }
}
