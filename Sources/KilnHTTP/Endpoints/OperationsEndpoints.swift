import KilnCore
import KilnRender

/// What operators and monitoring ask: is it up, is data loaded, metrics.
enum OperationsEndpoints {
    static func routes(store: SnapshotStore<CompiledCatalog>, metrics: KilnMetrics) -> [Route] {
        [
            .plain("/", "root", listed: false) { _ in .text("kiln\n") },
            .plain("/metrics", "metrics") { _ in
                .bytes(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
            .plain("/healthz", "healthz") { _ in
                guard store.current != nil else { return .failure(.serviceUnavailable, "data directory not loaded yet") }
                // Degraded still answers 200: boots are being served, and a
                // load balancer that dropped every replica while a shared
                // store is down would stop them.
                let problems = metrics.health.current
                return problems.isEmpty ? .text("ok\n") : .text("degraded: " + problems.joined(separator: "; ") + "\n")
            },
        ]
    }
}
