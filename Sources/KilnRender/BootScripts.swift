import KilnCore

/// The boot scripts matchbox serves, byte for byte, so that machines and
/// tooling written against matchbox see no difference.
public enum BootScripts {
    /// `/boot.ipxe`: makes iPXE report what it knows about the machine and
    /// chain to `/ipxe` with it.
    public static let ipxeBootstrap = "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n"

    /// `/ipxe`: kernel line with its arguments, one `initrd` line per initrd.
    public static func ipxe(_ boot: BootConfig) -> String {
        var script = "#!ipxe\nkernel " + boot.kernel
        for arg in boot.args { script += " " + arg }
        script += "\n"
        for initrd in boot.initrd { script += "initrd " + initrd + "\n" }
        script += "boot\n"
        return script
    }

    /// `/grub`: an EFI entry (`linuxefi`/`initrdefi`) and a BIOS entry.
    public static func grub(_ boot: BootConfig) -> String {
        var args = ""
        for arg in boot.args { args += " " + arg }
        var initrds = ""
        for initrd in boot.initrd { initrds += " \"" + initrd + "\"" }
        return """
            default=0
            fallback=1
            timeout=1
            menuentry "CoreOS (EFI)" {
            echo "Loading kernel"
            linuxefi "\(boot.kernel)"\(args)
            echo "Loading initrd"
            initrdefi \(initrds)
            }
            menuentry "CoreOS (BIOS)" {
            echo "Loading kernel"
            linux "\(boot.kernel)"\(args)
            echo "Loading initrd"
            initrd \(initrds)
            }

            """
    }
}
