import Prometheus

/// TFTP counters, in the server's Prometheus registry.
public struct TFTPMetrics: Sendable {
    let started: Counter
    let completed: Counter
    let failed: Counter
    let bytesSent: Counter
    let retransmittedBlocks: Counter

    public init(registry: PrometheusCollectorRegistry) {
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "kiln", subsystem: "tftp", metricName: name, unitName: "total", helpText: help))
        }
        started = counter("transfers_started", "TFTP read transfers started")
        completed = counter("transfers_completed", "TFTP transfers whose last block was acknowledged")
        failed = counter("transfers_failed", "TFTP transfers refused, abandoned or ended by the client")
        bytesSent = counter("bytes_sent", "TFTP data bytes sent, retransmissions included")
        retransmittedBlocks = counter("retransmitted_blocks", "TFTP data blocks sent again after a timeout or a gap")
    }
}
