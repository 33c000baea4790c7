import Logging
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log lines go: a file descriptor written in batches. swift-log's
/// StreamLogHandler makes one unbuffered write per line, which cost a
/// quarter of /ipxe's throughput with a line per request. Here lines are
/// appended to a buffer that is written when it holds 64 KiB, at least every
/// 100 ms (by `runFlusher`), at once for a warning or worse (so problems are
/// never delayed and stay in order), and at shutdown.
public final class LogSink: Sendable {
    private struct State {
        var buffer: [UInt8] = []
        var second = 0
        var stamp = ""
    }

    private let descriptor: FileDescriptor
    private let state = Mutex(State())
    static let flushThreshold = 64 * 1024

    public init(descriptor: Int32 = STDERR_FILENO) {
        self.descriptor = FileDescriptor(rawValue: descriptor)
    }

    func append(level: Logger.Level, _ line: (_ timestamp: String) -> String) {
        let pending: [UInt8]? = state.withLock { state in
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            if now.tv_sec != state.second {
                state.second = now.tv_sec
                state.stamp = Self.format(now.tv_sec)
            }
            state.buffer.append(contentsOf: line(state.stamp).utf8)
            guard level >= .warning || state.buffer.count >= Self.flushThreshold else { return nil }
            defer { state.buffer.removeAll(keepingCapacity: true) }
            return state.buffer
        }
        if let pending { write(pending) }
    }

    public func flush() {
        let pending = state.withLock { state -> [UInt8] in
            defer { state.buffer.removeAll(keepingCapacity: true) }
            return state.buffer
        }
        if !pending.isEmpty { write(pending) }
    }

    /// Flushes every `interval` until cancelled, then once more.
    public func runFlusher(interval: Duration = .milliseconds(100)) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                break
            }
            flush()
        }
        flush()
    }

    private func write(_ bytes: [UInt8]) {
        // Nowhere is left to report a failing log stream.
        _ = try? descriptor.writeAll(bytes)
    }

    /// The timestamp StreamLogHandler prints, e.g. `2026-11-21T22:55:44+0000`.
    private static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
