import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import KilnTestSupport
@testable import KilnHTTP
import Testing

/// No client can hold the boot listener: oversized requests are refused
/// with a reason, connections past the cap are closed on arrival, and
/// half-sent or idle connections are closed after their timeouts.
@Suite struct ListenerLimitTests {
    static let files = [
        "groups/default.json": #"{"id": "default", "profile": "p"}"#,
        "profiles/p.json": #"{"id": "p", "boot": {"kernel": "/assets/k", "args": ["a=b"]}}"#,
    ]

    @Test func oversizedRequestsAreRefusedWithAReason() async throws {
        try await withRoutes(files: Self.files) { routes in
            let long = try await routes.get("/ipxe?mac=52:54:00:12:34:56&note=" + String(repeating: "x", count: 9000))
            #expect(long.status == 414)
            #expect(String(decoding: long.body, as: UTF8.self).contains("Kiln reads at most 8192"))
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Padding")!] = String(repeating: "h", count: 17000)
            let big = try await routes.get("/ipxe?mac=52:54:00:12:34:56", headers: headers)
            #expect(big.status == 431)
            let many = try await routes.get("/ipxe?" + (0..<70).map { "k\($0)=v" }.joined(separator: "&"))
            #expect(many.status == 400)
            #expect(String(decoding: many.body, as: UTF8.self).contains("at most 64 labels"))
            #expect(try await routes.get("/ipxe?mac=52:54:00:12:34:56").status == 200)
        }
    }

    /// A loopback TCP connection with bounded waits. Its blocking reads run
    /// off Swift's cooperative pool (two threads here), which the server needs.
    final class Connection: @unchecked Sendable {
        let descriptor: Int32

        init?(port: Int) {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { return nil }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(descriptor)
                return nil
            }
        }

        deinit { close(descriptor) }

        func send(_ text: String) {
            _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(descriptor, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
        }

        /// Reads until the server closes or `timeout` passes; nil when still open.
        func readUntilClosed(timeout: Duration) -> String? {
            var timeval = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeval, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                // A close with unread data arrives as a reset.
                if count == 0 || (count < 0 && errno == ECONNRESET) { return String(decoding: received, as: UTF8.self) }
                if count < 0 { return nil }
                received += buffer[0..<count]
            }
            return nil
        }
    }

    @Test func connectionsPastTheCapAndSlowHeadsAreClosed() async throws {
        let limits = HTTPLimits(headerTimeout: .seconds(4), idleTimeout: .seconds(1), maxConnections: 20)
        try await withRunning(try await TestServer.start(files: Self.files, limits: limits)) { server in try await Self.exercise(server) }
    }

    static func exercise(_ server: TestServer) async throws {
        // 25 half-sent requests: 20 are held, 5 are closed on arrival.
        var held: [Connection] = []
        for _ in 0..<25 {
            let connection = try #require(Connection(port: server.port))
            connection.send("GET /ipxe?mac=52:54")
            held.append(connection)
        }
        var closedAtOnce = 0
        for _ in 0..<20 where closedAtOnce < 5 {
            try await Task.sleep(for: .milliseconds(100))
            let connections = held
            closedAtOnce = await offCooperativePool { connections.filter { $0.readUntilClosed(timeout: .milliseconds(10)) != nil }.count }
        }
        #expect(closedAtOnce == 5)
        // After the header timeout (4 s, long enough for a loaded machine
        // to open all 25 first) every half-sent one is closed.
        let connections = held
        let closedLater = await offCooperativePool { connections.filter { $0.readUntilClosed(timeout: .seconds(8)) != nil }.count }
        #expect(closedLater == 25)
        held.removeAll()
        try await Task.sleep(for: .milliseconds(100))
        // A whole request is answered, and its kept-alive connection closes after the idle timeout.
        let fresh = try #require(Connection(port: server.port))
        fresh.send("GET /ipxe?mac=52:54:00:12:34:56 HTTP/1.1\r\nHost: kiln\r\n\r\n")
        let answer = await offCooperativePool { fresh.readUntilClosed(timeout: .seconds(5)) } ?? ""
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.contains("kernel /assets/k"))
        let metrics = try await server.curl("/metrics")
        #expect(metrics.text.contains("kiln_http_connections_refused_total 5"))
        #expect(metrics.text.contains("kiln_http_connections_timed_out_total"))
    }
}
