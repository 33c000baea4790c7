import Foundation
import KilnTFTP
import KilnTestSupport
import Logging
import Prometheus
import Testing

/// A TFTP server in this process on a kernel-chosen loopback port, serving
/// a temporary root.
final class TFTPTestServer: Sendable {
    let root: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    private let task: Task<Void, any Error>

    static func start(limits: TFTPLimits = TFTPLimits(defaultTimeout: .milliseconds(200)), singlePort: Bool = false, prepare: (String) async throws -> Void = { _ in }) async throws -> TFTPTestServer {
        let root = try makeTemporaryDirectory("kiln-tftp")
        try await prepare(root)
        let registry = PrometheusCollectorRegistry()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = TFTPServer(
            configuration: .init(host: "127.0.0.1", port: 0, root: root, limits: limits, singlePort: singlePort),
            logger: Logger(label: "tftp-test", factory: { _ in SwiftLogNoOpLogHandler() }), registry: registry,
            onBound: { port in
                continuation.yield(port)
                continuation.finish()
            })
        let task = Task { try await server.run() }
        var port = 0
        for await bound in ports { port = bound }
        return TFTPTestServer(root: root, port: port, registry: registry, task: task)
    }

    private init(root: String, port: Int, registry: PrometheusCollectorRegistry, task: Task<Void, any Error>) {
        self.root = root
        self.port = port
        self.registry = registry
        self.task = task
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: root)
    }

    func metric(_ name: String) -> Int? {
        for line in registry.emitToString().split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(Double(line.split(separator: " ")[1]) ?? -1)
        }
        return nil
    }
}

func withTFTPServer(
    limits: TFTPLimits = TFTPLimits(defaultTimeout: .milliseconds(200), maxTransfersPerClient: 64), singlePort: Bool = false,
    prepare: (String) async throws -> Void = { _ in }, _ body: (TFTPTestServer) async throws -> Void
) async throws {
    try await runThenStop(try await TFTPTestServer.start(limits: limits, singlePort: singlePort, prepare: prepare), stop: { await $0.stop() }, body)
}

/// Writes `size` random bytes to `path`: seeded for small files, from
/// /dev/urandom through `head` for large ones (a debug build generates
/// them too slowly, on a thread the servers need).
func writeRandomFile(_ path: String, size: Int, seed: UInt64) async throws {
    if size > 1 << 20 {
        let result = try await ProcessRunner.run("/bin/sh", ["-c", "head -c \(size) /dev/urandom > '\(path)'"])
        guard result.status == 0 else { throw TestSetupError(description: result.stderr) }
        return
    }
    try writeSeededFile(path, size: size, seed: seed)
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
}

func writeSeededFile(_ path: String, size: Int, seed: UInt64) throws {
    var generator = SplitMix64(seed: seed)
    var bytes = [UInt8](repeating: 0, count: size)
    var index = 0
    while index < size {
        var word = generator.next()
        for _ in 0..<8 where index < size {
            bytes[index] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            index += 1
        }
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// A plain UDP socket on loopback, for packets no real client would send.
/// Reads block, so they run off the cooperative pool.
final class UDPTestSocket: @unchecked Sendable {
    private let descriptor: Int32
    private let receiveTimeout: Duration

    init(receiveTimeout: Duration = .seconds(2)) {
        self.receiveTimeout = receiveTimeout
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        setReceiveTimeout(receiveTimeout)
    }

    private func setReceiveTimeout(_ duration: Duration) {
        let (seconds, attoseconds) = max(duration, .milliseconds(1)).components
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
    }

    func send(_ bytes: [UInt8], toPort port: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// The next datagram and the port it came from, or nil on timeout.
    func receive() async -> (bytes: [UInt8], port: Int)? {
        await offCooperativePool { self.receiveBlocking() }
    }

    private func receiveBlocking() -> (bytes: [UInt8], port: Int)? {
        var buffer = [UInt8](repeating: 0, count: 70000)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, raw.baseAddress, raw.count, 0, $0, &length) }
            }
        }
        guard count >= 0 else { return nil }
        return (Array(buffer[..<count]), Int(UInt16(bigEndian: address.sin_port)))
    }

    /// The next DATA packet with `block`, skipping retransmissions of
    /// earlier blocks (a busy machine can delay an ACK past the timeout).
    func receiveData(block: UInt16) async -> TFTPPacket? {
        for _ in 0..<8 {
            guard let packet = await receivePacket()?.packet else { return nil }
            if case .data(let got, _) = packet, got < block { continue }
            return packet
        }
        return nil
    }

    struct Deadline {
        let end: ContinuousClock.Instant
        init(_ duration: Duration) { end = .now + duration }
        var passed: Bool { ContinuousClock.now >= end }
    }

    /// The next packet before `deadline`, or nil.
    func receivePacket(within deadline: Deadline) async -> (packet: TFTPPacket?, port: Int)? {
        let remaining = deadline.end - .now
        guard remaining > .zero else { return nil }
        setReceiveTimeout(remaining)
        defer { setReceiveTimeout(receiveTimeout) }
        return await receivePacket()
    }

    func receivePacket() async -> (packet: TFTPPacket?, port: Int)? {
        guard let (bytes, port) = await receive() else { return nil }
        return (try? TFTPPacket(decoding: bytes), port)
    }
}

/// The UDP relay of scripts/udp-relay.py, started for one test.
final class LossyRelay: @unchecked Sendable {
    private(set) var port = 0
    private let process = Process()

    static func start(targetPort: Int, loss: Double, delayMilliseconds: Double = 0, seed: Int = 7) async throws -> LossyRelay {
        let relay = LossyRelay()
        try await relay.launch(targetPort: targetPort, loss: loss, delayMilliseconds: delayMilliseconds, seed: seed)
        return relay
    }

    private func launch(targetPort: Int, loss: Double, delayMilliseconds: Double, seed: Int) async throws {
        process.executableURL = URL(fileURLWithPath: ProcessRunner.find("python3") ?? "/usr/bin/python3")
        process.arguments = [
            repositoryRoot + "/scripts/udp-relay.py", "--target", "127.0.0.1:\(targetPort)", "--loss", "\(loss)",
            "--delay-ms", "\(delayMilliseconds)", "--seed", "\(seed)", "--max-seconds", "120",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let reader = output.fileHandleForReading
        let line = await offCooperativePool {
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = reader.availableData
                guard !chunk.isEmpty else { break }
                line.append(chunk)
            }
            return line
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Bounded: Foundation's waitUntilExit can hang here, so poll.
    func stop() {
        process.terminate()
        for _ in 0..<50 where process.isRunning { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
