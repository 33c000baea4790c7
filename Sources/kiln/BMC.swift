import ArgumentParser
import Foundation
import KilnCore

/// `kiln bmc …`: a machine's BMC, through a running Kiln's API.
struct BMCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bmc",
        abstract: "Control machines through their BMCs (Redfish): power, boot device, virtual media, hardware facts.",
        discussion: """
            Every subcommand goes through a running Kiln's API (--server and --token-file, or KILN_SERVER and KILN_TOKEN_FILE) \
            with a write token, except show and power status, which a read token may do. Kiln keeps the BMC's account in its state \
            folder (0600) and never shows it again. Actions wait for the BMC and are recorded on the machine's timeline. See docs/bmc.md.
            Exit codes: 0 done, 1 refused (bad input, no BMC, the BMC busy with another action), 3 the BMC or the server failed.
            """,
        subcommands: [Add.self, Show.self, Power.self, Boot.self, Netboot.self, InstallISO.self, Eject.self, Facts.self, Remove.self]
    )

    /// Long enough for a power cycle the BMC takes a minute to report, and a graceful shutdown.
    static let actionTimeout: TimeInterval = 300

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add (or replace) a machine's BMC; a machine Kiln has not seen is enrolled.",
            discussion: "Kiln stores the record without contacting the BMC, then reads its hardware facts in the background (kiln bmc facts MAC reads them again).")

        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address (the NIC it boots from).", valueName: "mac")) var mac: String
        @Option(help: ArgumentHelp("The BMC's Redfish URL, e.g. https://10.0.0.5 (http:// only for emulators).", valueName: "url")) var url: String
        @Option(help: ArgumentHelp("The system's path, e.g. /redfish/v1/Systems/1, when the BMC manages several.", valueName: "path")) var system: String?
        @Option(help: ArgumentHelp("The BMC account.", valueName: "name")) var username: String
        @Option(help: ArgumentHelp("File whose first line is the password (never on the command line, where ps shows it).", valueName: "file")) var passwordFile: String
        @Option(help: ArgumentHelp("PEM CA certificate the BMC's certificate must chain to (default: the system's CAs).", valueName: "file")) var caFile: String?
        @Flag(help: "Do not check the BMC's certificate at all (many BMCs ship self-signed ones; prefer --ca-file).") var insecure = false

        func validate() throws {
            if caFile != nil && insecure { throw ValidationError("give --ca-file or --insecure, not both") }
        }

        func run() async throws {
            let mac = try parsedMAC(mac)
            guard let data = FileManager.default.contents(atPath: passwordFile) else { throw ValidationError("cannot read the password file \(passwordFile)") }
            let password = String(decoding: data, as: UTF8.self).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) } ?? ""
            guard !password.isEmpty else { throw ValidationError("the password file \(passwordFile) is empty") }
            var body: [String: Any] = ["url": url, "username": username, "password": password, "insecure": insecure]
            if let system { body["system_path"] = system }
            if let caFile {
                guard let pem = FileManager.default.contents(atPath: caFile) else { throw ValidationError("cannot read the CA file \(caFile)") }
                body["ca_pem"] = String(decoding: pem, as: UTF8.self)
            }
            let client = try api.client()
            let reply = try await client.send("PUT", "/api/v1/machines/\(mac)/bmc", body: try JSONSerialization.data(withJSONObject: body))
            guard reply.status == 200 || reply.status == 201 else { throw client.failure("bmc add \(mac)", reply) }
            print("\(reply.status == 201 ? "added" : "replaced"): the BMC of \(mac) at \(url); its facts are being read (kiln bmc show \(mac))")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a machine's BMC record and its last facts (never the account).")
        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac")) var mac: String

        func run() async throws {
            let mac = try parsedMAC(mac)
            let client = try api.client()
            let reply = try await client.send("GET", "/api/v1/machines/\(mac)/bmc")
            guard reply.status == 200, let record = reply.json else { throw client.failure("bmc show \(mac)", reply) }
            print("mac:      \(mac)")
            print("url:      \(record["url"] as? String ?? "-")\((record["system_path"] as? String).map { "  system: " + $0 } ?? "")")
            print("trust:    \(record["trust"] as? String ?? "-")")
            if let pending = record["pending_eject"] as? [String: Any] {
                print("to eject: \(pending["image"] as? String ?? "-") at config or by \(pending["deadline"] as? String ?? "-")")
            }
            printFacts(record["facts"] as? [String: Any], read: record["facts_read"] as? String)
        }
    }

    struct Power: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Power a machine on, off (graceful, then forced) or cycle it, or show its power state.",
            discussion: "on, off and cycle wait until the BMC reports the new state (off: a graceful shutdown first, forced after a minute).")
        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac")) var mac: String
        @Argument(help: ArgumentHelp("on, off, cycle or status.", valueName: "action")) var action: String

        func run() async throws {
            let mac = try parsedMAC(mac)
            guard ["on", "off", "cycle", "status"].contains(action) else { throw ValidationError("action \"\(action)\" is not on, off, cycle or status") }
            if action == "status" {
                try await act(api, "GET", "/api/v1/machines/\(mac)/bmc/power", nil, "bmc power \(mac) status")
            } else {
                try await act(api, "POST", "/api/v1/machines/\(mac)/bmc/power", ["action": action], "bmc power \(mac) \(action)")
            }
        }
    }

    struct Boot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the device the machine boots from next time only: pxe, cd or disk.")
        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac")) var mac: String
        @Argument(help: ArgumentHelp("pxe, cd or disk.", valueName: "device")) var device: String

        func run() async throws {
            let mac = try parsedMAC(mac)
            guard ["pxe", "cd", "disk"].contains(device) else { throw ValidationError("device \"\(device)\" is not pxe, cd or disk") }
            try await act(api, "POST", "/api/v1/machines/\(mac)/bmc/boot", ["device": device], "bmc boot \(mac) \(device)")
        }
    }

    struct Netboot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Boot from the network once: PXE next boot, then power on (or cycle when on).")
        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac")) var mac: String

        func run() async throws {
            let mac = try parsedMAC(mac)
            try await act(api, "POST", "/api/v1/machines/\(mac)/bmc/netboot", [:], "bmc netboot \(mac)")
        }
    }

    struct InstallISO: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install-iso",
            abstract: "Mount Kiln's installer ISO for this machine (or the network-boot CD) as virtual media, boot it once, power cycle.",
            discussion: """
                The image is /installer.iso?mac=MAC (the machine's profile needs installer_iso) or, with --netboot-cd, /netboot.iso, \
                at kiln serve's --public-url. Kiln ejects it when the machine reaches config, or after --bmc-eject-after minutes.
                """)
        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac")) var mac: String
        @Flag(help: "Mount the network-boot CD, which chains to Kiln over HTTP, instead of the installer ISO.") var netbootCd = false

        func run() async throws {
            let mac = try parsedMAC(mac)
            try await act(api, "POST", "/api/v1/machines/\(mac)/bmc/install-iso", ["netboot_cd": netbootCd], "bmc install-iso \(mac)")
        }
    }

    struct Eject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Eject the virtual media from the machine's CD drive.")
        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac")) var mac: String

        func run() async throws {
            let mac = try parsedMAC(mac)
            try await act(api, "DELETE", "/api/v1/machines/\(mac)/bmc/media", nil, "bmc eject \(mac)")
        }
    }

    struct Facts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read the hardware facts from the BMC now and keep them on the machine.")
        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac")) var mac: String

        func run() async throws {
            let mac = try parsedMAC(mac)
            let reply = try await act(api, "POST", "/api/v1/machines/\(mac)/bmc/facts", [:], "bmc facts \(mac)", quiet: true)
            printFacts(reply["facts"] as? [String: Any], read: nil)
            for note in reply["notes"] as? [String] ?? [] { print("note:     \(note)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a machine's BMC and its account. The machine itself stays in the inventory.")
        @OptionGroup(title: "Through the API") var api: APIOptions
        @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac")) var mac: String

        func run() async throws {
            let mac = try parsedMAC(mac)
            let client = try api.client()
            let reply = try await client.send("DELETE", "/api/v1/machines/\(mac)/bmc")
            guard reply.status == 204 else { throw client.failure("bmc remove \(mac)", reply) }
            print("removed: the BMC of \(mac)")
        }
    }
}

