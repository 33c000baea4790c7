import KilnTestSupport
import Testing
@testable import KilnCore

private func labels(_ pairs: [String: String]) -> Labels { try! Labels(pairs) }

@Suite struct MatcherTests {
    let catalog = Catalog(
        groups: [
            Group(id: "default", profile: "p-default"),
            Group(id: "by-mac", profile: "p-mac", selector: ["mac": "52:54:00:12:34:56"]),
            Group(id: "by-mac-os", profile: "p-mac-os", selector: ["mac": "52:54:00:12:34:56", "os": "installed"]),
            Group(id: "rack-b", profile: "p-rack", selector: ["rack": "b"]),
            Group(id: "rack-a", profile: "p-rack", selector: ["rack": "b"]),
            Group(id: "zone", profile: "p-zone", selector: ["zone": "z1"]),
            Group(id: "dangling", profile: "missing", selector: ["uuid": "dangling"]),
        ],
        profiles: ["p-default", "p-mac", "p-mac-os", "p-rack", "p-zone"].map { Profile(id: $0) })

    @Test func mostSelectorsWin() {
        #expect(catalog.selectGroup(labels(["mac": "52:54:00:12:34:56", "os": "installed"]))?.id == "by-mac-os")
        #expect(catalog.selectGroup(labels(["mac": "52:54:00:12:34:56"]))?.id == "by-mac")
    }

    @Test func labelsTheGroupDoesNotNameDoNotMatter() {
        #expect(catalog.selectGroup(labels(["mac": "52:54:00:12:34:56", "uuid": "u", "hostname": "h"]))?.id == "by-mac")
    }

    @Test func defaultCatchesTheRest() {
        #expect(catalog.selectGroup(labels(["mac": "52:54:00:99:99:99"]))?.id == "default")
        #expect(catalog.selectGroup(labels([:]))?.id == "default")
    }

    @Test func macFormsAllMatch() {
        for form in ["52-54-00-12-34-56", "525400123456", "52:54:00:12:34:56".uppercased()] {
            #expect(catalog.selectGroup(labels(["mac": form]))?.id == "by-mac")
        }
    }

    @Test func tiesGoToTheLowestID() {
        #expect(catalog.selectGroup(labels(["rack": "b", "zone": "z1"]))?.id == "rack-a")
        #expect(catalog.selectGroup(labels(["rack": "b"]))?.id == "rack-a")
    }

    @Test func noDefaultMeansNoMatch() {
        let strict = Catalog(groups: [Group(id: "one", profile: "p", selector: ["mac": "52:54:00:12:34:56"])], profiles: [Profile(id: "p")])
        let result = strict.match(labels(["mac": "52:54:00:00:00:01", "uuid": "u1"]))
        #expect(result == .failure(.noGroup(labels(["mac": "52:54:00:00:00:01", "uuid": "u1"]))))
        if case .failure(let failure) = result {
            #expect(failure.description == "no group matches mac=52:54:00:00:00:01 uuid=u1")
        }
    }

    @Test func missingProfileIsNamed() {
        guard case .failure(let failure) = catalog.match(labels(["uuid": "dangling"])) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.description == "group \"dangling\" names profile \"missing\", which does not exist")
    }

    @Test func ambiguitiesAreFound() {
        let pairs = catalog.ambiguities.map { "\($0.winner.id)/\($0.loser.id)" }
        // rack-a and rack-b are identical; rack and zone can both match one
        // machine; by-mac and zone and dangling likewise (one selector each).
        #expect(pairs.contains("rack-a/rack-b"))
        #expect(pairs.contains("rack-a/zone"))
        #expect(pairs.contains("by-mac/zone"))
        #expect(!pairs.contains { $0.contains("by-mac-os") })
        #expect(pairs.contains("by-mac/dangling"))
    }

    @Test func twoDefaultsAreAmbiguous() {
        let twoDefaults = Catalog(groups: [Group(id: "b", profile: "p"), Group(id: "a", profile: "p")], profiles: [Profile(id: "p")])
        #expect(twoDefaults.ambiguities.map(\.winner.id) == ["a"])
        #expect(twoDefaults.selectGroup(labels([:]))?.id == "a")
    }

    @Test func explanationSaysWhyOthersLost() {
        let explanation = MatchExplanation(catalog: catalog, labels: labels(["mac": "52:54:00:12:34:56", "rack": "b"]))
        let verdicts = Dictionary(uniqueKeysWithValues: explanation.entries.map { ($0.group.id, $0.verdict) })
        #expect(explanation.chosen?.id == "by-mac")
        #expect(verdicts["by-mac"] == .chosen)
        #expect(verdicts["by-mac-os"] == .mismatch(key: "os", wanted: "installed", actual: nil))
        #expect(verdicts["rack-a"] == .tieLostByID)
        #expect(verdicts["default"] == .lessSpecific(selectors: 0, winnerSelectors: 1))
        #expect(verdicts["zone"]?.description == "needs zone=z1, machine has no zone label")
    }

    /// The index must agree with the definition: scan every group, keep the
    /// matching ones with the most selectors, lowest id.
    @Test func indexAgreesWithBruteForce() {
        var generator = SplitMix64(seed: 42)
        let keys = ["arch", "uuid", "os", "rack", "zone"]
        let values = ["a", "b", "c"]
        for round in 0..<50 {
            var groups: [Group] = []
            for i in 0..<Int(generator.next() % 40) {
                var selector: [String: String] = [:]
                for key in keys where generator.next() % 3 == 0 {
                    selector[key] = values[Int(generator.next() % 3)]
                }
                groups.append(Group(id: "g\(round)-\(i)-\(generator.next() % 1000)", profile: "p", selector: selector))
            }
            let catalog = Catalog(groups: groups, profiles: [Profile(id: "p")])
            for _ in 0..<100 {
                var query: [String: String] = [:]
                for key in keys where generator.next() % 2 == 0 {
                    query[key] = values[Int(generator.next() % 3)]
                }
                let machine = labels(query)
                let expected = catalog.groups
                    .filter { $0.matches(machine) }
                    .min { a, b in a.selector.count != b.selector.count ? a.selector.count > b.selector.count : a.id < b.id }
                #expect(catalog.selectGroup(machine)?.id == expected?.id, "round \(round) labels \(machine.description)")
            }
        }
    }
}

