import Foundation
import KilnCore
import KilnEtcd
import Logging
import Prometheus
import ServiceLifecycle

/// Asks etcd a trivial question every two seconds, so `/healthz` and
/// `/metrics` say whether the store answers even while nothing is being
/// written: boots go on either way, but an operator must know.
public final class EtcdStoreMonitor: Service, Sendable {
    let client: EtcdClient
    let health: HealthProblems
    let logger: Logger
    let buffered: @Sendable () -> Int
    private let up: Gauge
    static let interval = Duration.seconds(2)

    public init(client: EtcdClient, health: HealthProblems, logger: Logger, registry: PrometheusCollectorRegistry,
                buffered: @escaping @Sendable () -> Int = { 0 }) {
        self.client = client
        self.health = health
        self.logger = logger
        self.buffered = buffered
        up = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "kiln", subsystem: "store", metricName: "up", unitName: "",
                                                                 helpText: "1 while the etcd store answers, 0 while it does not"))
        up.set(Int64(1))
    }

    public func run() async throws {
        let key = Array((client.address.prefix + "/").utf8)
        var wasUp = true
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await client.range(key, rangeEnd: key.prefixRangeEnd, countOnly: true)
                if !wasUp {
                    logger.notice("store: etcd \(client.address) answers again")
                    wasUp = true
                }
                up.set(Int64(1))
                health.set("store", nil)
            } catch {
                if wasUp { logger.error("store: etcd \(client.address) does not answer: \(error); boots go on with the catalog in memory") }
                wasUp = false
                up.set(Int64(0))
                health.set("store", "etcd \(client.address) does not answer (\(error)); boots go on with the last catalog, API writes answer 503, \(buffered()) events buffered")
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
            } catch {
                break
            }
        }
    }
}
