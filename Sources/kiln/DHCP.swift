import ArgumentParser
import Foundation
import KilnCore
import KilnDHCP
import KilnTFTP
import NIOCore

/// How first stages are chosen: the flags `serve` and `dhcp explain` share.
struct DHCPAnswerFlags: ParsableArguments {
    @Option(name: .customLong("dhcp-bootfile"), help: ArgumentHelp("Replace the first stage for one architecture, e.g. 7=snponly.efi (repeatable; env KILN_DHCP_BOOTFILE, comma-separated).", valueName: "arch=file"))
    var bootfiles: [String] = []

    @Option(name: .customLong("dhcp-efi-policy"), help: ArgumentHelp("offer: EFI PXE clients get their file in the port-67 offer and on 4011; 4011: only on 4011 (env KILN_DHCP_EFI_POLICY; default offer).", valueName: "policy"))
    var efiPolicy: String?

    func parsedBootfiles() throws -> [UInt16: String] {
        var words = bootfiles
        if words.isEmpty, let variable = ProcessInfo.processInfo.environment["KILN_DHCP_BOOTFILE"], !variable.isEmpty {
            words = variable.split(separator: ",").map(String.init)
        }
        var result: [UInt16: String] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "="), let arch = UInt16(word[..<equals]),
                  case let file = String(word[word.index(after: equals)...]), !file.isEmpty else {
                throw ValidationError("--dhcp-bootfile \"\(word)\" is not ARCH=FILE (for example 7=snponly.efi)")
            }
            guard file.utf8.count <= 127, !file.contains(where: { $0.isWhitespace }) else {
                throw ValidationError("--dhcp-bootfile \"\(word)\": the file must fit DHCP's 127-byte file field, without spaces")
            }
            result[arch] = file
        }
        return result
    }

    func parsedPolicy() throws -> ProxyDHCPResponder.EFIPolicy {
        let text = Environment.value(efiPolicy, "KILN_DHCP_EFI_POLICY", default: "offer")
        guard let policy = ProxyDHCPResponder.EFIPolicy(rawValue: text) else {
            throw ValidationError("--dhcp-efi-policy \"\(text)\" is not offer or 4011")
        }
        return policy
    }
}

/// proxyDHCP's flags for `serve`.
struct DHCPFlags: ParsableArguments {
    @Option(name: .customLong("dhcp"), help: ArgumentHelp("off or proxy: answer boot clients beside the site's DHCP server on UDP 67 and 4011 (env KILN_DHCP; default off).", valueName: "mode"))
    var mode: String?

    @Option(name: .customLong("dhcp-interface"), help: ArgumentHelp("The interface the rack is on (env KILN_DHCP_INTERFACE); required when the host has several.", valueName: "name"))
    var interface: String?

    @Option(name: .customLong("dhcp-server-address"), help: ArgumentHelp("The IPv4 address machines reach Kiln at, sent as siaddr and option 54 (env KILN_DHCP_SERVER_ADDRESS; default the interface's address).", valueName: "ipv4"))
    var serverAddress: String?

    @OptionGroup var answers: DHCPAnswerFlags

    @Option(name: .customLong("dhcp-ports"), help: .hidden)
    var ports: String?

    var isOn: Bool {
        get throws {
            let text = Environment.value(mode, "KILN_DHCP", default: "off").lowercased()
            switch text {
            case "off", "": return false
            case "proxy": return true
            default: throw ValidationError("--dhcp \"\(text)\" is not off or proxy")
            }
        }
    }

