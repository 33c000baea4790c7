/// The lookup structure built once per load. Groups are bucketed by the set
/// of label keys their selector names; within a bucket a hash table maps the
/// selector values to the group. A lookup probes each bucket whose keys the
/// request carries, most keys first, so its cost grows with the number of
/// distinct selector shapes (a handful in practice), never with the number
/// of groups.
struct MatchIndex: Sendable {
    struct Bucket: Sendable {
        /// Sorted selector keys shared by every group in the bucket.
        let keys: [String]
        /// Selector values, in `keys` order → the winning group (lowest id
        /// among groups with identical selectors).
        var table: [[String]: Int]
    }

    /// Sorted by key count, most specific first; then by keys, for a stable order.
    let buckets: [Bucket]
    /// Group positions (into the catalog's id-sorted groups) without
    /// selectors, lowest id first.
    let defaults: [Int]

    init(groups: [Group]) {
        var byShape: [[String]: [[String]: [Int]]] = [:]
        var defaults: [Int] = []
        for (position, group) in groups.enumerated() {
            if group.selector.isEmpty {
                defaults.append(position)
                continue
            }
            let keys = group.selector.keys.sorted()
            let values = keys.map { group.selector[$0]! }
            byShape[keys, default: [:]][values, default: []].append(position)
        }
        var buckets: [Bucket] = []
        for (keys, entries) in byShape {
            var table: [[String]: Int] = [:]
            table.reserveCapacity(entries.count)
            for (values, positions) in entries {
                // `groups` is sorted by id, so the smallest position is the lowest id.
                table[values] = positions.min()!
            }
            buckets.append(Bucket(keys: keys, table: table))
        }
        buckets.sort { a, b in
            if a.keys.count != b.keys.count { return a.keys.count > b.keys.count }
            return a.keys.lexicographicallyPrecedes(b.keys)
        }
        self.buckets = buckets
        self.defaults = defaults
    }

    /// The position of the winning group: most selectors, then lowest id.
    func lookup(_ labels: Labels) -> Int? {
        var best: Int?
        var bestCount = 0
        var values: [String] = []
        for bucket in buckets {
            if let best, bucket.keys.count < bestCount { return best }
            values.removeAll(keepingCapacity: true)
            var complete = true
            for key in bucket.keys {
                guard let value = labels[key] else {
                    complete = false
                    break
                }
                values.append(value)
            }
            guard complete, let hit = bucket.table[values] else { continue }
            if best == nil || hit < best! {
                best = hit
                bestCount = bucket.keys.count
            }
        }
        return best ?? defaults.first
    }
}
