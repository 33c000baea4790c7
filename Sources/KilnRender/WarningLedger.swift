import KilnIgnition
import Synchronization

/// Which Butane warnings have been handed out since the data loaded, so
/// each is logged once rather than once per machine. Bounded: past the
/// limit new warnings are still given, just not remembered.
final class WarningLedger: Sendable {
    private let seen = Mutex(Set<String>())
    let limit: Int

    init(limit: Int = 1024) {
        self.limit = limit
    }

    /// The warnings not given before, each as "file (as rendered): where: what".
    func firstSightings(_ warnings: [ButaneDiagnostic], file: String) -> [String] {
        guard !warnings.isEmpty else { return [] }
        let lines = warnings.map { "\(file) (as rendered for this machine): \($0)" }
        return seen.withLock { seen in
            lines.filter { line in
                if seen.contains(line) { return false }
                if seen.count < limit { seen.insert(line) }
                return true
            }
        }
    }
}
