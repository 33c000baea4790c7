import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the client's address, so each request
/// log line says which machine asked (the boot script and asset requests
/// carry no labels; the address ties them to the machine's DHCP lease).
public struct KilnRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The connection, for sending files with `sendfile(2)`.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}
