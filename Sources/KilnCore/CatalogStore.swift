import Synchronization

/// Holds the catalog being served. A reload builds a whole new catalog off
/// to the side and swaps it in with one pointer store, so each request reads
/// one consistent snapshot.
public final class CatalogStore: Sendable {
    private let state: Mutex<Catalog?>

    public init(_ catalog: Catalog? = nil) {
        state = Mutex(catalog)
    }

    /// nil until the first successful load.
    public var current: Catalog? {
        state.withLock { $0 }
    }

    public func replace(with catalog: Catalog) {
        state.withLock { $0 = catalog }
    }
}
