import Foundation
import HTTPTypes
import HummingbirdTesting
import KilnAPI
import KilnCore
@testable import KilnDashboard
import KilnInventory
import Testing

@Suite struct DashboardAccessTests {
    @Test func withoutACredentialPagesRedirectToLoginAndFormsAreRefused() async throws {
        try await withDashboard { _, client in
            let overview = try await client.page("/ui/?stage=ipxe")
            #expect(overview.status == .seeOther)
            #expect(overview.header("Location") == "/ui/login?next=/ui/%3Fstage%3Dipxe")
            #expect(try await client.page("/ui/machines/52:54:00:00:00:01").status == .seeOther)
            #expect(try await client.page("/ui/catalog").status == .seeOther)
            #expect(try await client.page("/ui/events").status == .seeOther)
            let post = try await client.page(.post, "/ui/machines/52:54:00:00:00:01/assign", form: ["profile": "worker"])
            #expect(post.status == .unauthorized)
            // The login form and the static files are open, and every answer carries the policy.
            let login = try await client.page("/ui/login")
            #expect(login.status == .ok)
            #expect(login.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
            #expect(login.header("X-Frame-Options") == "DENY")
            #expect(try await client.page("/ui/static/kiln.css").status == .ok)
            #expect(try await client.page("/ui/static/nothing.js").status == .notFound)
            #expect(try await client.page("/").header("Location") == "/ui/")
        }
    }

