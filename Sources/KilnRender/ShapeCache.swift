import KilnIgnition
import DequeModule
import Synchronization

/// Butane templates translated once per shape (see IgnitionShape): most
/// templates give every machine the same shape, so after the first
/// machine a request only fills in its values. Shapes that cannot be
/// filled soundly are remembered too, and a template whose shapes keep
/// being refused stops being shaped, so it costs one translation per
/// request as before rather than two. Bounded; a new data load starts a
/// new cache.
final class ShapeCache: Sendable {
    private struct State {
        var shapes: [Key: IgnitionShape?] = [:]
        var order: Deque<Key> = []
        var refusedByFile: [String: Int] = [:]
        var compiledByFile: [String: Int] = [:]
    }

    /// A template and the choices its rendering made (branches taken,
    /// range lengths): together they decide the shape text, and are far
    /// cheaper to produce and hash than the text itself.
    struct Key: Hashable {
        let file: String
        let trace: [Int]
    }

    private let state = Mutex(State())
    let maximumEntries: Int
    /// Refusals after which a template with no usable shape is no longer shaped.
    let refusalLimit: Int

    init(maximumEntries: Int = 128, refusalLimit: Int = 16) {
        self.maximumEntries = maximumEntries
        self.refusalLimit = refusalLimit
    }

    func isWorthShaping(_ file: String) -> Bool {
        state.withLock { state in
            (state.refusedByFile[file] ?? 0) < refusalLimit || (state.compiledByFile[file] ?? 0) > 0
        }
    }

    /// The shape for `key`, compiling it with `compile` the first time.
    func shape(_ key: Key, compile: () -> IgnitionShape?) -> IgnitionShape? {
        if let known = state.withLock({ $0.shapes[key] }) { return known }
        let compiled = compile()
        let file = key.file
        state.withLock { state in
            guard state.shapes[key] == nil else { return }
            if compiled == nil {
                state.refusedByFile[file, default: 0] += 1
            } else {
                state.compiledByFile[file, default: 0] += 1
            }
            if state.order.count >= maximumEntries {
                state.shapes.removeValue(forKey: state.order.removeFirst())
            }
            state.shapes[key] = .some(compiled)
            state.order.append(key)
        }
        return compiled
    }

    var count: Int { state.withLock { $0.shapes.count } }
}
