import Synchronization

/// What keeps Kiln from being whole while it still serves boots (a store
/// it cannot reach), by component, for `/healthz`.
public final class HealthProblems: Sendable {
    private let problems = Mutex<[String: String]>([:])

    public init() {}

    public func set(_ component: String, _ reason: String?) {
        problems.withLock { $0[component] = reason }
    }

    /// `component: reason` lines, sorted; empty when all is well.
    public var current: [String] {
        problems.withLock { $0.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" } }
    }
}