    @Test func aTokenLogsInToASessionCookieAndLogoutNeedsTheCSRFToken() async throws {
        try await withDashboard { harness, client in
            let form = try await client.page("/ui/login?next=/ui/catalog")
            let csrf = try #require(csrfField(form.text))
            let loginCookie = try #require(cookiePair(form.cookies, "kiln_login"))
            // A login posted without the form's cookie (another site's form) is refused.
            let forged = try await client.page(.post, "/ui/login", form: ["csrf": csrf, "token": harness.writeToken])
            #expect(forged.status == .forbidden)
            let wrong = try await client.page(.post, "/ui/login", cookie: loginCookie, form: ["csrf": csrf, "token": "kiln_wrong"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("not in the tokens file"))
            let good = try await client.page(.post, "/ui/login", cookie: loginCookie,
                                             form: ["csrf": csrf, "token": harness.writeToken, "next": "/ui/catalog"])
            #expect(good.status == .seeOther, "\(good.text.components(separatedBy: "form-errors").last?.prefix(600) ?? "")")
            #expect(good.header("Location") == "/ui/catalog")
            let setCookie = try #require(good.cookies.first { $0.hasPrefix("kiln_session=") })
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Max-Age="))
            #expect(!setCookie.contains("Secure"))  // plain HTTP here; HTTPS adds it
            let session = try #require(cookiePair(good.cookies, "kiln_session"))
            let page = try await client.page("/ui/", cookie: session)
            #expect(page.status == .ok)
            #expect(page.header("Cache-Control") == "no-store")
            let pageCSRF = try #require(csrfField(page.text))
            #expect(try await client.page(.post, "/ui/logout", cookie: session, form: [:]).status == .forbidden)
            let out = try await client.page(.post, "/ui/logout", cookie: session, form: ["csrf": pageCSRF])
            #expect(out.status == .seeOther)
            #expect(try await client.page("/ui/", cookie: session).status == .seeOther)
        }
    }

    @Test func loginRedirectsOnlyWithinTheDashboard() {
        #expect(Dashboard.safeNext("/ui/machines/52:54:00:00:00:01") == "/ui/machines/52:54:00:00:00:01")
        for hostile in ["https://evil.example/", "//evil.example/ui/", "/ui//evil.example", "/\\evil.example", "/api/v1/groups", "/ui/\r\nSet-Cookie: x=y", nil] {
            #expect(Dashboard.safeNext(hostile) == "/ui/")
        }
    }

    @Test func aBearerTokenOpensPagesAndRevokingATokenEndsItsSessions() async throws {
        try await withDashboard { harness, client in
            #expect(try await client.page("/ui/", token: harness.readToken).status == .ok)
            #expect(try await client.page("/ui/", token: "kiln_wrong").status == .unauthorized)
            let dashboard = try await loggedIn(client, token: harness.readToken)
            #expect(try await client.page("/ui/", cookie: dashboard).status == .ok)
            // The tokens file loses "viewer" (as a SIGHUP re-read would).
            let file = try APITokenFile.load(path: harness.root + "/tokens")
            harness.tokens.replace(with: APITokenFile(entries: file.entries.filter { $0.name != "viewer" }))
            #expect(try await client.page("/ui/", cookie: dashboard).status == .seeOther)
        }
    }

    @Test func sessionsExpireAndAreBounded() {
        let sessions = DashboardSessions(lifetime: 60, capacity: 3)
        let start = Date()
        let first = sessions.open(for: "a", now: start)
        #expect(sessions.session(first.id, now: start.addingTimeInterval(30))?.tokenName == "a")
        #expect(sessions.session(first.id, now: start.addingTimeInterval(61)) == nil)
        for index in 0..<5 { _ = sessions.open(for: "t\(index)", now: start.addingTimeInterval(Double(index))) }
        #expect(sessions.count == 3)
        #expect(DashboardSessions.randomToken().count == 43)
        #expect(DashboardSessions.same("abc", "abc") && !DashboardSessions.same("abc", "abd") && !DashboardSessions.same("abc", "ab"))
    }
}

/// Logs in through the form; returns the session cookie pair.
func loggedIn(_ client: any TestClientProtocol, token: String) async throws -> String {
    let form = try await client.page("/ui/login")
    let csrf = try #require(csrfField(form.text))
    let loginCookie = try #require(cookiePair(form.cookies, "kiln_login"))
    let reply = try await client.page(.post, "/ui/login", cookie: loginCookie, form: ["csrf": csrf, "token": token])
    return try #require(cookiePair(reply.cookies, "kiln_session"))
}

@Suite struct DashboardPageTests {
    @Test func theOverviewShowsEachMachineInItsStageColumnWithCountsAndFilters() async throws {
        try await withDashboard { harness, client in
            try harness.record("52:54:00:00:00:01", reached: .ipxe, labels: ["hostname": "node-a", "rack": "1"], group: "rack1", profile: "worker")
            try harness.record("52:54:00:00:00:02", endpoint: "/assets/vmlinuz", reached: .kernel, labels: ["hostname": "node-b"], group: "rack1", profile: "worker")
            try harness.record("52:54:00:00:00:03", endpoint: "/assets/initrd", status: 500, reached: .kernel, labels: ["hostname": "stray"],
                               reason: "transfer ended after 5 of 9 bytes")
            try harness.record("52:54:00:00:00:04", reached: .discovered, labels: ["hostname": "new"])
            let page = try await client.page("/ui/", token: harness.readToken)
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<li class="tile stage-ipxe" data-mac="52:54:00:00:00:01" data-stage="ipxe">"#))
            #expect(page.text.contains(#"<li class="tile stage-kernel" data-mac="52:54:00:00:00:02""#))
            #expect(page.text.contains(#"<li class="tile stage-failed" data-mac="52:54:00:00:00:03""#))
            #expect(page.text.contains(#"<li class="tile stage-discovered" data-mac="52:54:00:00:00:04""#))
            #expect(page.text.contains(#"<b data-count="all">4</b>"#))
            #expect(page.text.contains(#"<b data-count="failed">1</b>"#))
            #expect(page.text.contains("Machines 1–4 of 4"))
            let kernel = try await client.page("/ui/?stage=kernel", token: harness.readToken)
            #expect(kernel.text.contains("52:54:00:00:00:02") && !kernel.text.contains(#"data-mac="52:54:00:00:00:01""#))
            let failed = try await client.page("/ui/?stage=failed", token: harness.readToken)
            #expect(failed.text.contains(#"data-mac="52:54:00:00:00:03""#) && !failed.text.contains(#"data-mac="52:54:00:00:00:04""#))
            let text = try await client.page("/ui/?q=node-b", token: harness.readToken)
            #expect(text.text.contains("Machines 1–1 of 1") && text.text.contains(#"data-mac="52:54:00:00:00:02""#))
            let group = try await client.page("/ui/?group=rack1&size=1", token: harness.readToken)
            #expect(group.text.contains("Machines 1–1 of 2"))
            #expect(group.text.contains(#"href="/ui/?group=rack1&amp;size=1&amp;page=2""#))
            // A percent or underscore in the text is literal, not a wildcard.
            #expect(try await client.page("/ui/?q=%25", token: harness.readToken).text.contains("No machines on this page (0 match)"))
            #expect(try await client.page("/ui/?stage=bogus", token: harness.readToken).status == .badRequest)
        }
    }

    @Test func hostileLabelsShowAsTextAndAreShortened() async throws {
        try await withDashboard { harness, client in
            let script = "<img src=x onerror=alert(1)>"
            let long = String(repeating: "A", count: 100_000)
            try harness.record("52:54:00:00:00:66", reached: .ipxe, labels: ["hostname": script, "serial": long, "\"><script>x</script>": "key"])
            let overview = try await client.page("/ui/", token: harness.readToken)
            #expect(!overview.text.contains("<img") && !overview.text.contains("<script>x"))
            #expect(overview.text.contains("&lt;img src=x onerror=alert(1)&gt;"))
            let machine = try await client.page("/ui/machines/52:54:00:00:00:66", token: harness.readToken)
            #expect(machine.status == .ok)
            #expect(!machine.text.contains("<img") && !machine.text.contains("<script>x"))
            #expect(machine.text.contains("&lt;img src=x onerror=alert(1)&gt;"))
            #expect(machine.text.contains("&quot;&gt;&lt;script&gt;x&lt;/script&gt;"))
            // The 100 KB label is cut to 4,096 characters on the page.
            #expect(machine.text.contains(String(repeating: "A", count: 4096) + "…"))
            #expect(machine.text.utf8.count < 60_000)
        }
    }

