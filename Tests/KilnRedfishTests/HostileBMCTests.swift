import Foundation
import Hummingbird
import KilnRedfish
import Logging
import Synchronization
import Testing

/// BMCs that fail: each failure is a clear error, in bounded time, and no
/// credential appears in it.
@Suite struct HostileBMCTests {
    enum Behaviour: String, Sendable {
        case unauthorized, malformed, slow, redirect, errorBody, hugeAnswer, foreignLink
        /// Not a BMC: a web server with an image for a BMC to fetch.
        case image
    }

    /// A BMC on a loopback port that misbehaves as `behaviour` says.
    static func withBMC(_ behaviour: Behaviour, _ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.on("/**", method: .get) { _, _ -> Response in
            switch behaviour {
            case .unauthorized:
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"bmc\""])
            case .malformed:
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"Systems\": {\"@odata.id\": ")))
            case .slow:
                try await Task.sleep(for: .seconds(5))
                return Response(status: .ok)
            case .redirect:
                return Response(status: .found, headers: [.location: "https://elsewhere.example/redfish/v1/"])
            case .errorBody:
                let error = #"{"error": {"code": "Base.1.0.GeneralError", "message": "general", "@Message.ExtendedInfo": [{"Message": "The service is in maintenance mode."}]}}"#
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: error)))
            case .hugeAnswer:
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: " "), count: 5 << 20)))
            case .image:
                return Response(status: .ok, headers: [.contentType: "application/x-iso9660-image"], body: .init(byteBuffer: ByteBuffer(string: "an image")))
            case .foreignLink:
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"Systems": {"@odata.id": "https://elsewhere.example/redfish/v1/Systems"}}"#)))
            }
        }
        router.on("/**", method: .post) { _, _ -> Response in Response(status: .unauthorized) }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              },
                              logger: Logger(label: "bmc") { _ in SwiftLogNoOpLogHandler() })
        let server = Task { try await app.runService() }
        var port = 0
        for await bound in ports { port = bound }
        do {
            try await body("http://127.0.0.1:\(port)")
        } catch {
            server.cancel()
            throw error
        }
        server.cancel()
        _ = try? await server.value
    }

    static func failure(at url: String, timing: RedfishClient.Timing = RedfishClient.Timing()) async throws -> (RedfishError?, Duration) {
        let client = try RedfishClient(endpoint: RedfishEndpoint(url: url, username: "admin", password: "s3cret-password"), timing: timing)
        let started = ContinuousClock.now
        var failure: RedfishError?
        do {
            _ = try await RedfishSystem.find(client)
        } catch {
            failure = error
        }
        let elapsed = started.duration(to: .now)
        await client.close()
        if let failure { #expect(!failure.description.contains("s3cret")) }
        return (failure, elapsed)
    }

    @Test func unauthorized() async throws {
        try await Self.withBMC(.unauthorized) { url in
            let (error, _) = try await Self.failure(at: url)
            #expect(error == .unauthorized(url: url + "/redfish/v1/SessionService/Sessions") || error == .unauthorized(url: url + "/redfish/v1/"),
                    "\(String(describing: error))")
        }
    }

    @Test func malformedJSON() async throws {
        try await Self.withBMC(.malformed) { url in
            let (error, _) = try await Self.failure(at: url)
            guard case .malformedJSON(let at, _)? = error else { Issue.record("\(String(describing: error))"); return }
            #expect(at == url + "/redfish/v1/")
        }
    }

    @Test func slowAnswersTimeOutWithBoundedRetries() async throws {
        try await Self.withBMC(.slow) { url in
            var timing = RedfishClient.Timing()
            timing.request = .seconds(1)
            timing.readRetries = 1
            let (error, elapsed) = try await Self.failure(at: url, timing: timing)
            #expect(error == .timedOut(url: url + "/redfish/v1/", seconds: 1), "\(String(describing: error))")
            #expect(elapsed < .seconds(4), "two attempts of 1 s and one pause: \(elapsed)")
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await Self.withBMC(.redirect) { url in
            let (error, _) = try await Self.failure(at: url)
            #expect(error == .redirected(url: url + "/redfish/v1/", location: "https://elsewhere.example/redfish/v1/"))
        }
        try await Self.withBMC(.foreignLink) { url in
            let (error, _) = try await Self.failure(at: url)
            guard case .redirected? = error else { Issue.record("\(String(describing: error))"); return }
        }
    }

    @Test func errorsCarryTheBMCsMessage() async throws {
        try await Self.withBMC(.errorBody) { url in
            var timing = RedfishClient.Timing()
            timing.readRetries = 0
            let (error, _) = try await Self.failure(at: url, timing: timing)
            #expect(error?.description == "the BMC answered 503 at \(url)/redfish/v1/: The service is in maintenance mode.")
        }
        try await Self.withBMC(.hugeAnswer) { url in
            let (error, _) = try await Self.failure(at: url)
            guard case .malformedJSON? = error else { Issue.record("\(String(describing: error))"); return }
        }
    }

    @Test func anUnreachableBMCIsAnErrorNotAHang() async throws {
        var timing = RedfishClient.Timing()
        timing.readRetries = 1
        let (error, elapsed) = try await Self.failure(at: "http://127.0.0.1:9", timing: timing)
        guard case .unreachable? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(elapsed < .seconds(10))
    }
}
