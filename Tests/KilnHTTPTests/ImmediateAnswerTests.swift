import Foundation
import KilnTestSupport
import Testing

/// Boot scripts and configs are answered on the event loop, everything else
/// by Hummingbird: on one connection the answers must still come in the
/// order asked, whole, with the same headers either way.
@Suite struct ImmediateAnswerTests {
    static let files = [
        "profiles/p.json": #"{"id": "p", "boot": {"kernel": "/assets/k", "args": ["console=ttyS0"]}}"#,
        "groups/default.json": #"{"id": "default", "profile": "p"}"#,
    ]

    @Test func pipelinedAnswersKeepTheirOrder() async throws {
        let asset = String(repeating: "a", count: 300_000)
        try await withServer(files: Self.files, assets: ["big.txt": asset]) { server in
            let connection = try #require(ListenerLimitTests.Connection(port: server.port))
            // An immediate answer, then an asset (Hummingbird), then immediate
            // answers pipelined behind it.
            connection.send("GET /boot.ipxe HTTP/1.1\r\nHost: kiln\r\n\r\n"
                + "GET /assets/big.txt HTTP/1.1\r\nHost: kiln\r\n\r\n"
                + "GET /ipxe?mac=52:54:00:12:34:56 HTTP/1.1\r\nHost: kiln\r\n\r\n"
                + "HEAD /boot.ipxe HTTP/1.1\r\nHost: kiln\r\n\r\n"
                + "GET /metrics HTTP/1.1\r\nHost: kiln\r\n\r\n"
                + "GET /boot.ipxe HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\n\r\n")
            let text = try #require(await offCooperativePool { connection.readUntilClosed(timeout: .seconds(10)) },
                                    "the connection was not closed after Connection: close")
            var responses = text.components(separatedBy: "HTTP/1.1 200 OK\r\n").dropFirst().map { $0 }
            try #require(responses.count == 6, "\(responses.count) responses")
            #expect(responses.removeFirst().hasSuffix("\r\n\r\n" + BootScript.text))
            #expect(responses[0].hasSuffix(asset))
            #expect(responses[1].contains("\r\n\r\n#!ipxe\nkernel /assets/k console=ttyS0\n"))
            #expect(responses[1].lowercased().contains("x-kiln-group: default"))
            #expect(responses[2].hasSuffix("\r\n\r\n"), "a HEAD answer has no body")
            #expect(responses[2].lowercased().contains("content-length: \(BootScript.length)"))
            #expect(responses[3].contains("kiln_http_requests_total"))
            #expect(responses[4].hasSuffix("\r\n\r\n" + BootScript.text))
            for response in responses {
                #expect(response.lowercased().contains("\r\ndate: ") || response.lowercased().hasPrefix("date: "), "every answer has a Date")
            }
        }
    }

    /// The same answers through the event loop and through Hummingbird
    /// (here a request for an immediate route pipelined behind a slow one).
    @Test func bothPathsAnswerAlike() async throws {
        try await withServer(files: Self.files) { server in
            let direct = try await server.curl("/ipxe?mac=52:54:00:12:34:56")
            let connection = try #require(ListenerLimitTests.Connection(port: server.port))
            connection.send("GET /healthz HTTP/1.1\r\nHost: kiln\r\n\r\nGET /ipxe?mac=52:54:00:12:34:56 HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\n\r\n")
            let text = try #require(await offCooperativePool { connection.readUntilClosed(timeout: .seconds(10)) })
            #expect(text.hasSuffix("\r\n\r\n" + direct.text))
            #expect(direct.headers["content-length"] == String(direct.body.count))
            #expect(direct.headers["x-kiln-profile"] == "p")
            let refusal = try await server.curl("/ipxe?mac=zz")
            #expect(refusal.status == 400 && refusal.text.hasPrefix("malformed MAC address"))
            #expect(try await server.curl("/ipxe", ["-X", "POST"]).status == 405)
        }
    }

    enum BootScript {
        static let text = "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n"
        static var length: Int { text.utf8.count }
    }
}
