import DequeModule
import Synchronization

/// Butane translations by their exact rendered text. Machines that share a
/// group's rendered config (a template that uses only group metadata) and
/// repeated fetches skip the YAML parse and translation; a machine whose
/// text differs always gets a fresh translation. Bounded in entries and
/// bytes; a new data load starts a new cache.
final class TranslationCache: Sendable {
    private struct State {
        var entries: [String: [UInt8]] = [:]
        var order: Deque<String> = []
        var bytes = 0
    }

    private let state = Mutex(State())
    let maximumEntries: Int
    let maximumBytes: Int

    init(maximumEntries: Int = 1024, maximumBytes: Int = 32 * 1024 * 1024) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    func lookup(_ text: String) -> [UInt8]? {
        state.withLock { $0.entries[text] }
    }

    func store(_ text: String, _ json: [UInt8]) {
        let cost = text.utf8.count + json.count
        guard cost <= maximumBytes / 16 else { return }
        state.withLock { state in
            guard state.entries[text] == nil else { return }
            // First in, first out: cheap, and enough for a bounded memo.
            while !state.order.isEmpty && (state.order.count >= maximumEntries || state.bytes + cost > maximumBytes) {
                let evicted = state.order.removeFirst()
                if let old = state.entries.removeValue(forKey: evicted) { state.bytes -= evicted.utf8.count + old.count }
            }
            state.entries[text] = json
            state.order.append(text)
            state.bytes += cost
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
