import ArgumentParser
import Foundation
import KilnCore
import KilnEtcd
import KilnRender
import KilnStore
import Logging

/// How to reach an etcd cluster: the address, and TLS and user options as
/// etcd offers them.
struct StoreConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("CA file that signed the etcd members' certificates (etcds:// only; env KILN_STORE_CA).", valueName: "file"))
    var storeCa: String?

    @Option(name: .long, help: ArgumentHelp("Client certificate for etcd (etcd's --client-cert-auth; env KILN_STORE_CERT).", valueName: "file"))
    var storeCert: String?

    @Option(name: .long, help: ArgumentHelp("The client certificate's key (env KILN_STORE_KEY).", valueName: "file"))
    var storeKey: String?

    @Option(name: .long, help: ArgumentHelp("etcd user, when etcd's authentication is on (env KILN_STORE_USERNAME).", valueName: "name"))
    var storeUsername: String?

    @Option(name: .long, help: ArgumentHelp("File holding the etcd user's password (env KILN_STORE_PASSWORD_FILE).", valueName: "file"))
    var storePasswordFile: String?

    /// A client for `text`, or a usage error that says what is wrong.
    func client(for text: String, logger: Logger = Logger(label: "kiln.store")) throws -> EtcdClient {
        let address: EtcdAddress
        do {
            address = try EtcdAddress(text)
        } catch {
            throw ValidationError(error.description)
        }
        let ca = Environment.value(storeCa, "KILN_STORE_CA", default: "")
        let cert = Environment.value(storeCert, "KILN_STORE_CERT", default: "")
        let key = Environment.value(storeKey, "KILN_STORE_KEY", default: "")
        guard cert.isEmpty == key.isEmpty else { throw ValidationError("--store-cert and --store-key go together") }
        if !address.tls && !(ca.isEmpty && cert.isEmpty) {
            throw ValidationError("--store-ca, --store-cert and --store-key need an etcds:// store")
        }
        for file in [ca, cert, key] where !file.isEmpty && !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("cannot read \(file)")
        }
        let username = Environment.value(storeUsername, "KILN_STORE_USERNAME", default: "")
        let passwordFile = Environment.value(storePasswordFile, "KILN_STORE_PASSWORD_FILE", default: "")
        var credentials: EtcdClient.Credentials?
        if !username.isEmpty {
            guard !passwordFile.isEmpty, let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw ValidationError("--store-username needs a readable --store-password-file")
            }
            credentials = .init(username: username, password: text.trimmingCharacters(in: .newlines))
        } else if !passwordFile.isEmpty {
            throw ValidationError("--store-password-file needs --store-username")
        }
        do {
            return try EtcdClient(address: address, tls: .init(caFile: ca.isEmpty ? nil : ca, certificateFile: cert.isEmpty ? nil : cert,
                                                               keyFile: key.isEmpty ? nil : key),
                                  credentials: credentials, logger: logger)
        } catch {
            throw ValidationError("cannot set up TLS for \(address): \(error)")
        }
    }
}

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Move a catalog between a data directory and etcd, and check an etcd-backed store.",
        discussion: """
            With kiln serve --store etcd://HOST:PORT[,HOST:PORT…]/PREFIX, the catalog and the inventory live in etcd \
            under PREFIX and several Kiln replicas share them; see docs/scale-out.md.
            """,
        subcommands: [StoreImportCommand.self, StoreExportCommand.self, StoreStatusCommand.self]
    )
}

struct StoreImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Copy a data directory's groups, profiles and templates into etcd, checked first.",
        discussion: """
            The directory is loaded and compiled as kiln serve would; any error refuses the import and nothing is \
            written. A catalog that fits one etcd transaction (about 120 files) is written in one; a larger one is \
            written templates first, then profiles, then groups, so every replica that reloads midway sees a catalog \
            that compiles. A store that already holds a catalog is refused unless --replace, which also removes the \
            keys the directory does not have. The files/ folder (Butane local: contents) is not copied.
            Exit status: 0; 1 when the directory has errors or the store already holds a catalog; 2 for bad options; \
            3 when etcd cannot be reached or refused the write.
            """
    )

    @Argument(help: ArgumentHelp("Data directory in matchbox's layout.", valueName: "dir"))
    var directory: String

    @Argument(help: ArgumentHelp("etcd://HOST:PORT[,HOST:PORT…]/PREFIX", valueName: "store"))
    var store: String

    @Flag(help: "Replace a catalog already in the store (keys the directory does not have are deleted).")
    var replace = false

    @OptionGroup var connection: StoreConnectionOptions

    func run() async throws {
        let client = try connection.client(for: store)
        defer { Task { await client.shutdown() } }
        let source = DataDirectorySource(dataPath: directory)
        let snapshot = source.snapshot()
        let loaded = LoadedCatalog.load(from: SnapshotSource(snapshot, origin: directory))
        guard loaded.compiled != nil, loaded.diagnostics.errors.isEmpty else {
            for diagnostic in loaded.diagnostics.errors { printError(diagnostic.description) }
            printError("kiln store import: \(directory) has \(loaded.diagnostics.errors.count) error(s); nothing was written")
            throw ExitCode(1)
        }
        let files = snapshot.templates.values.sorted { $0.path < $1.path } + snapshot.profiles + snapshot.groups
        do {
            let result = try await CatalogTransfer.importCatalog(files, into: client, replace: replace)
            print("imported \(snapshot.groups.count) groups, \(snapshot.profiles.count) profiles and \(snapshot.templates.count) templates into \(client.address)"
                  + (result.deleted > 0 ? ", deleting \(result.deleted) keys the directory does not have" : "")
                  + " (\(result.transactions) transaction\(result.transactions == 1 ? "" : "s"), revision \(result.revision))")
        } catch let refusal as CatalogTransfer.Refusal {
            printError("kiln store import: \(refusal)")
            throw ExitCode(1)
        } catch {
            printError("kiln store import: \(error)")
            throw ExitCode(3)
        }
    }
}

