import Foundation

/// Runs a real program (curl, tftp, atftp, sha256sum...) without blocking a
/// Swift concurrency thread, which the server under test may need.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum ProcessRunner {
    public static func find(_ name: String) -> String? {
        for directory in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"] {
            let path = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// `timeout` bounds every run: the process is killed after it.
    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(120)) async throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let input = Pipe()
        process.standardInput = input
        // Drain the pipes while the process runs so it never blocks on a
        // full pipe; the reads block, so they stay off the cooperative pool.
        let outReader = output.fileHandleForReading
        let errReader = errors.fileHandleForReading
        let outData = Task { await offCooperativePool { outReader.readDataToEndOfFile() } }
        let errData = Task { await offCooperativePool { errReader.readDataToEndOfFile() } }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try? input.fileHandleForWriting.close()
            let pid = process.processIdentifier
            Task.detached {
                try? await Task.sleep(for: timeout)
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
        return ProcessResult(
            status: process.terminationStatus,
            stdout: String(decoding: await outData.value, as: UTF8.self),
            stderr: String(decoding: await errData.value, as: UTF8.self))
    }

    public static func sha256(_ path: String) async throws -> String {
        let result = try await run(find("sha256sum") ?? "/usr/bin/sha256sum", [path])
        return String(result.stdout.prefix(64))
    }
}

/// A fresh temporary directory.
public func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The repository's root, from this file's place in it.
public let repositoryRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// `../shared/fixtures` beside the repository, when it is there; tests that
/// read it skip with `missingMessage` when it is not.
public enum SharedFixtures {
    public static let path: String? = {
        let fixtures = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/fixtures").path
        return FileManager.default.fileExists(atPath: fixtures) ? fixtures : nil
    }()
    public static let missingMessage = "../shared/fixtures is absent: fixture tests skipped"
}

/// Runs blocking work (a socket read, a pipe read) on a thread of its own.
/// Not on Swift's cooperative pool, which has one thread per core and which
/// the servers under test need; and not on `DispatchQueue.global()` either,
/// because on Linux that pool's threads are the cooperative pool's too.
public func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 256 * 1024
        thread.start()
    }
}

/// Runs `body` with a started resource (a test server) and always stops it,
/// whether `body` returns or throws.
public func runThenStop<Resource>(_ resource: Resource, stop: (Resource) async -> Void, _ body: (Resource) async throws -> Void) async throws {
    do {
        try await body(resource)
    } catch {
        await stop(resource)
        throw error
    }
    await stop(resource)
}