    @Test func theMachinePageDrawsTheBootAndShowsWhatTheMachineGets() async throws {
        try await withDashboard { harness, client in
            let mac = "52:54:00:00:00:07"
            let start = Date().addingTimeInterval(-30)
            let labels = ["rack": "1", "zone": "a", "hostname": "node-7"]
            try harness.record(mac, endpoint: "/ipxe", reached: .ipxe, labels: labels, time: start.addingTimeInterval(-600))
            try harness.record(mac, endpoint: "/ignition", reached: .config, labels: labels, time: start.addingTimeInterval(-590))
            try harness.record(mac, endpoint: "/boot.ipxe", reached: .ipxe, labels: labels, time: start, startsBoot: true)
            try harness.record(mac, endpoint: "/assets/vmlinuz", reached: .kernel, labels: labels, time: start.addingTimeInterval(2.5))
            try harness.record(mac, endpoint: "/assets/initrd", status: 500, reached: .kernel, labels: labels, reason: "transfer ended after 5 of 9 bytes",
                               time: start.addingTimeInterval(4))
            let page = try await client.page("/ui/machines/\(mac)", token: harness.readToken)
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<svg class="timeline""#))
            #expect(page.text.contains(">kernel</text>"))
            #expect(page.text.contains(">+2.50 s</text>"))
            #expect(page.text.contains(#"<g class="mark failed">"#))
            #expect(page.text.contains("2 event(s) of earlier boots"))
            #expect(page.text.contains("Group <a href=\"/ui/catalog#group-rack1\">rack1</a>"))
            #expect(page.text.contains("kernel /assets/vmlinuz"))
            #expect(page.text.contains("&quot;/etc/hostname&quot;"))
            #expect(page.text.contains("data:,worker"))
            let hidden = try await client.page("/ui/machines/\(mac)?contents=hide", token: harness.readToken)
            #expect(!hidden.text.contains("data:,worker") && hidden.text.contains("characters of data URL hidden"))
            #expect(try await client.page("/ui/machines/52:54:00:99:99:99", token: harness.readToken).status == .notFound)
            #expect(try await client.page("/ui/machines/not-a-mac", token: harness.readToken).status == .badRequest)
        }
    }

