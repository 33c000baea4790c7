import Logging

/// The one place a finished request is emitted: a log line, the request
/// metrics, and the subscriber (the inventory).
struct RequestLog: Sendable {
    let logger: Logger
    let metrics: KilnMetrics
    /// Told of every request (the inventory); must not block.
    let subscriber: (@Sendable (RequestRecord) -> Void)?

    func emit(_ record: RequestRecord) {
        subscriber?(record)
        metrics.request(endpoint: record.endpoint, status: record.status)
        if let group = record.group { metrics.matched(group: group) }
        let level: Logger.Level = record.status >= 500 ? .error : (record.reason != nil || !record.warnings.isEmpty ? .warning : .info)
        guard logger.logLevel <= level else { return }
        logger.log(level: level, "\(Self.line(record))")
    }

    /// One line rendered here rather than as metadata: a dictionary of
    /// interpolated values, sorted by the handler, cost 5% of /ipxe's rate.
    /// Scripts look for `client=ADDRESS` at the end of the line.
    static func line(_ record: RequestRecord) -> String {
        var line = record.method
        line += " "
        line += record.path
        line += " status="
        line += String(record.status)
        func field(_ name: String, _ value: String?) {
            guard let value else { return }
            line += " "
            line += name
            line += "="
            line += value
        }
        field("labels", record.labels?.description)
        field("query", record.rawQuery)
        field("group", record.group)
        field("profile", record.profile)
        field("reason", record.reason)
        field("butane_warnings", record.warnings.isEmpty ? nil : record.warnings.joined(separator: "; "))
        field("client", record.client?.ipAddress)
        return line
    }
}
