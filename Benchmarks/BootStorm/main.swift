// BootStorm: N machines booting at once against a boot server, each with
// its own MAC, the way PXE firmware and iPXE fetch: TFTP undionly.kpxe,
// /boot.ipxe, /ipxe?mac=…, the kernel and initrds that script names, and
// /ignition?mac=…. One thread per machine with blocking sockets and a
// 256 KiB receive buffer that bodies are discarded into, so the generator
// costs a recv per chunk and little else (its own CPU time is printed).
// Prints one JSON object: total time, per-stage p50/p99, failures, bytes.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

struct Options {
    var httpHost = "127.0.0.1"
    var httpPort = 8080
    var tftpHost = "127.0.0.1"
    var tftpPort = 0
    var machines = 100
    var macBase = 0x5254_0000_0000
    var tftpFile = "undionly.kpxe"
    var timeout = 120.0

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var index = 0
        func next() -> String? {
            index += 1
            return index < arguments.count ? arguments[index] : nil
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--http":
                guard let value = next(), let (host, port) = Self.hostPort(value) else { return nil }
                (options.httpHost, options.httpPort) = (host, port)
            case "--tftp":
                guard let value = next(), let (host, port) = Self.hostPort(value) else { return nil }
                (options.tftpHost, options.tftpPort) = (host, port)
            case "--machines":
                guard let value = next().flatMap(Int.init), (1...20000).contains(value) else { return nil }
                options.machines = value
            case "--mac-base":
                guard let value = next().flatMap({ Int($0.replacingOccurrences(of: ":", with: ""), radix: 16) }) else { return nil }
                options.macBase = value
            case "--tftp-file":
                guard let value = next() else { return nil }
                options.tftpFile = value
            case "--timeout":
                guard let value = next().flatMap(Double.init), value > 0 else { return nil }
                options.timeout = value
            default:
                return nil
            }
            index += 1
        }
        return options
    }

    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        return (String(text[..<colon]), port)
    }
}

enum Stage: String, CaseIterable {
    case tftp, bootIPXE = "boot.ipxe", ipxe, kernel, initrd, ignition
}

struct MachineResult {
    var durations: [Stage: Double] = [:]
    var bytes = 0
    var failure: String?
    var finished = 0.0
}

struct StormFailure: Error {
    var reason: String
}

/// Wall-clock seconds since an arbitrary start.
func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func address(_ host: String, _ port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr(host)
    return address
}

/// Each machine has its own loopback address (127.1.x.y), as machines on a
/// boot network have their own: per-client limits and logs see N clients.
func bindSource(_ descriptor: Int32, machine: Int) {
    var source = address("127.1.\((machine + 1) >> 8 & 255).\((machine + 1) & 255)", 0)
    _ = withUnsafePointer(to: &source) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

func setTimeout(_ descriptor: Int32, _ seconds: Double) {
    var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
}

/// A TFTP read with blksize 1468, the way iPXE's PXE ROM asks; returns the bytes received.
func tftpGet(_ options: Options, machine: Int, _ buffer: UnsafeMutableRawBufferPointer) throws(StormFailure) -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard descriptor >= 0 else { throw StormFailure(reason: "tftp: no socket") }
    defer { close(descriptor) }
    bindSource(descriptor, machine: machine)
    setTimeout(descriptor, 5)
    var server = address(options.tftpHost, options.tftpPort)
    var request: [UInt8] = [0, 1] + Array(options.tftpFile.utf8) + [0] + Array("octet".utf8) + [0] + Array("blksize".utf8) + [0] + Array("1468".utf8) + [0]
    func sendTo(_ bytes: [UInt8], _ target: inout sockaddr_in) {
        _ = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
    sendTo(request, &server)
    var peer = sockaddr_in()
    var received = 0
    var expected: UInt16 = 1
    var retries = 0
    while true {
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = withUnsafeMutablePointer(to: &peer) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, buffer.baseAddress, buffer.count, 0, $0, &length) }
        }
        if count < 0 {
            retries += 1
            guard retries <= 3 else { throw StormFailure(reason: "tftp: timed out after \(received) bytes") }
            if expected == 1 { sendTo(request, &server) }
            continue
        }
        guard count >= 4 else { throw StormFailure(reason: "tftp: short packet") }
        let bytes = buffer.bindMemory(to: UInt8.self)
        let opcode = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let block = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        switch opcode {
        case 6:  // OACK: acknowledge block 0
            request = [0, 4, 0, 0]
            sendTo(request, &peer)
        case 3:
            if block == expected {
                received += count - 4
                expected &+= 1
            }
            sendTo([0, 4, UInt8(block >> 8), UInt8(block & 0xFF)], &peer)
            if block == expected &- 1, count - 4 < 1468 { return received }
        case 5:
            throw StormFailure(reason: "tftp: error \(block)")
        default:
            throw StormFailure(reason: "tftp: opcode \(opcode)")
        }
    }
}

