import ArgumentParser
import Foundation
import KilnCore
import KilnRender
import Logging

/// Options each command shares. Every option also reads a `KILN_*`
/// environment variable, for systemd units and containers; a flag wins.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data directory in matchbox's layout (env KILN_DATA_PATH).", valueName: "dir"))
    var dataPath: String?

    var resolvedDataPath: String {
        dataPath ?? ProcessInfo.processInfo.environment["KILN_DATA_PATH"] ?? "/var/lib/kiln"
    }
}

enum Environment {
    /// The flag if given, else the variable if set, else the default. An
    /// empty variable counts as unset unless `emptyMeansDefault` is false
    /// (KILN_TFTP_ADDRESS= turns TFTP off).
    static func value(_ flag: String?, _ variable: String, default fallback: String, emptyMeansDefault: Bool = true) -> String {
        if let flag { return flag }
        if let value = ProcessInfo.processInfo.environment[variable], !(value.isEmpty && emptyMeansDefault) { return value }
        return fallback
    }
}

/// `host:port`, `[v6]:port` or `:port` (all addresses).
struct ListenAddress: Equatable {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        self.host = host
        self.port = port
    }

    /// The host as it goes in a URL: an IPv6 address in brackets.
    var hostForURL: String { host.contains(":") ? "[\(host)]" : host }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Labels given on the command line as `key=value` words.
func parseLabels(_ words: [String]) throws -> Labels {
    var values: [String: String] = [:]
    for word in words {
        guard let eq = word.firstIndex(of: "="), eq != word.startIndex else {
            throw ValidationError("label \"\(word)\" is not key=value (for example mac=52:54:00:12:34:56)")
        }
        values[String(word[..<eq])] = String(word[word.index(after: eq)...])
    }
    do {
        let query = words.joined(separator: "&")
        return try Labels(values, rawQuery: query)
    } catch {
        throw ValidationError(error.description)
    }
}

/// Writes to standard error, where diagnostics belong.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension DataOptions {
    /// The data directory read and compiled as `kiln serve` does.
    func load() -> LoadedCatalog {
        LoadedCatalog.load(dataPath: resolvedDataPath)
    }
}

/// The renderer and the matched group for a machine, as the server would
/// have them; exits 2 when the data or its templates do not load, 1 when
/// no group matches.
func matchMachineOrExit(_ data: DataOptions, _ labels: Labels) throws -> (Renderer, Match) {
    let loaded = try loadOrExit(data)
    guard let compiled = loaded.compiled else {
        for diagnostic in loaded.diagnostics.errors { printError(diagnostic.description) }
        throw ExitCode(2)
    }
    switch compiled.catalog.match(labels) {
    case .success(let match):
        return (Renderer(compiled), match)
    case .failure(let failure):
        printError("kiln: \(failure)")
        throw ExitCode(1)
    }
}

/// Loads the data directory or exits 2 with its errors on standard error
/// when its files do not parse (templates are the caller's concern).
func loadOrExit(_ data: DataOptions) throws -> LoadedCatalog {
    let loaded = data.load()
    guard loaded.catalog != nil else {
        for diagnostic in loaded.diagnostics.errors { printError(diagnostic.description) }
        printError("kiln: the data directory does not load; run kiln validate for details")
        throw ExitCode(2)
    }
    return loaded
}

/// Prints an answer's failure and exits: 1 when the profile lacks what was
/// asked for, 3 when a template fails to render.
func answerExitCode(_ failure: AnswerFailure) -> ExitCode {
    printError("kiln: \(failure)")
    switch failure {
    case .unavailable: return ExitCode(1)
    case .renderFailed: return ExitCode(3)
    }
}
