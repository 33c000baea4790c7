import Synchronization

/// How many transfers run at once, overall and per client address: a
/// flood of read requests, or one client asking again and again, cannot
/// take every worker and socket. A stalled transfer holds its place only
/// until its retries run out (`TFTPLimits.maxRetries`).
final class TransferAdmission: Sendable {
    private struct Counts {
        var total = 0
        var byClient: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())
    let maxTransfers: Int
    let maxPerClient: Int

    init(maxTransfers: Int, maxPerClient: Int) {
        self.maxTransfers = maxTransfers
        self.maxPerClient = maxPerClient
    }

    /// Takes a place for `client`, or says why there is none.
    func admit(_ client: String) -> String? {
        counts.withLock { counts in
            if counts.total >= maxTransfers { return "server busy: \(counts.total) transfers in progress (limit \(maxTransfers))" }
            let mine = counts.byClient[client, default: 0]
            if mine >= maxPerClient { return "too many transfers from \(client): \(mine) in progress (limit \(maxPerClient))" }
            counts.total += 1
            counts.byClient[client] = mine + 1
            return nil
        }
    }

    func release(_ client: String) {
        counts.withLock { counts in
            counts.total = max(0, counts.total - 1)
            let left = counts.byClient[client, default: 1] - 1
            counts.byClient[client] = left > 0 ? left : nil
        }
    }

    var inProgress: Int { counts.withLock { $0.total } }
}