/// One kept-alive HTTP/1.1 connection with a blocking socket.
final class HTTPConnection {
    let descriptor: Int32
    var pending: [UInt8] = []

    init(_ options: Options, machine: Int) throws(StormFailure) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw StormFailure(reason: "http: no socket") }
        bindSource(descriptor, machine: machine)
        setTimeout(descriptor, options.timeout)
        var target = address(options.httpHost, options.httpPort)
        let connected = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw StormFailure(reason: "http: connect failed (errno \(errno))")
        }
    }

    deinit { close(descriptor) }

    /// GET `path`; the body is kept when `keep` (scripts), else counted and dropped.
    func get(_ path: String, keep: Bool, _ buffer: UnsafeMutableRawBufferPointer) throws(StormFailure) -> (status: Int, bytes: Int, body: [UInt8]) {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: boot\r\nUser-Agent: BootStorm\r\n\r\n".utf8)
        guard send(descriptor, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { throw StormFailure(reason: "http: send failed") }
        // Headers.
        var head: [UInt8] = pending
        pending = []
        var end: Int?
        while end == nil {
            if let found = Self.headEnd(head) { end = found; break }
            let count = recv(descriptor, buffer.baseAddress, min(buffer.count, 65536), 0)
            guard count > 0 else { throw StormFailure(reason: "http: \(path): connection closed in headers") }
            head += UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        }
        let headerText = String(decoding: head[0..<end!], as: UTF8.self)
        let lines = headerText.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2, let status = Int(statusLine.split(separator: " ")[1]) else {
            throw StormFailure(reason: "http: \(path): bad status line")
        }
        var contentLength: Int?
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" { contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) }
            if parts.count == 2, parts[0].lowercased() == "transfer-encoding", parts[1].lowercased().contains("chunked") {
                throw StormFailure(reason: "http: \(path): chunked answers are not read by BootStorm")
            }
        }
        guard let length = contentLength else { throw StormFailure(reason: "http: \(path): no Content-Length") }
        var body: [UInt8] = []
        var got = head.count - (end! + 4)
        if keep { body = Array(head[(end! + 4)...].prefix(length)) }
        if got > length {
            pending = Array(head[(end! + 4 + length)...])
            got = length
        }
        while got < length {
            let count = recv(descriptor, buffer.baseAddress, min(buffer.count, length - got), 0)
            guard count > 0 else { throw StormFailure(reason: "http: \(path): closed after \(got) of \(length) bytes") }
            if keep { body += UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }
            got += count
        }
        return (status, length, body)
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}

func macText(_ value: Int) -> String {
    (0..<6).reversed().map { String(format: "%02x", (value >> ($0 * 8)) & 0xFF) }.joined(separator: "-")
}

