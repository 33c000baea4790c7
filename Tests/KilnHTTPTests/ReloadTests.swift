import Foundation
import Testing

@Suite struct ReloadTests {
    static let files = [
        "groups/a.json": #"{"id": "a", "profile": "p", "selector": {"mac": "52:54:00:12:34:56"}}"#,
        "profiles/p.json": #"{"id": "p", "boot": {"kernel": "/one"}}"#,
    ]

    /// Polls until `check` holds, for at most `seconds`.
    private func eventually(_ seconds: Double, _ check: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func editsAreServedWithinTwoSeconds() async throws {
        try await withServer(files: Self.files) { server in
            #expect(try await server.curl("/ipxe?mac=52:54:00:12:34:56").text.contains("kernel /one"))
            try server.writeData("profiles/p.json", #"{"id": "p", "boot": {"kernel": "/two"}}"#)
            #expect(try await eventually(2) { try await server.curl("/ipxe?mac=52:54:00:12:34:56").text.contains("kernel /two") })
            try server.writeData("groups/b.json", #"{"id": "b", "profile": "p", "selector": {"mac": "52:54:00:00:00:02"}}"#)
            #expect(try await eventually(2) { try await server.curl("/ipxe?mac=52:54:00:00:00:02").status == 200 })
        }
    }

    @Test func aBrokenFileKeepsTheLastGoodVersion() async throws {
        try await withServer(files: Self.files) { server in
            try server.writeData("groups/a.json", "{\n  \"id\": \"a\",\n  \"profile\": \"p\"\n  \"selector\": {}\n}")
            // This test is about what keeps serving, not latency: allow for a loaded machine.
            #expect(try await eventually(6) {
                try await server.curl("/metrics").text.contains("kiln_catalog_reload_failures_total 1")
            })
            let still = try await server.curl("/ipxe?mac=52:54:00:12:34:56")
            #expect(still.status == 200 && still.text.contains("kernel /one"))
            #expect(try await server.curl("/ipxe?mac=52:54:00:00:00:09").status == 404)
            try server.writeData("groups/a.json", #"{"id": "a", "profile": "p"}"#)
            #expect(try await eventually(2) { try await server.curl("/ipxe?mac=52:54:00:00:00:09").status == 200 })
        }
    }

    @Test func brokenAtStartServesNothingButSaysSo() async throws {
        try await withServer(files: ["groups/a.json": "{", "profiles/p.json": "{}"]) { server in
            let health = try await server.curl("/healthz")
            #expect(health.status == 503 && health.text == "data directory not loaded yet\n")
            #expect(try await server.curl("/ipxe?mac=52:54:00:12:34:56").status == 503)
            #expect(try await server.curl("/boot.ipxe").status == 200)
            try server.writeData("groups/a.json", #"{"profile": "p"}"#)
            #expect(try await eventually(2) { try await server.curl("/healthz").status == 200 })
        }
    }

    /// Requests racing a stream of reloads each see one whole catalog: the
    /// kernel and the initrd always come from the same version.
    @Test func requestsNeverSeeHalfAReload() async throws {
        try await withServer(files: Self.files, pollInterval: .milliseconds(20)) { server in
            let writer = Task {
                for version in 0..<30 {
                    try server.writeData("profiles/p.json", #"{"id": "p", "boot": {"kernel": "/k\#(version)", "initrd": ["/i\#(version)"]}}"#)
                    try await Task.sleep(for: .milliseconds(30))
                }
            }
            for _ in 0..<60 {
                let text = try await server.curl("/ipxe?mac=52:54:00:12:34:56").text
                let kernel = text.split(separator: "\n").first { $0.hasPrefix("kernel ") }?.dropFirst("kernel /k".count)
                let initrd = text.split(separator: "\n").first { $0.hasPrefix("initrd ") }?.dropFirst("initrd /i".count)
                if let initrd { #expect(kernel == initrd, "\(text)") }
            }
            try await writer.value
        }
    }
}
