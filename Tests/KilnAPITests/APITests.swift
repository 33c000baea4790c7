import Foundation
import KilnAPI
import KilnCore
import KilnInventory
import Testing

@Suite struct AuthenticationTests {
    @Test func theAPIRefusesCallersWithoutACredential() async throws {
        try await withAPI { api in
            let none = try await api.api("GET", "/api/v1/groups", token: nil)
            #expect(none.status == 401)
            #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            #expect(none.json?["error"] is String)
            let wrong = try await api.api("GET", "/api/v1/groups", token: "kiln_not-a-token")
            #expect(wrong.status == 401)
            // The description is open so clients and schemathesis can read it.
            let document = try await api.api("GET", "/api/v1/openapi.json", token: nil)
            #expect(document.status == 200 && document.json?["openapi"] as? String == "3.1.0")
            // Boot endpoints stay open: firmware cannot authenticate.
            #expect(try await api.boot("/ipxe?mac=52:54:00:00:00:01").status == 200)
        }
    }

    @Test func aMethodAPathDoesNotAnswerIs405WithAllow() async throws {
        try await withAPI { api in
            let post = try await api.api("POST", "/api/v1/groups/default", body: "{}")
            #expect(post.status == 405)
            #expect(post.headers["allow"] == "GET, HEAD, PUT, DELETE")
            #expect(try await api.api("DELETE", "/api/v1/machines").status == 405)
            #expect(try await api.api("GET", "/api/v1/nothing-here").status == 404)
        }
    }

