import KilnCore
import NIOCore

/// What one HTTP request was and what it got: built once per request by the
/// pipeline, then logged, counted, and (next) stored in the inventory. A
/// plain value so every consumer sees the same facts.
public struct RequestRecord: Sendable {
    /// The route's name (`ipxe`, `assets`, `unknown`), as metrics label it.
    public var endpoint: String
    public var method: String
    public var path: String
    /// nil for endpoints that take no labels, or when they did not parse.
    public var labels: Labels?
    /// The query as sent, kept when it could not be parsed into labels.
    public var rawQuery: String?
    public var group: String?
    public var profile: String?
    public var status: Int = 0
    /// The body's length when known before it is sent; nil for streams of
    /// unknown length.
    public var bytes: Int?
    public var duration: Duration = .zero
    public var client: SocketAddress?
    /// For refusals: the one-line reason the client was also given.
    public var reason: String?
    /// Butane's warnings about the config served (first sightings only).
    public var warnings: [String] = []
}
