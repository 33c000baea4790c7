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
                store.current == nil ? .failure(.serviceUnavailable, "data directory not loaded yet") : .text("ok\n")
            },
        ]
    }
}
