/// Two groups with the same number of selectors that one machine could
/// match at once. Kiln resolves such ties by group id, but an operator almost
/// always meant something else, so load and `kiln validate` report them.
public struct Ambiguity: Sendable, Equatable, CustomStringConvertible {
    public var winner: Group
    public var loser: Group

    public var description: String {
        let shape = winner.isDefault ? "both are defaults (no selectors)" : "both have \(winner.selector.count) selector\(winner.selector.count == 1 ? "" : "s")"
        return "groups \"\(winner.id)\" (\(winner.selectorDescription)) and \"\(loser.id)\" (\(loser.selectorDescription)) can match the same machine and \(shape); \"\(winner.id)\" wins by id"
    }

    /// Finds ambiguous pairs among id-sorted groups, up to `limit` of them,
    /// and how many there are in all. Pairs are found per pair of selector
    /// shapes of the same size by hashing on their shared keys, so the cost
    /// stays near linear in the number of groups.
    static func find(in groups: [Group], limit: Int = 100) -> (pairs: [Ambiguity], total: Int) {
        var pairs: [Ambiguity] = []
        var total = 0
        func record(_ a: Int, _ b: Int) {
            total += 1
            if pairs.count < limit {
                let (winner, loser) = a < b ? (a, b) : (b, a)
                pairs.append(Ambiguity(winner: groups[winner], loser: groups[loser]))
            }
        }
        var shapes: [[String]: [Int]] = [:]
        for (position, group) in groups.enumerated() {
            shapes[group.selector.keys.sorted(), default: []].append(position)
        }
        let ordered = shapes.keys.sorted { a, b in
            a.count != b.count ? a.count < b.count : a.lexicographicallyPrecedes(b)
        }
        for (i, shapeA) in ordered.enumerated() {
            for shapeB in ordered[i...] where shapeB.count == shapeA.count {
                let shared = shapeA.filter { shapeB.contains($0) }
                var byShared: [[String]: [Int]] = [:]
                for position in shapes[shapeA]! {
                    byShared[shared.map { groups[position].selector[$0]! }, default: []].append(position)
                }
                if shapeA == shapeB {
                    // Identical shapes conflict only with identical values.
                    for (_, positions) in byShared where positions.count > 1 {
                        for x in 0..<positions.count {
                            for y in (x + 1)..<positions.count { record(positions[x], positions[y]) }
                        }
                    }
                } else {
                    for position in shapes[shapeB]! {
                        let key = shared.map { groups[position].selector[$0]! }
                        for other in byShared[key] ?? [] { record(other, position) }
                    }
                }
            }
        }
        pairs.sort { ($0.winner.id, $0.loser.id) < ($1.winner.id, $1.loser.id) }
        return (pairs, total)
    }
}