    @Test func aReadTokenReadsButCannotWrite() async throws {
        try await withAPI { api in
            #expect(try await api.api("GET", "/api/v1/groups", token: api.readToken).status == 200)
            let put = try await api.api("PUT", "/api/v1/groups/g1", token: api.readToken, body: #"{"profile": "worker"}"#)
            #expect(put.status == 403)
            #expect(api.file("groups/g1.json") == nil)
            let delete = try await api.api("DELETE", "/api/v1/groups/default", token: api.readToken)
            #expect(delete.status == 403)
            #expect(api.file("groups/default.json") != nil)
        }
    }

    @Test func tokenFilesHoldHashesAndRefuseMistakes() throws {
        let folder = NSTemporaryDirectory() + "kiln-tokens-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/tokens"
        let token = try APITokenFile.add(name: "ci", scope: .write, path: path)
        #expect(token.hasPrefix("kiln_") && token.count == 5 + 43)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains(token))
        #expect(text.contains("ci write sha256:" + APITokenFile.hash(token)))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: APITokenFile.Failure.self) { try APITokenFile.add(name: "ci", scope: .read, path: path) }
        #expect(throws: APITokenFile.Failure.self) { try APITokenFile.add(name: "bad name", scope: .read, path: path) }
        let table = APITokenTable(try APITokenFile.load(path: path))
        #expect(table.credential(for: token) == APICredential(name: "ci", scope: .write))
        #expect(table.credential(for: token + "x") == nil)
        for broken in ["ci write", "ci admin sha256:" + String(repeating: "0", count: 64), "ci read md5:abc",
                       "a read sha256:\(String(repeating: "0", count: 64))\na write sha256:\(String(repeating: "1", count: 64))"] {
            #expect(throws: APITokenFile.Failure.self) { try APITokenFile.parse(broken) }
        }
    }
}

@Suite struct CatalogWriteTests {
    @Test func aWrittenGroupIsServingWhenTheAnswerArrives() async throws {
        try await withAPI { api in
            let body = #"{"id": "node9", "profile": "storage", "selector": {"mac": "52:54:00:00:00:09"}}"#
            let put = try await api.api("PUT", "/api/v1/groups/node9", body: body)
            #expect(put.status == 201)
            let etag = try #require(put.headers["etag"])
            #expect(put.json?["etag"] as? String == etag)
            // Read your own write: no poll interval between the answer and the boot script.
            let script = try await api.boot("/ipxe?mac=52:54:00:00:00:09")
            #expect(script.text.contains("storage-vmlinuz"))
            #expect(api.file("groups/node9.json") == body)
            let get = try await api.api("GET", "/api/v1/groups/node9")
            #expect(get.status == 200 && get.text == body && get.headers["etag"] == etag)
            let list = try await api.api("GET", "/api/v1/groups")
            let names = (list.json?["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["default", "node9"])
            let replaced = try await api.api("PUT", "/api/v1/groups/node9", body: body.replacingOccurrences(of: "storage", with: "worker"),
                                            headers: ["If-Match": etag])
            #expect(replaced.status == 200)
            #expect(try await api.boot("/ipxe?mac=52:54:00:00:00:09").text.contains("/assets/vmlinuz"))
            #expect(try await api.api("DELETE", "/api/v1/groups/node9").status == 204)
            #expect(api.file("groups/node9.json") == nil)
            #expect(try await api.api("DELETE", "/api/v1/groups/node9").status == 404)
        }
    }

    @Test func writesThatWouldBreakTheCatalogAreRefusedWithTheirPosition() async throws {
        try await withAPI { api in
            let broken = try await api.api("PUT", "/api/v1/groups/g1", body: "{\n  \"profile\": \"worker\",\n  \"selector\": {\"mac\": }\n}")
            #expect(broken.status == 422)
            let reasons = try #require(broken.json?["reasons"] as? [String])
            #expect(reasons.contains { $0.hasPrefix("groups/g1.json:3:") })
            #expect(api.file("groups/g1.json") == nil)
            let unknown = try await api.api("PUT", "/api/v1/groups/g1", body: #"{"profile": "nope"}"#)
            #expect(unknown.status == 422)
            #expect((unknown.json?["reasons"] as? [String])?.first?.contains("nope") == true)
            // A profile a group still names cannot go.
            #expect(try await api.api("DELETE", "/api/v1/profiles/worker").status == 422)
            #expect(api.file("profiles/worker.json") != nil)
            // A template that does not parse, named by a profile.
            let template = try await api.api("PUT", "/api/v1/templates/generic/bad.tmpl", body: "{{ .unclosed ")
            #expect(template.status == 201)  // not yet named by any profile
            let profile = try await api.api("PUT", "/api/v1/profiles/uses-bad", body: #"{"id": "uses-bad", "generic_id": "bad.tmpl"}"#)
            #expect(profile.status == 422)
            #expect(api.file("profiles/uses-bad.json") == nil)
            let mismatch = try await api.api("PUT", "/api/v1/groups/g2", body: #"{"id": "other", "profile": "worker"}"#)
            #expect(mismatch.status == 400)
        }
    }

    @Test func aWriteThatMakesTwoGroupsEquallySpecificIsRefused() async throws {
        try await withAPI { api in
            let first = try await api.api("PUT", "/api/v1/groups/a", body: #"{"profile": "worker", "selector": {"uuid": "u1"}}"#)
            #expect(first.status == 201)
            let second = try await api.api("PUT", "/api/v1/groups/b", body: #"{"profile": "storage", "selector": {"uuid": "u1"}}"#)
            #expect(second.status == 422)
            #expect(api.file("groups/b.json") == nil)
        }
    }

    @Test func namesThatCouldLeaveTheirFolderAreRefused() async throws {
        try await withAPI { api in
            // A bare `..` is folded away by URLSession before it is sent; the
            // peer checks send it as written with curl --path-as-is.
            let names = ["%2e%2e", ".hidden", "%2e%2e%2fsecret", "a%00b", "%00", "..%5c..%5csecret", "a%5cb", "%252e%252e",
                         "a%20b", "%2fetc%2fpasswd", String(repeating: "x", count: 201)]
            for name in names {
                for path in ["/api/v1/groups/\(name)", "/api/v1/profiles/\(name)", "/api/v1/templates/ignition/\(name)"] {
                    let reply = try await api.api("PUT", path, body: #"{"profile": "worker"}"#)
                    #expect(reply.status == 400, "\(path) answered \(reply.status)")
                    #expect(try await api.api("GET", path).status == 400)
                }
            }
            let outside = try FileManager.default.contentsOfDirectory(atPath: api.root)
            #expect(Set(outside) == ["data", "state", "tokens"])
        }
    }

    @Test func anOversizedBodyIsRefusedWith413() async throws {
        try await withAPI { api in
            let big = Data(repeating: UInt8(ascii: " "), count: APIRoutes.maxJSONBody + 1)
            let json = try await api.api("PUT", "/api/v1/groups/big", bytes: big)
            #expect(json.status == 413)
            let template = Data(repeating: UInt8(ascii: "a"), count: APIRoutes.maxTemplateBody + 1)
            let file = try await api.api("PUT", "/api/v1/templates/generic/big", bytes: template)
            #expect(file.status == 413)
            #expect(api.file("groups/big.json") == nil && api.file("generic/big") == nil)
        }
    }

    /// Fifty writers hold the same ETag: exactly one may replace that
    /// version; the others hear 412 and nothing is lost silently.
    @Test func concurrentWritersWithIfMatchNeverLoseAnUpdate() async throws {
        try await withAPI { api in
            let created = try await api.api("PUT", "/api/v1/groups/shared", body: #"{"profile": "worker", "selector": {"mac": "52:54:00:00:00:51"}, "metadata": {"writer": -1}}"#)
            let etag = try #require(created.headers["etag"])
            let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for writer in 0..<50 {
                    group.addTask {
                        let reply = try await api.api("PUT", "/api/v1/groups/shared", body: #"{"profile": "worker", "selector": {"mac": "52:54:00:00:00:51"}, "metadata": {"writer": \#(writer)}}"#,
                                                      headers: ["If-Match": etag])
                        return (writer, reply.status)
                    }
                }
                var all: [(Int, Int)] = []
                for try await result in group { all.append(result) }
                return all
            }
            let winners = statuses.filter { $0.1 == 200 }
            #expect(winners.count == 1)
            #expect(statuses.filter { $0.1 == 412 }.count == 49)
            let winner = try #require(winners.first?.0)
            #expect(api.file("groups/shared.json")?.contains("\"writer\": \(winner)}") == true)
        }
    }

    @Test func aWriteRacingAnEditOnDiskIsRefused() async throws {
        try await withAPI { api in
            let created = try await api.api("PUT", "/api/v1/groups/edited", body: #"{"profile": "worker", "selector": {"os": "installed"}}"#)
            let etag = try #require(created.headers["etag"])
            // An operator edits the file by hand between the client's read and its write.
            let edit = #"{"profile": "storage", "selector": {"os": "installed"}}"#
            try edit.write(toFile: api.dataPath + "/groups/edited.json", atomically: true, encoding: .utf8)
            let stale = try await api.api("PUT", "/api/v1/groups/edited", body: #"{"profile": "worker", "selector": {"os": "installed"}, "name": "mine"}"#,
                                          headers: ["If-Match": etag])
            #expect(stale.status == 412)
            #expect(api.file("groups/edited.json") == edit)
            let createOnly = try await api.api("PUT", "/api/v1/groups/edited", body: edit, headers: ["If-None-Match": "*"])
            #expect(createOnly.status == 412)
        }
    }
}

@Suite struct MachineEndpointTests {
    @Test func assigningADiscoveredMachineGivesItAProfile() async throws {
        try await withAPI { api in
            try FileManager.default.removeItem(atPath: api.dataPath + "/groups/default.json")
            // The reload follows the poll; under a loaded test run it can take seconds.
            var status = 0
            for _ in 0..<50 {
                status = try await api.boot("/ipxe?mac=52:54:00:00:00:42").status
                if status == 404 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(status == 404)
            let assigned = try await api.api("POST", "/api/v1/machines/52-54-00-00-00-42/assign", body: #"{"profile": "storage", "metadata": {"role": "osd"}}"#)
            #expect(assigned.status == 201)
            #expect(assigned.json?["name"] as? String == "machine-525400000042")
            #expect(try await api.boot("/ipxe?mac=52:54:00:00:00:42").text.contains("storage-vmlinuz"))
            #expect(try await api.boot("/metadata?mac=52:54:00:00:00:42").text.contains("ROLE=osd"))
            let unknown = try await api.api("POST", "/api/v1/machines/52:54:00:00:00:43/assign", body: #"{"profile": "missing"}"#)
            #expect(unknown.status == 422)
            #expect(try await api.api("POST", "/api/v1/machines/not-a-mac/assign", body: #"{"profile": "storage"}"#).status == 400)
            #expect(try await api.api("POST", "/api/v1/machines/52:54:00:00:00:43/assign", body: #"{"profile": "storage", "extra": 1}"#).status == 400)
        }
    }

    @Test func machinesAndTheirEventsAreListedFilteredAndPaged() async throws {
        try await withAPI { api in
            let inventory = try #require(api.inventory)
            let now = Date()
            var entries: [InventoryEntry] = []
            for index in 0..<5 {
                let mac = String(format: "52:54:00:00:01:%02x", index)
                let event = BootEvent(time: now, kind: .http, mac: mac, client: "10.0.0.\(index)", endpoint: "ipxe", target: "/ipxe", status: 200,
                                      labels: ["mac": mac], group: "default", profile: "worker")
                entries.append(InventoryEntry(event: event, mac: mac, reached: index < 2 ? .ipxe : .discovered, startsBoot: false))
            }
            try inventory.apply(entries)
            let all = try await api.api("GET", "/api/v1/machines?limit=2")
            #expect(all.status == 200)
            #expect((all.json?["machines"] as? [[String: Any]])?.count == 2)
            #expect(all.json?["next_offset"] as? Int == 2)
            let last = try await api.api("GET", "/api/v1/machines?limit=2&offset=4")
            #expect(last.json?["next_offset"] is NSNull)
            let ipxe = try await api.api("GET", "/api/v1/machines?stage=ipxe", token: api.readToken)
            #expect((ipxe.json?["machines"] as? [[String: Any]])?.compactMap { $0["mac"] as? String } == ["52:54:00:00:01:00", "52:54:00:00:01:01"])
            #expect(try await api.api("GET", "/api/v1/machines?stage=booted").status == 400)
            #expect(try await api.api("GET", "/api/v1/machines?since=yesterday").status == 400)
            #expect(try await api.api("GET", "/api/v1/machines?limit=0").status == 400)
            let future = try await api.api("GET", "/api/v1/machines?since=2999-01-01T00:00:00Z")
            #expect((future.json?["machines"] as? [Any])?.isEmpty == true)
            let one = try await api.api("GET", "/api/v1/machines/52:54:00:00:01:00")
            #expect(one.json?["stage"] as? String == "ipxe" && one.json?["group"] as? String == "default")
            let events = try await api.api("GET", "/api/v1/machines/52:54:00:00:01:00/events")
            let list = try #require(events.json?["events"] as? [[String: Any]])
            #expect(list.count == 1 && list.first?["endpoint"] as? String == "ipxe")
            #expect(try await api.api("GET", "/api/v1/machines/52:54:00:00:09:09").status == 404)
        }
    }

    @Test func aDamagedInventoryAnswers503UntilItIsReplacedAndBootsGoOn() async throws {
        try await withAPI { api in
            let inventory = try #require(api.inventory)
            try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: inventory.path))
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: inventory.path + suffix) }
            let damaged = try await api.api("GET", "/api/v1/machines")
            #expect([200, 503].contains(damaged.status))
            if damaged.status == 503 { #expect((damaged.json?["error"] as? String)?.contains("inventory") == true) }
            #expect(try await api.boot("/ipxe?mac=52:54:00:00:00:01").status == 200)
            #expect(inventory.recoverIfNeeded() != nil)
            #expect(try await api.api("GET", "/api/v1/machines").status == 200)
        }
    }

    @Test func withTheInventoryOffMachinesAnswer503() async throws {
        try await withAPI(inventory: false) { api in
            let reply = try await api.api("GET", "/api/v1/machines")
            #expect(reply.status == 503)
            #expect((reply.json?["error"] as? String)?.contains("inventory") == true)
        }
    }
}

@Suite struct CatalogRecordTests {
    @Test func namesAreOnePathComponentOfSafeCharacters() throws {
        for good in ["node1", "worker.yaml", "a_b-c:d@e+f", "machine-525400aabbcc"] {
            #expect(throws: Never.self) { try CatalogRecord(kind: .group, name: good) }
        }
        for bad in ["", ".", "..", ".hidden", "a/b", "a\\b", "a\u{0}b", "%2e", "é", "a b", String(repeating: "a", count: 201)] {
            #expect(throws: CatalogRecord.NameRefusal.self) { try CatalogRecord(kind: .group, name: bad) }
        }
        #expect(try CatalogRecord(kind: .group, name: "n").path == "groups/n.json")
        #expect(try CatalogRecord(kind: .template(.ignition), name: "n.yaml").path == "ignition/n.yaml")
    }
}
