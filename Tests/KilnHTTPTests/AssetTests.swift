import Foundation
import Testing

private let hello = "0123456789abcdefghij"  // 20 bytes

@Suite struct AssetTests {
    /// Every way we know to name a file outside the assets directory. curl
    /// sends each path as written (--path-as-is).
    static let traversals = [
        "/assets/../secret.txt",
        "/assets/../../etc/passwd",
        "/assets/sub/../../secret.txt",
        "/assets/%2e%2e/secret.txt",
        "/assets/%2E%2E/secret.txt",
        "/assets/.%2e/secret.txt",
        "/assets/%2e./secret.txt",
        "/assets/sub/%2e%2e/%2e%2e/secret.txt",
        "/assets/..%2fsecret.txt",
        "/assets/..%2Fsecret.txt",
        "/assets/%2e%2e%2fsecret.txt",
        "/assets/sub%2f..%2f..%2fsecret.txt",
        "/assets/..%5csecret.txt",
        "/assets/..%5Csecret.txt",
        "/assets/hello.txt%00.png",
        "/assets/%00",
        "/assets/%2fetc%2fpasswd",
        "/assets/%252e%252e/secret.txt",
        "/assets/./../secret.txt",
        "/assets/%",
        "/assets/%zz",
        "/assets/sub/..",
        "/assets/outside-link/secret.txt",
        "/assets/outside-file",
        "/assets/..;/secret.txt",
    ]

    @Test func traversalAttemptsAreRefused() async throws {
        try await withServer(assets: ["hello.txt": hello, "sub/inner.txt": "inner"]) { server in
            try "do not serve".write(toFile: server.root + "/secret.txt", atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: server.assetsPath + "/outside-link", withDestinationPath: server.root)
            try FileManager.default.createSymbolicLink(atPath: server.assetsPath + "/outside-file", withDestinationPath: server.root + "/secret.txt")
            #expect(Self.traversals.count >= 20)
            for path in Self.traversals {
                let reply = try await server.curl(path)
                #expect([400, 403, 404].contains(reply.status), "\(path) answered \(reply.status)")
                #expect(!reply.text.contains("do not serve"), "\(path) leaked the file")
            }
            #expect(try await server.curl("/assets/outside-file").status == 403)
            #expect(try await server.curl("/assets/%2e%2e/secret.txt").status == 400)
            #expect(try await server.curl("/assets/sub/inner.txt").text == "inner")
        }
    }

    @Test func symlinksInsideTheDirectoryAreServed() async throws {
        try await withServer(assets: ["real/hello.txt": hello]) { server in
            try FileManager.default.createSymbolicLink(atPath: server.assetsPath + "/current", withDestinationPath: "real")
            let reply = try await server.curl("/assets/current/hello.txt")
            #expect(reply.status == 200 && reply.text == hello)
            #expect(try await server.curl("/assets/real").status == 404)  // a folder, not a file
            #expect(try await server.curl("/assets/").status == 404)
            #expect(try await server.curl("/assets/missing.img").text == "no file /assets/missing.img\n")
        }
    }

    @Test func headersAndValidators() async throws {
        try await withServer(assets: ["hello.txt": hello, "image.iso": "x"]) { server in
            let full = try await server.curl("/assets/hello.txt")
            #expect(full.status == 200 && full.text == hello)
            #expect(full.headers["content-length"] == "20")
            #expect(full.headers["accept-ranges"] == "bytes")
            #expect(full.headers["content-type"] == "text/plain; charset=utf-8")
            let etag = try #require(full.headers["etag"])
            let lastModified = try #require(full.headers["last-modified"])
            #expect(lastModified.hasSuffix(" GMT"))
            #expect(try await server.curl("/assets/image.iso").headers["content-type"] == "application/x-iso9660-image")

            let head = try await server.curl("/assets/hello.txt", ["-I"])
            // curl -I writes the headers where the body would go: check no file bytes came.
            #expect(head.status == 200 && !head.text.contains(hello) && head.headers["content-length"] == "20")
            #expect(try await server.curl("/assets/hello.txt", ["-H", "If-None-Match: \(etag)"]).status == 304)
            #expect(try await server.curl("/assets/hello.txt", ["-H", "If-None-Match: \"other\""]).status == 200)
            #expect(try await server.curl("/assets/hello.txt", ["-H", "If-Modified-Since: \(lastModified)"]).status == 304)
            #expect(try await server.curl("/assets/hello.txt", ["-H", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"]).status == 200)
        }
    }

    @Test func byteRanges() async throws {
        try await withServer(assets: ["hello.txt": hello, "empty.bin": ""]) { server in
            func range(_ spec: String, _ extra: [String] = []) async throws -> CurlResult {
                try await server.curl("/assets/hello.txt", ["-H", "Range: \(spec)"] + extra)
            }
            let first = try await range("bytes=0-4")
            #expect(first.status == 206 && first.text == "01234" && first.headers["content-range"] == "bytes 0-4/20")
            let open = try await range("bytes=15-")
            #expect(open.status == 206 && open.text == "fghij" && open.headers["content-length"] == "5")
            let suffix = try await range("bytes=-3")
            #expect(suffix.status == 206 && suffix.text == "hij" && suffix.headers["content-range"] == "bytes 17-19/20")
            let longSuffix = try await range("bytes=-500")
            #expect(longSuffix.status == 206 && longSuffix.text == hello)
            let clamped = try await range("bytes=18-999")
            #expect(clamped.status == 206 && clamped.text == "ij")
            let past = try await range("bytes=20-")
            #expect(past.status == 416 && past.headers["content-range"] == "bytes */20")
            #expect(try await range("bytes=-0").status == 416)
            #expect(try await server.curl("/assets/empty.bin", ["-H", "Range: bytes=0-"]).status == 416)
            // Invalid or unsupported: ignored, whole file.
            for ignored in ["bytes=5-2", "bytes=a-b", "lines=1-2", "bytes=0-1,4-5", "bytes=--1"] {
                let reply = try await range(ignored)
                #expect(reply.status == 200 && reply.text == hello, "\(ignored)")
            }
            let headRange = try await range("bytes=0-3", ["-I"])
            #expect(headRange.status == 206 && headRange.headers["content-length"] == "4" && !headRange.text.contains("0123"))
            let etag = try #require(try await server.curl("/assets/hello.txt").headers["etag"])
            #expect(try await range("bytes=0-1", ["-H", "If-Range: \(etag)"]).status == 206)
            #expect(try await range("bytes=0-1", ["-H", "If-Range: \"stale\""]).status == 200)
        }
    }

    /// A large sparse file streams correctly (and is never held in memory:
    /// the body is written chunk by chunk).
    @Test func largeFileStreams() async throws {
        try await withServer { server in
            let path = server.assetsPath + "/big.img"
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: 3 << 30)  // 3 GiB, sparse
            try handle.seek(toOffset: (3 << 30) - 4)
            try handle.write(contentsOf: Data("tail".utf8))
            try handle.close()
            let head = try await server.curl("/assets/big.img", ["-I"])
            #expect(head.headers["content-length"] == String(3 << 30))
            let tail = try await server.curl("/assets/big.img", ["-H", "Range: bytes=-4"])
            #expect(tail.status == 206 && tail.text == "tail")
            let middle = try await server.curl("/assets/big.img", ["-H", "Range: bytes=1073741824-1107296255"])
            #expect(middle.status == 206 && middle.body.count == 32 << 20 && middle.body.allSatisfy { $0 == 0 })
        }
    }
}
