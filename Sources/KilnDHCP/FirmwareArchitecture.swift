/// What a client's option 93 says it is (IANA "Processor Architecture
/// Types", RFC 4578 §2.1) and the first stage Kiln gives it by default.
public struct FirmwareArchitecture: Sendable, Hashable, CustomStringConvertible {
    public var code: UInt16

    public init(_ code: UInt16) {
        self.code = code
    }

    public enum Loader: Sendable, Equatable {
        /// Fetched over TFTP by a PXE client.
        case tftp(String)
        /// Fetched over HTTP by a UEFI HTTP Boot client: the file under
        /// `/assets/ipxe/`.
        case http(String)
    }

    /// The default first stage, or nil for architectures Kiln has no
    /// iPXE build for. RFC 4578's first table had 7 and 9 swapped (EFI BC
    /// and x86-64); firmware in the field sends both for x86-64.
    public var defaultLoader: Loader? {
        switch code {
        case 0: return .tftp("undionly.kpxe")
        case 6: return .tftp("ipxe-i386.efi")
        case 7, 9: return .tftp("ipxe.efi")
        case 10: return .tftp("ipxe-arm32.efi")
        case 11: return .tftp("ipxe-arm64.efi")
        case 15: return .http("ipxe-i386.efi")
        case 16: return .http("ipxe.efi")
        case 18: return .http("ipxe-arm32.efi")
        case 19: return .http("ipxe-arm64.efi")
        default: return nil
        }
    }

    /// UEFI HTTP Boot clients (they send `HTTPClient` and want a URL).
    public var isHTTPBoot: Bool { [15, 16, 17, 18, 19].contains(code) }

    /// BIOS PXE ROMs follow PXE 2.1's discovery rules, so the offer tells
    /// them (option 43) to take its boot file without discovery.
    public var isBIOS: Bool { code == 0 }

    public var name: String {
        switch code {
        case 0: return "x86 BIOS"
        case 6: return "x86 UEFI"
        case 7: return "x86-64 UEFI"
        case 9: return "x86-64 UEFI (EBC code)"
        case 10: return "ARM 32-bit UEFI"
        case 11: return "ARM 64-bit UEFI"
        case 15: return "x86 UEFI HTTP"
        case 16: return "x86-64 UEFI HTTP"
        case 17: return "EBC UEFI HTTP"
        case 18: return "ARM 32-bit UEFI HTTP"
        case 19: return "ARM 64-bit UEFI HTTP"
        default: return "architecture \(code)"
        }
    }

    public var description: String { String(code) }
}