    @Test func aDiscoveredMachineIsAssignedFromItsPageThroughTheEditor() async throws {
        try await withDashboard { harness, client in
            let mac = "52:54:00:00:00:0a"
            try harness.record(mac, status: 404, reached: .discovered, labels: ["hostname": "new"], reason: "no group")
            let session = try await loggedIn(client, token: harness.writeToken)
            let page = try await client.page("/ui/machines/\(mac)", cookie: session)
            #expect(page.text.contains("Assign a profile") && page.text.contains(#"<option value="worker""#))
            let csrf = try #require(csrfField(page.text.components(separatedBy: "action=\"/ui/machines/").last ?? ""))
            let path = "/ui/machines/\(mac)/assign"
            // No CSRF token, or another one: refused.
            #expect(try await client.page(.post, path, cookie: session, form: ["profile": "worker"]).status == .forbidden)
            #expect(try await client.page(.post, path, cookie: session, form: ["profile": "worker", "csrf": "x"]).status == .forbidden)
            // What the catalog refuses shows on the form.
            let bad = try await client.page(.post, path, cookie: session, form: ["profile": "nothing", "csrf": csrf])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("class=\"form-errors\"") && bad.text.contains("nothing"))
            let badJSON = try await client.page(.post, path, cookie: session, form: ["profile": "worker", "metadata": "[1]", "csrf": csrf])
            #expect(badJSON.status == .unprocessableContent && badJSON.text.contains("Metadata must be a JSON object"))
            let good = try await client.page(.post, path, cookie: session, form: ["profile": "worker", "metadata": #"{"role": "db"}"#, "csrf": csrf])
            #expect(good.status == .seeOther, "\(good.text.components(separatedBy: "form-errors").last?.prefix(600) ?? "")")
            #expect(good.header("Location") == "/ui/machines/\(mac)?assigned=machine-52540000000a")
            let file = try String(contentsOfFile: harness.dataPath + "/groups/machine-52540000000a.json", encoding: .utf8)
            #expect(file.contains(#""role" : "db""#))
            let after = try await client.page("/ui/machines/\(mac)?assigned=machine-52540000000a", cookie: session)
            #expect(after.text.contains("group machine-52540000000a now selects this machine"))
            #expect(after.text.contains("Group <a href=\"/ui/catalog#group-machine-52540000000a\">"))
            #expect(!after.text.contains("Assign a profile"))
        }
    }

    @Test func aReadTokenCannotAssign() async throws {
        try await withDashboard { harness, client in
            let mac = "52:54:00:00:00:0b"
            try harness.record(mac, status: 404, reached: .discovered, reason: "no group")
            let session = try await loggedIn(client, token: harness.readToken)
            let page = try await client.page("/ui/machines/\(mac)", cookie: session)
            #expect(page.text.contains("<button type=\"submit\" disabled>Assign</button>"))
            let csrf = try #require(csrfField(page.text))
            let post = try await client.page(.post, "/ui/machines/\(mac)/assign", cookie: session, form: ["profile": "worker", "csrf": csrf])
            #expect(post.status == .forbidden)
            #expect(!FileManager.default.fileExists(atPath: harness.dataPath + "/groups/machine-52540000000b.json"))
        }
    }

    @Test func theCatalogPageListsMatchedMachinesAndTheLastLoadsProblems() async throws {
        try await withDashboard { harness, client in
            try harness.record("52:54:00:00:00:21", reached: .ipxe, labels: ["rack": "1", "zone": "a"])
            try harness.record("52:54:00:00:00:22", reached: .ipxe, labels: ["rack": "2"])
            let page = try await client.page("/ui/catalog", token: harness.readToken)
            #expect(page.text.contains(#"<tr id="group-rack1">"#))
            #expect(page.text.contains(#"1 <a class="mac" href="/ui/machines/52:54:00:00:00:21">"#))
            #expect(page.text.contains("Loaded at"))
            try "{\n  \"id\": \"broken\",\n  \"profile\": \n}".write(toFile: harness.dataPath + "/groups/broken.json", atomically: true, encoding: .utf8)
            #expect(await harness.server.reloader.reload(reason: "test") == false)
            let broken = try await client.page("/ui/catalog", token: harness.readToken)
            #expect(broken.text.contains("NOT loaded; the previous catalog keeps serving"))
            #expect(broken.text.contains("groups/broken.json:4:"))
        }
    }
}

@Suite struct DashboardPartsTests {
    @Test func liveMessagesCarryEachChangedMachinesTileAndTheCounts() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.cleanUp() }
        let updates = harness.inventory.updates.watch()
        try harness.record("52:54:00:00:00:31", endpoint: "/ignition", reached: .config, labels: ["hostname": "<b>x</b>\n"])
        var iterator = updates.makeAsyncIterator()
        let macs = try #require(await iterator.next())
        #expect(macs == ["52:54:00:00:00:31"])
        let message = try await LiveUpdates.message(for: macs, inventory: harness.inventory)
        let lines = message.split(separator: "\n")
        #expect(lines.first == "event: machine")
        #expect(message.contains(#""display":"config""#))
        // Control characters never reach the stream: one event is one line of data.
        #expect(lines.filter { $0.hasPrefix("data: ") }.count == 2)
        #expect(message.contains("event: counts\ndata: {"))
    }

    @Test func liveStreamsBeyondTheLimitAreRefused() async throws {
        try await withDashboard(.init(maxLiveStreams: 0)) { harness, client in
            let refused = try await client.page("/ui/events", token: harness.readToken)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.text.contains("Too many live views"))
        }
    }

    @Test func theTimelineStartsAtTheLatestBoot() {
        let start = Date()
        func event(_ seconds: Double, _ status: Int = 200) -> BootEvent {
            BootEvent(time: start.addingTimeInterval(seconds), kind: .http, endpoint: "/x", target: "/x", status: status)
        }
        let timeline = BootTimeline(events: [(event(0), .ipxe, 1), (event(5), .config, 1), (event(100), .firmware, 1), (event(101), .ipxe, 1),
                                              (event(103, 404), .ipxe, 1)])
        #expect(timeline.earlierEvents == 2)
        #expect(timeline.points.map(\.offset) == [0, 1, 3])
        #expect(timeline.firstReached.map(\.0) == [.firmware, .ipxe])
        #expect(BootTimeline(events: []).svg.isEmpty)
    }

    @Test func textIsShortenedWithoutControlCharacters() {
        #expect(HTMLText.short("abc", 5) == "abc")
        #expect(HTMLText.short("abcdef", 3) == "abc…")
        #expect(HTMLText.short("a\nb\u{7}", 10) == "a\u{FFFD}b\u{FFFD}")
        #expect(HTMLText.escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;")
        #expect(HTMLText.count(1_234_567) == "1,234,567")
    }
}
