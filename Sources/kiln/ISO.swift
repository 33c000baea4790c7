import ArgumentParser
import Foundation
import KilnCore
import KilnISO
import KilnRender

struct ISOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iso",
        abstract: "Bake ISO images: config drives, a network-boot CD, and CoreOS installer ISOs with a machine's Ignition.",
        subcommands: [ConfigDriveCommand.self, NetbootCommand.self, InstallerCommand.self, ShowCommand.self, ResetCommand.self]
    )
}

/// Writes an image where asked: the file is complete or untouched.
func writeImage(_ bytes: [UInt8], to output: String, command: String) throws {
    do {
        if output == "-" {
            FileHandle.standardOutput.write(Data(bytes))
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
        }
    } catch {
        printError("kiln iso \(command): cannot write \(output): \(error.localizedDescription)")
        throw ExitCode(2)
    }
}

/// Builds an image and writes it; exits 2 naming what failed.
func bakeImage(to output: String, command: String, _ build: () throws -> [UInt8]) throws {
    let image: [UInt8]
    do {
        image = try build()
    } catch {
        printError("kiln iso \(command): \(error)")
        throw ExitCode(2)
    }
    try writeImage(image, to: output, command: command)
}

extension ConfigDriveFormat: ExpressibleByArgument {}

struct ConfigDriveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configdrive",
        abstract: "Bake a machine's config-drive ISO from the data directory, as GET /configdrive.iso serves it.",
        discussion: """
            config-2 is OpenStack's layout (openstack/latest/user_data, meta_data.json, network_data.json), read by \
            Ignition, Flatcar's coreos-cloudinit and cloud-init; cidata is cloud-init's NoCloud seed (user-data, \
            meta-data, network-config, vendor-data). The user data is the machine's rendered config: the profile's \
            config_drive.user_data (ignition, cloud or generic), else the first of those it names.
            Example: kiln iso configdrive --data-path profiles --format cidata -o node1.iso mac=52:54:00:12:34:56
            Exit status: 0 on success; 1 when no group matches or there is nothing to put on the drive; 2 when the \
            data directory does not load, the image cannot be made or written; 3 when a template fails to render.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("config-2 or cidata.", valueName: "format"))
    var format: ConfigDriveFormat = .openStack

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where to write the image (- for standard output).", valueName: "FILE"))
    var output: String

    @Argument(help: ArgumentHelp("The machine's labels as key=value.", valueName: "key=value"))
    var labels: [String] = []

    func run() throws {
        let labels = try parseLabels(self.labels)
        let (renderer, match) = try matchMachineOrExit(data, labels)
        let answer: MachineAnswer
        do {
            answer = try renderer.answer(.configDrive, match, labels)
        } catch {
            throw answerExitCode(error)
        }
        for warning in answer.warnings { printError("kiln: \(warning)") }
        guard case .configDrive(let contents) = answer.body else { throw ExitCode(2) }
        try bakeImage(to: output, command: "configdrive") { try ConfigDrive.build(format, contents) }
    }
}

struct NetbootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netboot",
        abstract: "Bake a network-boot CD: ISOLINUX starts iPXE, which runs DHCP and chains to SERVER/boot.ipxe.",
        discussion: """
            For machines that cannot PXE: boot the image (CD, virtual media, or QEMU -cdrom) and the machine \
            fetches its boot script from Kiln as if it had network-booted. One image serves every machine. \
            ISOLINUX comes from Debian's isolinux and syslinux-common packages, iPXE from assets/ipxe/ipxe.lkrn \
            or the ipxe package.
            Example: kiln iso netboot --server http://10.0.0.1:8080 -o boot.iso
            Exit status: 0 on success; 2 when an input is missing or the image cannot be made or written.
            """
    )

    @Option(help: ArgumentHelp("Kiln's URL as the booting machine reaches it.", valueName: "url"))
    var server: String

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where to write the image (- for standard output).", valueName: "FILE"))
    var output: String

    @Option(help: ArgumentHelp("Where ipxe/ipxe.lkrn is looked for first.", valueName: "dir"))
    var assetsPath: String?

    @Option(help: ArgumentHelp("ISOLINUX's boot image.", valueName: "file"))
    var isolinux: String = NetbootSources.debianISOLINUX

    @Option(help: ArgumentHelp("ISOLINUX's ldlinux.c32 module.", valueName: "file"))
    var ldlinux: String = NetbootSources.debianLDLINUX

    @Option(help: ArgumentHelp("iPXE as a Linux kernel image (default: assets, then the ipxe package).", valueName: "file"))
    var ipxe: String?

    func validate() throws {
        do {
            _ = try NetbootISO.serverURL(server)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        var sources = NetbootSources.standard(assetsPath: assetsPath ?? ProcessInfo.processInfo.environment["KILN_ASSETS_PATH"])
        sources.isolinux = isolinux
        sources.ldlinux = ldlinux
        if let ipxe { sources.ipxe = ipxe }
        try bakeImage(to: output, command: "netboot") { try NetbootISO.build(server: server, sources: sources) }
    }
}

struct InstallerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "installer",
        abstract: "Customise a CoreOS live ISO: embed an Ignition config and append kernel arguments, as coreos-installer iso customize does.",
        discussion: """
            The config comes from --ignition FILE, or is the Ignition the data directory renders for the machine \
            named by key=value labels (then the profile's installer_dest_device and installer_kargs_append apply \
            unless given here). With --dest-device the ISO installs that config to the disk without asking; \
            without, the config runs in the live system. Only the embed and kernel-argument areas change: every \
            other byte of the base stays as it is.
            Example: kiln iso installer --base fedora-coreos-live.iso --ignition node1.ign --dest-device /dev/sda -o node1.iso
            Exit status: 0 on success; 1 when no group matches or the profile has no Ignition; 2 when the base is \
            not a CoreOS live ISO, the config does not fit, or the output cannot be written; 3 when a template fails.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("The CoreOS live ISO to start from.", valueName: "file"))
    var base: String

    @Option(help: ArgumentHelp("The Ignition config to embed (instead of rendering one for a machine).", valueName: "file"))
    var ignition: String?

    @Option(name: .customLong("kargs-append"), help: ArgumentHelp("A kernel argument to append to the live system's defaults (repeatable).", valueName: "arg"))
    var kargsAppend: [String] = []

    @Option(help: ArgumentHelp("Install to this disk without asking, e.g. /dev/sda.", valueName: "device"))
    var destDevice: String?

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where to write the customised ISO (written atomically).", valueName: "FILE"))
    var output: String

    @Argument(help: ArgumentHelp("The machine's labels, when the config is rendered from the data directory.", valueName: "key=value"))
    var labels: [String] = []

    func validate() throws {
        if (ignition == nil) == labels.isEmpty {
            throw ValidationError("give either --ignition FILE or the machine's labels (for example mac=52:54:00:12:34:56)")
        }
    }

    func run() throws {
        var config: [UInt8]
        var device = destDevice
        var arguments = kargsAppend
        if let ignition {
            guard let data = FileManager.default.contents(atPath: ignition) else {
                printError("kiln iso installer: cannot read \(ignition)")
                throw ExitCode(2)
            }
            config = [UInt8](data)
        } else {
            let (rendered, profile) = try renderIgnition()
            config = rendered
            if device == nil { device = profile.installer?.destinationDevice }
            if arguments.isEmpty { arguments = profile.installer?.kernelArguments ?? [] }
        }
        do {
            let layout = try InstallerISO.layout(of: base)
            let patches = try InstallerISO.patches(layout, ignition: config, destinationDevice: device, kernelArguments: arguments)
            try InstallerISO.write(base: base, patches: patches, to: output)
        } catch {
            printError("kiln iso installer: \(error)")
            throw ExitCode(2)
        }
    }

    private func renderIgnition() throws -> ([UInt8], Profile) {
        let labels = try parseLabels(self.labels)
        let (renderer, match) = try matchMachineOrExit(data, labels)
        do {
            let answer = try renderer.answer(.config(.ignition), match, labels)
            for warning in answer.warnings { printError("kiln: \(warning)") }
            return (answer.bytes ?? [], match.profile)
        } catch {
            throw answerExitCode(error)
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print what a CoreOS live ISO has embedded: its Ignition config and kernel arguments.",
        discussion: "Exit status: 0; 2 when the file is not a CoreOS live ISO or its embed area does not read."
    )

    @Flag(help: "Print only the embedded Ignition config (nothing when there is none).")
    var ignitionOnly = false

    @Argument(help: ArgumentHelp("The ISO.", valueName: "FILE"))
    var file: String

    func run() throws {
        let contents: InstallerContents
        do {
            contents = try InstallerISO.show(file)
        } catch {
            printError("kiln iso show: \(error)")
            throw ExitCode(2)
        }
        if ignitionOnly {
            if let ignition = contents.ignition { FileHandle.standardOutput.write(Data(ignition)) }
            return
        }
        if let arguments = contents.kernelArguments {
            print("kernel arguments: \(arguments)")
            if let defaults = contents.defaultKernelArguments, defaults != arguments { print("default arguments: \(defaults)") }
        } else {
            print("kernel arguments: (this ISO has no kernel argument areas)")
        }
        guard let ignition = contents.ignition else {
            print(contents.initrdFiles.isEmpty ? "ignition: (none embedded)" : "ignition: (none; the embedded initrd holds \(contents.initrdFiles.joined(separator: ", ")))")
            return
        }
        print("embedded initrd: \(contents.initrdFiles.joined(separator: ", "))")
        print("ignition (\(ignition.count) bytes):")
        print(String(decoding: ignition, as: UTF8.self), terminator: ignition.last == UInt8(ascii: "\n") ? "" : "\n")
    }
}

struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Restore a customised CoreOS live ISO: empty embed area, default kernel arguments.",
        discussion: "Rewrites FILE atomically (or writes --output instead). Exit status: 0; 2 when the file is not a CoreOS live ISO or cannot be written."
    )

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write the restored ISO here instead of replacing FILE.", valueName: "FILE"))
    var output: String?

    @Argument(help: ArgumentHelp("The ISO.", valueName: "FILE"))
    var file: String

    func run() throws {
        do {
            let patches = try InstallerISO.resetPatches(try InstallerISO.layout(of: file))
            try InstallerISO.write(base: file, patches: patches, to: output ?? file)
        } catch {
            printError("kiln iso reset: \(error)")
            throw ExitCode(2)
        }
    }
}