struct StoreExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the catalog in etcd to a data directory in matchbox's layout.",
        discussion: """
            Reads every catalog key at one revision and writes each as a file, byte for byte. The directory must not \
            exist or be empty; files are written to a folder beside it and moved into place at the end, so a failed \
            export leaves nothing half-written.
            Exit status: 0; 1 when the directory is not empty; 2 for bad options; 3 when etcd cannot be reached.
            """
    )

    @Argument(help: ArgumentHelp("etcd://HOST:PORT[,HOST:PORT…]/PREFIX", valueName: "store"))
    var store: String

    @Argument(help: ArgumentHelp("Directory to create.", valueName: "dir"))
    var directory: String

    @OptionGroup var connection: StoreConnectionOptions

    func run() async throws {
        let client = try connection.client(for: store)
        defer { Task { await client.shutdown() } }
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard existing.isEmpty else {
            printError("kiln store export: \(directory) is not empty; give a new or empty directory")
            throw ExitCode(1)
        }
        do {
            let (count, revision) = try await CatalogTransfer.exportCatalog(from: client, to: directory)
            print("exported \(count) files from \(client.address) at revision \(revision) to \(directory)")
        } catch let refusal as CatalogTransfer.Refusal {
            printError("kiln store export: \(refusal)")
            throw ExitCode(1)
        } catch {
            printError("kiln store export: \(error)")
            throw ExitCode(3)
        }
    }
}

struct StoreStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the etcd cluster's members, each endpoint's revision and leader, and Kiln's key counts.",
        discussion: "Exit status: 0; 2 for bad options; 3 when no endpoint answers."
    )

    @Argument(help: ArgumentHelp("etcd://HOST:PORT[,HOST:PORT…]/PREFIX (env KILN_STORE)", valueName: "store"))
    var store: String?

    @OptionGroup var connection: StoreConnectionOptions

    func run() async throws {
        let text = Environment.value(store, "KILN_STORE", default: "")
        guard !text.isEmpty else { throw ValidationError("give the store, as in etcd://127.0.0.1:2379/kiln, or set KILN_STORE") }
        let client = try connection.client(for: text)
        defer { Task { await client.shutdown() } }
        let statuses = await client.statuses()
        print("store \(client.address)")
        print("endpoints:")
        for status in statuses {
            if status.errors.isEmpty || !status.version.isEmpty {
                print("  \(status.endpoint)  etcd \(status.version)  revision \(status.revision)  raft term \(status.raftTerm)  db \(status.dbSize) bytes\(status.isLeader ? "  leader" : "")"
                      + (status.errors.isEmpty ? "" : "  errors: " + status.errors.joined(separator: "; ")))
            } else {
                print("  \(status.endpoint)  unreachable: \(status.errors.joined(separator: "; "))")
            }
        }
        guard statuses.contains(where: { !$0.version.isEmpty }) else {
            printError("kiln store status: no endpoint of \(client.address) answers")
            throw ExitCode(3)
        }
        do {
            let members = try await client.members()
            print("members:")
            for member in members {
                print("  \(member.name.isEmpty ? "(starting)" : member.name)  id \(member.id)  clients \(member.clientURLs.joined(separator: ","))")
            }
            print("keys under \(client.address.prefix):")
            for (name, counts) in try await CatalogTransfer.keyCounts(client) {
                print("  \(name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(counts)")
            }
        } catch {
            printError("kiln store status: \(error)")
            throw ExitCode(3)
        }
    }
}
