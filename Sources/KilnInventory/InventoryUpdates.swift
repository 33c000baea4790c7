import Synchronization

/// Tells live views which machines a written batch changed. Each watcher
/// has a small buffer that keeps the newest sets: a slow browser misses
/// intermediate batches, never the boot path's time, and never the latest
/// state (it reads the machines afresh).
public final class InventoryUpdates: Sendable {
    private struct Watchers {
        var next = 0
        var continuations: [Int: AsyncStream<Set<String>>.Continuation] = [:]
    }

    private let watchers = Mutex(Watchers())

    public init() {}

    /// A stream of MAC sets, one per written batch, until the caller stops iterating.
    public func watch() -> AsyncStream<Set<String>> {
        let (stream, continuation) = AsyncStream.makeStream(of: Set<String>.self, bufferingPolicy: .bufferingNewest(8))
        let id = watchers.withLock { watchers in
            defer { watchers.next += 1 }
            watchers.continuations[watchers.next] = continuation
            return watchers.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.watchers.withLock { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    public var watcherCount: Int { watchers.withLock { $0.continuations.count } }

    func publish(_ macs: Set<String>) {
        guard !macs.isEmpty else { return }
        let continuations = watchers.withLock { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield(macs) }
    }
}