/// One machine's boot, stage by stage.
func boot(_ options: Options, machine: Int, start: Double) -> MachineResult {
    var result = MachineResult()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    defer { buffer.deallocate() }
    let mac = macText(options.macBase + machine)
    func timed<T>(_ stage: Stage, _ work: () throws(StormFailure) -> T) throws(StormFailure) -> T {
        let begun = now()
        let value = try work()
        result.durations[stage] = now() - begun
        return value
    }
    do throws(StormFailure) {
        if options.tftpPort > 0 {
            result.bytes += try timed(.tftp) { () throws(StormFailure) in try tftpGet(options, machine: machine, buffer) }
        }
        let connection = try HTTPConnection(options, machine: machine)
        func fetch(_ stage: Stage, _ path: String, keep: Bool = false) throws(StormFailure) -> [UInt8] {
            let answer = try timed(stage) { () throws(StormFailure) in try connection.get(path, keep: keep, buffer) }
            guard answer.status == 200 else { throw StormFailure(reason: "\(stage.rawValue): \(path): status \(answer.status)") }
            result.bytes += answer.bytes
            return answer.body
        }
        _ = try fetch(.bootIPXE, "/boot.ipxe")
        let script = String(decoding: try fetch(.ipxe, "/ipxe?mac=\(mac)", keep: true), as: UTF8.self)
        var kernel: String?
        var initrds: [String] = []
        for line in script.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.first == "kernel", words.count > 1 { kernel = String(words[1]) }
            if words.first == "initrd", words.count > 1 { initrds.append(String(words[1])) }
        }
        guard let kernel else { throw StormFailure(reason: "ipxe: no kernel line") }
        _ = try fetch(.kernel, kernel)
        let initrdStart = now()
        for initrd in initrds { _ = try fetch(.initrd, initrd) }
        result.durations[.initrd] = now() - initrdStart
        _ = try fetch(.ignition, "/ignition?mac=\(mac)")
    } catch {
        result.failure = "\(mac): \(error.reason)"
    }
    result.finished = now() - start
    return result
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data("""
        usage: BootStorm --http HOST:PORT [--tftp HOST:PORT] [--machines N] [--mac-base 52:54:00:00:00:00] [--tftp-file NAME] [--timeout SECONDS]
        Boots N machines at once (one thread each): TFTP (when --tftp is given), /boot.ipxe, /ipxe?mac=, the kernel and
        initrds the script names, /ignition?mac=. Prints one JSON object with total seconds, per-stage p50/p99 in ms,
        failures, bytes and the generator's own CPU seconds.

        """.utf8))
    exit(64)
}

var limit = rlimit()
getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
limit.rlim_cur = limit.rlim_max
setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)

let results = Mutex<[MachineResult]>([])
let cpuBefore = cpuSeconds()
let start = now()
let group = DispatchGroup()
for machine in 0..<options.machines {
    group.enter()
    let thread = Thread {
        let result = boot(options, machine: machine, start: start)
        results.withLock { $0.append(result) }
        group.leave()
    }
    thread.stackSize = 256 * 1024
    thread.start()
}
let waited = group.wait(timeout: .now() + options.timeout * 4)
let total = now() - start
let finished = results.withLock { $0 }
var stages: [String: [String: Double]] = [:]
for stage in Stage.allCases {
    let values = finished.compactMap { $0.durations[stage] }
    guard !values.isEmpty else { continue }
    stages[stage.rawValue] = ["p50_ms": percentile(values, 0.5) * 1000, "p99_ms": percentile(values, 0.99) * 1000]
}
let failures = finished.compactMap(\.failure) + (waited == .timedOut ? ["\(options.machines - finished.count) machines still booting at the deadline"] : [])
let summary: [String: Any] = [
    "machines": options.machines,
    "total_seconds": total,
    "last_config_seconds": finished.filter { $0.failure == nil }.map(\.finished).max() ?? 0,
    "failures": failures.count,
    "failure_examples": Array(failures.prefix(5)),
    "bytes": finished.reduce(0) { $0 + $1.bytes },
    "generator_cpu_seconds": cpuSeconds() - cpuBefore,
    "stages": stages,
]
let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
FileHandle.standardOutput.write(json + Data("\n".utf8))
exit(failures.isEmpty ? 0 : 1)