private func parsedMAC(_ text: String) throws -> MACAddress {
    guard let mac = MACAddress(text) else { throw ValidationError("\"\(text)\" is not a MAC address such as 52:54:00:12:34:56") }
    return mac
}

/// One action through the API; prints the BMC's answer unless `quiet`.
@discardableResult
private func act(_ api: APIOptions, _ method: String, _ path: String, _ body: [String: Any]?, _ what: String, quiet: Bool = false) async throws -> [String: Any] {
    let client = try api.client()
    let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
    let reply = try await client.send(method, path, body: data, timeout: BMCCommand.actionTimeout)
    guard reply.status == 200, let object = reply.json else { throw client.failure(what, reply) }
    if !quiet {
        print("\(object["action"] as? String ?? what): \(object["result"] as? String ?? "done")")
        for note in object["notes"] as? [String] ?? [] { print("note: \(note)") }
    }
    return object
}

private func printFacts(_ facts: [String: Any]?, read: String?) {
    guard let facts else {
        print("facts:    none yet (kiln bmc facts MAC reads them)")
        return
    }
    func field(_ name: String) -> String {
        switch facts[name] {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return "-"
        }
    }
    print("hardware: \(field("manufacturer")) \(field("model")), serial \(field("serial")), BIOS \(field("bios_version"))")
    print("cpus:     \(field("cpu_count"))   memory: \(field("memory_gib")) GiB   power: \(field("power_state"))")
    print("uuid:     \(field("uuid"))")
    print("nics:     \((facts["macs"] as? [String] ?? []).joined(separator: ", "))")
    if let read { print("read:     \(read)") }
}
