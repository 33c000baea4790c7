/// How far a machine got in its latest boot, in order. A machine no group
/// selects stays `discovered`: that is machine discovery.
public enum BootStage: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Kiln has seen it (DHCP, TFTP or HTTP) and nothing more.
    case discovered
    /// It fetched its first stage (iPXE over TFTP, or over HTTP for UEFI HTTP Boot).
    case firmware
    /// iPXE asked for its boot script (`/boot.ipxe`, `/ipxe`, `/grub`).
    case ipxe
    /// It downloaded its profile's kernel.
    case kernel
    /// It downloaded its profile's initrd.
    case initrd
    /// It fetched its config (Ignition, cloud, generic): the OS is configuring itself.
    case config

    public static func < (lhs: BootStage, rhs: BootStage) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .discovered: return "discovered"
        case .firmware: return "firmware"
        case .ipxe: return "ipxe"
        case .kernel: return "kernel"
        case .initrd: return "initrd"
        case .config: return "config"
        }
    }

    public init?(name: String) {
        guard let stage = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = stage
    }

    /// The stage after an event that reached `reached`. A boot starts over
    /// when an event from its beginning (DHCP, the first stage, the boot
    /// script) follows a later stage: the machine rebooted.
    public static func after(_ current: BootStage?, reached: BootStage, startsBoot: Bool) -> BootStage {
        guard let current else { return reached }
        if startsBoot && reached < current { return reached }
        return max(current, reached)
    }
}
