import Foundation

/// Where the boot loaders for a network-boot image come from: Debian's
/// `isolinux`, `syslinux-common` and `ipxe` packages by default.
public struct NetbootSources: Sendable, Equatable {
    public var isolinux: String
    public var ldlinux: String
    public var ipxe: String

    public static let debianISOLINUX = "/usr/lib/ISOLINUX/isolinux.bin"
    public static let debianLDLINUX = "/usr/lib/syslinux/modules/bios/ldlinux.c32"
    public static let debianIPXE = "/usr/lib/ipxe/ipxe.lkrn"

    public init(isolinux: String = Self.debianISOLINUX, ldlinux: String = Self.debianLDLINUX, ipxe: String = Self.debianIPXE) {
        self.isolinux = isolinux
        self.ldlinux = ldlinux
        self.ipxe = ipxe
    }

    /// iPXE from the assets directory when it is there (`make assets`
    /// copies it), else from the ipxe package.
    public static func standard(assetsPath: String?) -> NetbootSources {
        var sources = NetbootSources()
        if let assetsPath, FileManager.default.isReadableFile(atPath: assetsPath + "/ipxe/ipxe.lkrn") {
            sources.ipxe = assetsPath + "/ipxe/ipxe.lkrn"
        }
        return sources
    }

    /// Reads the three files; a missing one is named with the package
    /// that provides it.
    func load() throws(ISOError) -> (isolinux: [UInt8], ldlinux: [UInt8], ipxe: [UInt8]) {
        func read(_ path: String, _ package: String) throws(ISOError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ISOError("cannot read \(path): the network-boot image needs it (Debian package \(package))")
            }
            return [UInt8](data)
        }
        return (try read(isolinux, "isolinux"), try read(ldlinux, "syslinux-common"), try read(ipxe, "ipxe"))
    }
}

/// A bootable image for machines that cannot PXE: the BIOS boots ISOLINUX
/// from the CD (El Torito, no emulation), ISOLINUX loads iPXE with a
/// script as its initrd, and the script brings up the network with DHCP
/// and chains to Kiln's `/boot.ipxe`, which then serves the machine as if
/// it had network-booted.
public enum NetbootISO {
    public static let label = "KILN_NETBOOT"

    /// `http://host:port` (any path kept, trailing slash dropped), or why not.
    public static func serverURL(_ text: String) throws(ISOError) -> String {
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"),
              let parsed = URL(string: url), let host = parsed.host, !host.isEmpty,
              !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || "\"'\\${}".unicodeScalars.contains($0) }) else {
            throw ISOError("server \"\(text)\" is not an http:// or https:// URL with a host, e.g. http://10.0.0.1:8080")
        }
        return url
    }

    public static func script(server: String) -> String {
        """
        #!ipxe
        # Written by Kiln: bring up the network, then boot what Kiln says.
        echo Kiln network boot from \(server)
        :network
        dhcp && goto boot
        echo No DHCP answer; trying again in 5 seconds
        sleep 5
        goto network
        :boot
        chain \(server)/boot.ipxe && goto network
        echo Could not chain \(server)/boot.ipxe; trying again in 10 seconds
        sleep 10
        goto network

        """
    }

    static let isolinuxConfig = """
        DEFAULT kiln
        PROMPT 0
        TIMEOUT 0
        LABEL kiln
          KERNEL /ipxe.lkrn
          INITRD /kiln.ipxe

        """

    public static func files(server: String, isolinux: [UInt8], ldlinux: [UInt8], ipxe: [UInt8]) -> [ISOFile] {
        [
            ISOFile("isolinux/isolinux.bin", isolinux),
            ISOFile("isolinux/ldlinux.c32", ldlinux),
            ISOFile("isolinux/isolinux.cfg", text: isolinuxConfig),
            ISOFile("ipxe.lkrn", ipxe),
            ISOFile("kiln.ipxe", text: script(server: server)),
        ]
    }

    public static let boot = ElToritoBoot(image: "isolinux/isolinux.bin", catalog: "isolinux/boot.cat")

    /// - Parameter server: Kiln's base URL as the machine reaches it.
    public static func build(server: String, sources: NetbootSources) throws(ISOError) -> [UInt8] {
        let url = try serverURL(server)
        let loaded = try sources.load()
        let files = files(server: url, isolinux: loaded.isolinux, ldlinux: loaded.ldlinux, ipxe: loaded.ipxe)
        return try ISOImage.build(files, options: ISOOptions(volumeID: label, pad: true, boot: boot))
    }
}