    /// The interface and its address: named, or the only one the host has;
    /// the address given explicitly wins over the interface's.
    func rackInterface() throws -> (name: String, address: IPv4) {
        var explicit: IPv4?
        let addressText = Environment.value(serverAddress, "KILN_DHCP_SERVER_ADDRESS", default: "")
        if !addressText.isEmpty {
            guard let address = IPv4(addressText) else { throw ValidationError("--dhcp-server-address \"\(addressText)\" is not an IPv4 address") }
            explicit = address
        }
        var addresses: [(name: String, address: IPv4)] = []
        for device in (try? System.enumerateDevices()) ?? [] {
            guard let socketAddress = device.address, case .v4 = socketAddress,
                  let text = socketAddress.ipAddress, let address = IPv4(text) else { continue }
            addresses.append((device.name, address))
        }
        let named = Environment.value(interface, "KILN_DHCP_INTERFACE", default: "")
        if !named.isEmpty {
            if let explicit { return (named, explicit) }
            guard let found = addresses.first(where: { $0.name == named }) else {
                let known = Set(addresses.map(\.name)).sorted().joined(separator: ", ")
                throw ValidationError("--dhcp-interface \(named) has no IPv4 address (interfaces with one: \(known.isEmpty ? "none" : known)); give --dhcp-server-address")
            }
            return found
        }
        let candidates = addresses.filter { !$0.name.hasPrefix("lo") }
        guard candidates.count == 1, let only = candidates.first else {
            let names = candidates.map(\.name).joined(separator: ", ")
            throw ValidationError(candidates.isEmpty
                ? "--dhcp proxy needs an interface with an IPv4 address; this host has none besides loopback"
                : "--dhcp proxy: this host has several interfaces (\(names)); name the rack's with --dhcp-interface")
        }
        return (only.name, explicit ?? only.address)
    }

    /// The two listening ports: 67 and 4011 unless a test says otherwise.
    func listenPorts() throws -> (Int, Int) {
        guard let ports else { return (67, 4011) }
        let parts = ports.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("--dhcp-ports takes DHCP,PXE (for example 67,4011)") }
        return (parts[0], parts[1])
    }
}

/// Whether a first stage is in the TFTP root, found as the TFTP server
/// would find it; an absolute URL is taken on trust.
func firstStageFinder(root: String) -> @Sendable (String) -> Bool {
    { name in name.contains("://") || TFTPServer.serves(name, root: root) }
}

