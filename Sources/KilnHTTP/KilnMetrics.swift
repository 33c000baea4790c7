import KilnCore
import Prometheus
import Synchronization

/// Kiln's Prometheus metrics. One registry per server (not the global
/// swift-metrics bootstrap) so tests can run several servers in a process.
public struct KilnMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Reported by `/healthz`: Kiln serves, but something it uses is down.
    public let health = HealthProblems()
    private let reloads: Counter
    private let reloadFailures: Counter
    private let groups: Gauge
    private let profiles: Gauge
    /// Counters by label values: the registry validates names and label
    /// strings on every lookup, too slow for the request path.
    private let requestCounters = CounterCache()
    private let openConnections: Gauge
    private let refusedConnections: Counter
    private let timedOutConnections: Counter
    private let matchCounters = CounterCache()

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        reloads = registry.makeCounter(descriptor: Self.name("catalog", "reloads", unit: "total", "Successful loads of the data directory"))
        reloadFailures = registry.makeCounter(descriptor: Self.name("catalog", "reload_failures", unit: "total", "Loads of the data directory that failed; the last good catalog kept serving"))
        groups = registry.makeGauge(descriptor: Self.name("catalog", "groups", unit: "", "Groups in the catalog being served"))
        profiles = registry.makeGauge(descriptor: Self.name("catalog", "profiles", unit: "", "Profiles in the catalog being served"))
        openConnections = registry.makeGauge(descriptor: Self.name("http", "connections_open", unit: "", "HTTP connections open on the boot listener"))
        refusedConnections = registry.makeCounter(descriptor: Self.name("http", "connections_refused", unit: "total", "HTTP connections closed on arrival: the connection limit was reached"))
        timedOutConnections = registry.makeCounter(descriptor: Self.name("http", "connections_timed_out", unit: "total", "HTTP connections closed because no request head arrived in time (header or idle timeout)"))
    }

    func connectionOpened() { openConnections.increment() }
    func connectionClosed() { openConnections.decrement() }
    func connectionRefused() { refusedConnections.increment() }
    func connectionTimedOut() { timedOutConnections.increment() }

    func request(endpoint: String, status: Int) {
        requestCounters.counter(for: [endpoint, String(status)]) {
            registry.makeCounter(descriptor: Self.requests, labels: [("endpoint", endpoint), ("status", String(status))])
        }.increment()
    }

    func matched(group: String) {
        matchCounters.counter(for: [group]) {
            registry.makeCounter(descriptor: Self.matches, labels: [("group", group)])
        }.increment()
    }

    public func reloaded(groups groupCount: Int, profiles profileCount: Int) {
        reloads.increment()
        groups.set(Double(groupCount))
        profiles.set(Double(profileCount))
    }

    public func reloadFailed() {
        reloadFailures.increment()
    }

    private static func name(_ subsystem: String, _ metric: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "kiln", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    // Computed: the descriptor type is not Sendable, so it cannot be a static let.
    private static var requests: MetricNameDescriptor { name("http", "requests", unit: "total", "HTTP requests by endpoint and status code") }
    private static var matches: MetricNameDescriptor { name("match", "groups", unit: "total", "Requests matched to each group") }

    func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}

private final class CounterCache: Sendable {
    private let counters = Mutex<[[String]: Counter]>([:])

    func counter(for key: [String], make: () -> Counter) -> Counter {
        if let counter = counters.withLock({ $0[key] }) { return counter }
        let counter = make()
        counters.withLock { $0[key] = counter }
        return counter
    }
}
