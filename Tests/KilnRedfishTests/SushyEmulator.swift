import Foundation
import KilnTestSupport
import Testing

/// sushy-tools' Redfish emulator with its fake driver (the BMC emulator
/// OpenStack Ironic tests with; power changes land 1–11 s after the request,
/// like real hardware), on a loopback port, stopped when the test is done.
/// Tests skip with a message when it is not installed (make test installs it).
final class SushyEmulator: @unchecked Sendable {
    let process = Process()
    let port: Int
    let folder: String
    var url: String { "http://127.0.0.1:\(port)" }

    static var binary: String? {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/sushy-emulator" }
            + ["/usr/local/bin/sushy-emulator", "/root/.pyenv/shims/sushy-emulator"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Started and answering, or nil when sushy-emulator is not installed.
    static func start() async throws -> SushyEmulator? {
        guard let binary else {
            print("skipped: sushy-emulator is not installed (python3 -m pip install sushy-tools; make test installs it)")
            return nil
        }
        let emulator = try SushyEmulator(binary: binary)
        for _ in 0..<150 {
            if emulator.answers() { return emulator }
            try await Task.sleep(for: .milliseconds(100))
        }
        emulator.stop()
        Issue.record("sushy-emulator did not answer within 15 s")
        return nil
    }

    private init(binary: String) throws {
        folder = NSTemporaryDirectory() + "kiln-sushy-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        port = freeLoopbackPort()
        let configuration = "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'\n"
        try configuration.write(toFile: folder + "/sushy.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--fake", "-i", "127.0.0.1", "-p", String(port), "--config", folder + "/sushy.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    private func answers() -> Bool {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    func stop() {
        // The emulator's web server ignores SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
