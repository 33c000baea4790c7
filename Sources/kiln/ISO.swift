import ArgumentParser
import Foundation
import KilnCore
import KilnISO
import KilnRender

struct ISOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iso",
        abstract: "Bake ISO images: a machine's config drive, or a network-boot CD for machines that cannot PXE.",
        subcommands: [ConfigDriveCommand.self, NetbootCommand.self]
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
        let catalog = try loadCatalogOrExit(data)
        let (compiled, templateErrors) = CompiledCatalog.compile(catalog, filesDirectory: data.resolvedDataPath + "/files")
        guard let compiled else {
            for diagnostic in templateErrors { printError(diagnostic.description) }
            throw ExitCode(2)
        }
        let match: Match
        switch catalog.match(labels) {
        case .success(let found): match = found
        case .failure(let failure):
            printError("kiln: \(failure)")
            throw ExitCode(1)
        }
        let contents: ConfigDriveContents
        do {
            switch try Renderer(compiled).configDrive(match, labels) {
            case .contents(let found): contents = found
            case .unavailable(let reason):
                printError("kiln: \(reason)")
                throw ExitCode(1)
            }
        } catch let error as RenderError {
            printError("kiln: \(error)")
            throw ExitCode(3)
        }
        let image: [UInt8]
        do {
            image = try ConfigDrive.build(format, contents)
        } catch {
            printError("kiln iso configdrive: \(error)")
            throw ExitCode(2)
        }
        try writeImage(image, to: output, command: "configdrive")
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
        let image: [UInt8]
        do {
            image = try NetbootISO.build(server: server, sources: sources)
        } catch {
            printError("kiln iso netboot: \(error)")
            throw ExitCode(2)
        }
        try writeImage(image, to: output, command: "netboot")
    }
}
