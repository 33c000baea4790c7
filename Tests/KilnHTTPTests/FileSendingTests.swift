import Foundation
import KilnHTTP
import KilnTestSupport
import Synchronization
import Testing

/// Assets on a live connection go out with sendfile(2): the bytes must be
/// exact under concurrency, a kept-alive connection must carry file and
/// ordinary answers in turn, and a file cut short under a transfer must end
/// that connection rather than spin.
@Suite struct FileSendingTests {
    /// Varied bytes, so a misplaced or repeated block shows.
    static func varied(count: Int) -> Data {
        var state: UInt32 = 2_463_534_242
        var bytes = [UInt8](repeating: 0, count: count)
        for index in bytes.indices {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        return Data(bytes)
    }

    @Test func concurrentDownloadsAreExact() async throws {
        try await withServer { server in
            let kernel = Self.varied(count: 8 << 20)
            try kernel.write(to: URL(fileURLWithPath: server.assetsPath + "/kernel"))
            try await withThrowingTaskGroup(of: Data.self) { group in
                for _ in 0..<12 { group.addTask { try await server.curl("/assets/kernel").body } }
                for try await body in group { #expect(body == kernel) }
            }
            let middle = try await server.curl("/assets/kernel", ["-H", "Range: bytes=1000000-1999999"])
            #expect(middle.status == 206 && middle.body == kernel.subdata(in: 1_000_000..<2_000_000))
        }
    }

    /// One connection: a file, a boot script, a range of the file, a
    /// one-byte file, the file again. Each answer is whole and none bleeds into the next.
    @Test func keptAliveConnectionAlternatesFilesAndAnswers() async throws {
        try await withServer(assets: ["zero.bin": "\u{0}"]) { server in
            let kernel = Self.varied(count: 3 << 20)
            try kernel.write(to: URL(fileURLWithPath: server.assetsPath + "/kernel"))
            let curl = try #require(Curl.path)
            let scratch = NSTemporaryDirectory() + "kiln-keepalive-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let urls = ["/assets/kernel", "/boot.ipxe", "/assets/kernel", "/assets/zero.bin", "/assets/kernel"]
            var arguments: [String] = []
            for (index, path) in urls.enumerated() {
                if index > 0 { arguments.append("--next") }
                arguments += ["-s", "--max-time", "20", "-w", "%{http_code} %{size_download} %{num_connects}\\n"]
                if index == 2 { arguments += ["-r", "100-199"] }
                arguments += ["-o", "\(scratch)/\(index)", server.base + path]
            }
            let result = try await ProcessRunner.run(curl, arguments, timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            try #require(lines.count == urls.count, "\(result.stdout)")
            #expect(lines.map { $0[2] } == ["1", "0", "0", "0", "0"], "every request after the first reuses the connection")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(scratch)/0")) == kernel)
            #expect(lines[1][0] == "200")
            #expect(lines[2][0] == "206")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(scratch)/2")) == kernel.subdata(in: 100..<200))
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(scratch)/3")) == Data([0]))
            #expect(lines[4][0] == "200")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(scratch)/4")) == kernel)
        }
    }

    /// The request log and inventory see the bytes a file transfer sent,
    /// when it ends.
    @Test func recordsCarryTheBytesSent() async throws {
        let records = Mutex<[RequestRecord]>([])
        let server = try await TestServer.start(subscriber: { record in records.withLock { $0.append(record) } })
        try await withRunning(server) { server in
            try Self.varied(count: 1 << 20).write(to: URL(fileURLWithPath: server.assetsPath + "/initrd"))
            #expect(try await server.curl("/assets/initrd").body.count == 1 << 20)
            #expect(try await server.curl("/assets/initrd", ["-r", "0-99"]).body.count == 100)
            for _ in 0..<50 where records.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(20)) }
            let assets = records.withLock { $0.filter { $0.endpoint == "assets" } }
            #expect(assets.map(\.bytes) == [1 << 20, 100])
            #expect(assets.allSatisfy { $0.reason == nil })
        }
    }

    /// A file truncated under a transfer: the connection is closed within a
    /// few seconds (sendfile would otherwise return 0 forever), and the
    /// server goes on answering.
    @Test func truncatedWhileSentClosesTheConnection() async throws {
        try await withServer(assets: ["hello.txt": "hello"]) { server in
            let path = server.assetsPath + "/shrinking.img"
            try Self.varied(count: 32 << 20).write(to: URL(fileURLWithPath: path))
            let curl = try #require(Curl.path)
            let received = server.assetsPath + "/../received.img"
            let started = ContinuousClock.now
            async let download = ProcessRunner.run(curl, ["-s", "-o", received, "--limit-rate", "4M", "--max-time", "25", server.base + "/assets/shrinking.img"],
                                                   timeout: .seconds(30))
            // Truncated once the transfer is under way: a slow start would otherwise fetch the short file whole.
            for _ in 0..<200 {
                let size = (try? FileManager.default.attributesOfItem(atPath: received)[.size] as? Int) ?? 0
                if size >= 64 << 10 { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: 1 << 20)
            try handle.close()
            let result = try await download
            // 18: "partial file", the transfer ended short.
            #expect(result.status == 18, "curl exited \(result.status): \(result.stderr)")
            #expect(started.duration(to: .now) < .seconds(15))
            #expect(try await server.curl("/assets/hello.txt").text == "hello")
        }
    }
}
