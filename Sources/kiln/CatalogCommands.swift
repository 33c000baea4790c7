import ArgumentParser
import Foundation
import KilnAPI
import KilnCore

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage the API's bearer tokens.",
        subcommands: [TokenAddCommand.self]
    )
}

struct TokenAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create a token: print it once, and append its name, scope and hash to the tokens file.",
        discussion: """
            The token is printed alone on standard output and kept nowhere: save it (kiln token add ci --scope write \
            --tokens-file F > ci.token). The tokens file is created with mode 0600 and holds only SHA-256 hashes. \
            A running kiln serve re-reads it on SIGHUP. To revoke a token, delete its line and send SIGHUP.
            Exit status: 0; 2 for a bad name or scope, a name already used, or an unwritable file.
            """
    )

    @Argument(help: ArgumentHelp("A name for the token, shown in the log of every write made with it.", valueName: "name"))
    var name: String

    @Option(help: ArgumentHelp("read (GET only) or write.", valueName: "read|write"))
    var scope: String = "read"

    @Option(help: ArgumentHelp("The tokens file kiln serve --api-tokens reads (env KILN_API_TOKENS).", valueName: "file"))
    var tokensFile: String?

    func run() throws {
        guard let parsedScope = APICredential.Scope(rawValue: scope) else { throw ValidationError("--scope \"\(scope)\" is not read or write") }
        let path = Environment.value(tokensFile, "KILN_API_TOKENS", default: "")
        guard !path.isEmpty else { throw ValidationError("give the tokens file with --tokens-file or KILN_API_TOKENS") }
        do {
            print(try APITokenFile.add(name: name, scope: parsedScope, path: path))
        } catch {
            printError("kiln token add: \(error)")
            throw ExitCode(2)
        }
    }
}

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Write groups, profiles and templates to a running Kiln through its API.",
        discussion: """
            Each file's kind comes from its folder (groups/, profiles/, ignition/, generic/, cloud/) or --kind; a group's \
            or profile's name is its id, or the file name without .json; a template's name is its file name. Templates \
            are written first, then profiles, then groups, so references resolve. Each write is checked by Kiln as a \
            reload would check it and refused with the file's line and column if it would break the catalog.
            Exit status: 0; 1 when Kiln refused a file (the rest are not written); 2 for a bad option or unreadable \
            file; 3 when Kiln cannot be reached or failed.
            """
    )

    @OptionGroup var api: APIOptions

    @Option(help: ArgumentHelp("group, profile, ignition, generic or cloud, for files not in such a folder.", valueName: "kind"))
    var kind: String?

    @Argument(help: ArgumentHelp("Files to write.", valueName: "file"))
    var files: [String]

    func run() async throws {
        let client = try api.client()
        var records: [(CatalogRecord, Data)] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("kiln apply: cannot read \(file)")
                throw ExitCode(2)
            }
            records.append((try record(for: file, data: data), data))
        }
        func order(_ record: CatalogRecord) -> Int {
            switch record.kind {
            case .template: return 0
            case .profile: return 1
            case .group: return 2
            }
        }
        for (record, data) in records.sorted(by: { order($0.0) < order($1.0) }) {
            let reply = try await client.send("PUT", record.apiPath, body: data,
                                              contentType: record.kind.isTemplate ? "application/octet-stream" : "application/json")
            guard (200..<300).contains(reply.status) else { throw client.failure("\(record.path) not written", reply) }
            print("\(reply.status == 201 ? "created" : "updated") \(record.path) \(reply.etag ?? "")")
        }
    }

    private func record(for file: String, data: Data) throws -> CatalogRecord {
        let fileName = (file as NSString).lastPathComponent
        let folder = ((file as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let kindName = kind ?? folder
        guard let kind = CatalogRecord.Kind(name: kindName) else {
            throw ValidationError("\(file): cannot tell its kind from its folder \"\(folder)\"; give --kind group|profile|ignition|generic|cloud")
        }
        var name = fileName
        if !kind.isTemplate {
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            name = object?["id"] as? String ?? (fileName.hasSuffix(".json") ? String(fileName.dropLast(5)) : fileName)
        }
        do {
            return try CatalogRecord(kind: kind, name: name)
        } catch {
            throw ValidationError("\(file): \(error)")
        }
    }
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a group, profile or template from a running Kiln through its API.",
        discussion: """
            Refused (422) when the catalog would not load without it, e.g. a profile a group still names.
            Exit status: 0; 1 when Kiln refused or has no such record; 2 for a bad option; 3 when Kiln cannot be reached.
            """
    )

    @OptionGroup var api: APIOptions

    @Argument(help: ArgumentHelp("group, profile, ignition, generic or cloud.", valueName: "kind"))
    var kind: String

    @Argument(help: ArgumentHelp("The record's id (groups, profiles) or file name (templates).", valueName: "name"))
    var name: String

    func run() async throws {
        guard let parsedKind = CatalogRecord.Kind(name: kind) else { throw ValidationError("kind \"\(kind)\" is not group, profile, ignition, generic or cloud") }
        let record: CatalogRecord
        do {
            record = try CatalogRecord(kind: parsedKind, name: name)
        } catch {
            throw ValidationError(error.description)
        }
        let client = try api.client()
        let reply = try await client.send("DELETE", record.apiPath)
        guard reply.status == 204 else { throw client.failure("\(record.path) not deleted", reply) }
        print("deleted \(record.path)")
    }
}

struct AssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Give a machine (a discovered one, typically) a profile: Kiln writes the group machine-<mac> selecting it.",
        discussion: """
            The next time the machine boots it gets the profile. Refused when the profile does not exist.
            Exit status: 0; 1 when Kiln refused; 2 for a bad option; 3 when Kiln cannot be reached.
            """
    )

    @OptionGroup var api: APIOptions

    @Argument(help: ArgumentHelp("The machine's MAC address.", valueName: "mac"))
    var mac: String

    @Option(help: ArgumentHelp("The profile it boots.", valueName: "id"))
    var profile: String

    @Option(help: ArgumentHelp("Metadata for its templates, as a JSON object.", valueName: "json"))
    var metadata: String?

    func run() async throws {
        guard let parsed = MACAddress(mac) else { throw ValidationError("\"\(mac)\" is not a MAC address such as 52:54:00:12:34:56") }
        var body: [String: Any] = ["profile": profile]
        if let metadata {
            guard let object = try? JSONSerialization.jsonObject(with: Data(metadata.utf8)) as? [String: Any] else {
                throw ValidationError("--metadata must be a JSON object")
            }
            body["metadata"] = object
        }
        let client = try api.client()
        let reply = try await client.send("POST", "/api/v1/machines/\(APIClient.escape(parsed.description))/assign",
                                          body: try JSONSerialization.data(withJSONObject: body))
        guard (200..<300).contains(reply.status) else { throw client.failure("\(parsed) not assigned", reply) }
        print("\(parsed) → profile \(profile) (group \(reply.json?["name"] as? String ?? "?"))")
    }
}

extension CatalogRecord {
    var apiPath: String {
        switch kind {
        case .group: return "/api/v1/groups/\(APIClient.escape(name))"
        case .profile: return "/api/v1/profiles/\(APIClient.escape(name))"
        case .template(let template): return "/api/v1/templates/\(template.rawValue)/\(APIClient.escape(name))"
        }
    }
}

extension CatalogRecord.Kind {
    var isTemplate: Bool {
        if case .template = self { return true }
        return false
    }
}