struct DHCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dhcp",
        abstract: "proxyDHCP tools.",
        subcommands: [ExplainCommand.self]
    )
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Print what kiln serve --dhcp proxy would answer a boot client, and why.",
        discussion: """
            Describe the request as key=value words: mac (required), arch (option 93, default 0), vendor-class \
            (option 60, default PXEClient:Arch:<arch>:UNDI:003000), user-class (option 77, e.g. iPXE), message \
            (discover or request, default discover), port (67 or 4011, default 67). The server's address and URL \
            come from --dhcp-server-address and --http-base (defaults 192.0.2.1 and http://<address>:8080).
            Example: kiln dhcp explain --data-path profiles mac=52:54:00:12:34:56 arch=7 vendor-class=PXEClient:Arch:00007:UNDI:003000
            Exit status: 0 when Kiln would answer, 1 when it would stay silent, 2 when the data directory does not load.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(name: .customLong("dhcp-server-address"), help: ArgumentHelp("Kiln's address on the rack network (default 192.0.2.1).", valueName: "ipv4"))
    var serverAddress: String = "192.0.2.1"

    @Option(name: .customLong("http-base"), help: ArgumentHelp("Kiln's HTTP URL as machines reach it (default http://<server address>:8080).", valueName: "url"))
    var httpBase: String?

    @OptionGroup var answers: DHCPAnswerFlags

    @Option(name: .long, help: ArgumentHelp("As for kiln serve (env KILN_ASSETS_PATH; default <data-path>/assets).", valueName: "dir"))
    var assetsPath: String?

    @Option(name: .long, help: ArgumentHelp("Where first stages are looked for, as for kiln serve (env KILN_TFTP_ROOT; default the assets directory).", valueName: "dir"))
    var tftpRoot: String?

    @Argument(help: ArgumentHelp("The request as key=value words.", valueName: "key=value"))
    var words: [String] = []

    var resolvedTFTPRoot: String {
        let assets = Environment.value(assetsPath, "KILN_ASSETS_PATH", default: data.resolvedDataPath + "/assets")
        return Environment.value(tftpRoot, "KILN_TFTP_ROOT", default: assets)
    }

    func run() throws {
        var fields: [String: String] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw ValidationError("\"\(word)\" is not key=value (for example arch=7)")
            }
            let key = String(word[..<equals])
            guard ["mac", "arch", "vendor-class", "user-class", "message", "port"].contains(key) else {
                throw ValidationError("unknown key \"\(key)\": use mac, arch, vendor-class, user-class, message or port")
            }
            fields[key] = String(word[word.index(after: equals)...])
        }
        guard let macText = fields["mac"], let mac = MACAddress(macText), mac.bytes.count == 6 else {
            throw ValidationError("give the client's mac=52:54:00:12:34:56")
        }
        guard let arch = UInt16(fields["arch"] ?? "0") else { throw ValidationError("arch must be a number (option 93), e.g. 7") }
        guard let server = IPv4(serverAddress) else { throw ValidationError("--dhcp-server-address \"\(serverAddress)\" is not IPv4") }
        let message: DHCPMessageType
        switch fields["message"] ?? "discover" {
        case "discover": message = .discover
        case "request": message = .request
        default: throw ValidationError("message must be discover or request")
        }
        let port: ProxyDHCPResponder.Port
        switch fields["port"] ?? "67" {
        case "67": port = .dhcp
        case "4011": port = .pxe
        default: throw ValidationError("port must be 67 or 4011")
        }
        let archText = String(repeating: "0", count: max(0, 5 - String(arch).count)) + String(arch)
        var options = DHCPOptions()
        options.set(DHCPOption.messageType, [message.rawValue])
        if port == .dhcp && message == .request { options.set(DHCPOption.serverIdentifier, server.array) }
        options.set(DHCPOption.clientArchitecture, [UInt8(arch >> 8), UInt8(arch & 0xFF)])
        options.set(DHCPOption.vendorClass, fields["vendor-class"] ?? "PXEClient:Arch:\(archText):UNDI:003000")
        if let userClass = fields["user-class"] { options.set(DHCPOption.userClass, userClass) }
        var packet = DHCPPacket(op: .request, transactionID: 1, clientHardware: mac.bytes + [UInt8](repeating: 0, count: 10), options: options)
        packet.flags = 0x8000

        let responder = ProxyDHCPResponder(.init(
            serverAddress: server, httpBase: httpBase ?? "http://\(server):8080", bootfiles: try answers.parsedBootfiles(),
            efiPolicy: try answers.parsedPolicy(), firstStageExists: firstStageFinder(root: resolvedTFTPRoot)))
        guard let catalog = try loadOrExit(data).catalog else { throw ExitCode(2) }
        print("request: \(message) on port \(port.rawValue) from mac=\(mac) arch=\(arch) (\(FirmwareArchitecture(arch).name)) vendor-class=\(options[DHCPOption.vendorClass].map { String(decoding: $0, as: UTF8.self) } ?? "") user-class=\(fields["user-class"] ?? "-")")
        switch responder.respond(to: packet.encode(), on: port, catalog: catalog) {
        case .answer(let answer, _):
            let reply = answer.packet
            let destination: String
            switch answer.destination {
            case .broadcast: destination = "broadcast to 255.255.255.255:68"
            case .relay(let relay): destination = "to the relay \(relay):67"
            case .sender: destination = "back to the sender's address and port"
            }
            print("answer:  \(answer.type) \(destination)")
            print("  file:    \(reply.bootFile.isEmpty ? "(none)" : String(decoding: reply.bootFile, as: UTF8.self))")
            print("  why:     \(answer.offered)")
            print("  server:  siaddr \(reply.serverAddress), option 54 \(server), sname \(String(decoding: reply.serverName, as: UTF8.self))")
            print("  class:   option 60 \(reply.options[DHCPOption.vendorClass].map { String(decoding: $0, as: UTF8.self) } ?? "")")
            if let vendor = reply.options[DHCPOption.vendorSpecific] {
                print("  option 43: \(vendor.map { String($0) }.joined(separator: " ")) (PXE discovery control 8: boot the offered file)")
            }
        case .silence(let silence, _):
            print("answer:  none: \(silence)")
            throw ExitCode(1)
        }
    }
}
