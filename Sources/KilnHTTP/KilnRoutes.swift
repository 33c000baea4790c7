import Hummingbird
import Logging
import KilnCore
import KilnISO
import KilnRender

/// The route table: every endpoint Kiln serves, by family, through one
/// request pipeline. To add an endpoint, add a `Route` to its family's
/// `routes()` (or a new family here).
public struct KilnRoutes: Sendable {
    let pipeline: RequestPipeline
    let operations: [Route]
    let assets: AssetEndpoints
    let images: ImageEndpoints

    /// - Parameter publicURL: Kiln's URL as machines reach it, for
    ///   `/netboot.iso`; nil takes each request's Host.
    ///   - subscriber: told of every request's record (the inventory).
    public init(store: SnapshotStore<CompiledCatalog>, assetsPath: String, metrics: KilnMetrics, logger: Logger,
                publicURL: String? = nil, netbootSources: NetbootSources? = nil, subscriber: (@Sendable (RequestRecord) -> Void)? = nil,
                limits: HTTPLimits = HTTPLimits()) {
        pipeline = RequestPipeline(store: store, log: RequestLog(logger: logger, metrics: metrics, subscriber: subscriber), limits: limits)
        operations = OperationsEndpoints.routes(store: store, metrics: metrics)
        assets = AssetEndpoints(root: assetsPath)
        images = ImageEndpoints(publicURL: publicURL, netbootSources: netbootSources ?? NetbootSources.standard(assetsPath: assetsPath),
                                assetsRoot: assets.root)
    }

    /// In the order the 404 answer lists them.
    var routes: [Route] {
        MatchboxEndpoints.routes() + images.routes() + assets.routes() + operations
    }

    /// The routes answered on the event loop, ahead of the router.
    func immediateRoutes() -> ImmediateRoutes {
        ImmediateRoutes(pipeline: pipeline, routes: routes)
    }

    public func makeRouter() -> Router<KilnRequestContext> {
        let router = Router(context: KilnRequestContext.self)
        pipeline.register(routes, on: router)
        return router
    }
}
