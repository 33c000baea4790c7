import Logging
import Synchronization

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

    private let descriptor: Int32
    private let state = Mutex(State())
    static let flushThreshold = 64 * 1024

    public init(descriptor: Int32 = STDERR_FILENO) {
        self.descriptor = descriptor
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
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // nowhere left to report a failing log stream
                }
                offset += written
            }
        }
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

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// StreamLogHandler's line format over a `LogSink`.
public struct BufferedLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: LogSink

    public init(label: String, sink: LogSink, logLevel: Logger.Level = .info) {
        self.label = label
        self.sink = sink
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // One pass into one string: this runs once per request at info.
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty || metadataProvider != nil {
            merged = metadata
            if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
            if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        }
        if let error = event.error { merged["error"] = "\(error)" }
        var rendered = ""
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            rendered += " "
            rendered += key
            rendered += "="
            rendered += value.description
        }
        let label = self.label
        sink.append(level: event.level) { timestamp in
            var line = timestamp
            line.reserveCapacity(timestamp.utf8.count + rendered.utf8.count + 96)
            line += " "
            line += event.level.rawValue
            line += " "
            line += label
            line += ":"
            line += rendered
            line += " ["
            line += event.source
            line += "] "
            line += event.message.description
            line += "\n"
            return line
        }
    }
}
