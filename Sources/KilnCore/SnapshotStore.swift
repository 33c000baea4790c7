import Synchronization

/// Holds the snapshot being served (a catalog, or one compiled from it). A
/// reload builds a whole new snapshot off to the side and swaps it in with
/// one store, so each request reads one consistent version.
public final class SnapshotStore<Snapshot: Sendable>: Sendable {
    private let state: Mutex<Snapshot?>

    public init(_ snapshot: Snapshot? = nil) {
        state = Mutex(snapshot)
    }

    /// nil until the first successful load.
    public var current: Snapshot? {
        state.withLock { $0 }
    }

    public func replace(with snapshot: Snapshot) {
        state.withLock { $0 = snapshot }
    }
}
