import Logging

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
