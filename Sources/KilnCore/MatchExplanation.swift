/// Why each group won or lost for a set of labels: what `kiln match` prints.
/// It scans every group, so it is for people, not for the request path.
public struct MatchExplanation: Sendable {
    public enum Verdict: Sendable, Equatable {
        case chosen
        /// The group's selector needs a label the machine does not have or
        /// has with another value.
        case mismatch(key: String, wanted: String, actual: String?)
        /// Matched, but another matching group has more selectors.
        case lessSpecific(selectors: Int, winnerSelectors: Int)
        /// Matched with as many selectors as the winner; the lower id wins.
        case tieLostByID
    }

    public struct Entry: Sendable {
        public var group: Group
        public var verdict: Verdict
    }

    public var labels: Labels
    public var chosen: Group?
    public var entries: [Entry]

    public init(catalog: Catalog, labels: Labels) {
        self.labels = labels
        let chosen = catalog.selectGroup(labels)
        self.chosen = chosen
        entries = catalog.groups.map { group in
            if group.id == chosen?.id { return Entry(group: group, verdict: .chosen) }
            for key in group.selector.keys.sorted() where labels[key] != group.selector[key] {
                return Entry(group: group, verdict: .mismatch(key: key, wanted: group.selector[key]!, actual: labels[key]))
            }
            let winnerCount = chosen?.selector.count ?? 0
            if group.selector.count < winnerCount {
                return Entry(group: group, verdict: .lessSpecific(selectors: group.selector.count, winnerSelectors: winnerCount))
            }
            return Entry(group: group, verdict: .tieLostByID)
        }
    }
}

extension MatchExplanation.Verdict: CustomStringConvertible {
    public var description: String {
        switch self {
        case .chosen:
            return "chosen"
        case .mismatch(let key, let wanted, let actual?):
            return "needs \(key)=\(wanted), machine has \(key)=\(actual)"
        case .mismatch(let key, let wanted, nil):
            return "needs \(key)=\(wanted), machine has no \(key) label"
        case .lessSpecific(let selectors, let winnerSelectors):
            return "matches, but has \(selectors) selector\(selectors == 1 ? "" : "s") and the chosen group has \(winnerSelectors)"
        case .tieLostByID:
            return "matches with as many selectors as the chosen group; the lower group id wins the tie"
        }
    }
}
