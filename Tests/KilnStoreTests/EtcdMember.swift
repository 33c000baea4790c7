import Foundation
import KilnEtcd
import KilnTestSupport
import Testing

/// One real etcd member (Debian's `etcd`) on loopback, in a folder of its
/// own, stopped when the test is done. Tests skip with a message when the
/// binary is missing (make test installs it).
final class EtcdMember: @unchecked Sendable {
    let process = Process()
    let folder: String
    let clientPort: Int

    static var binary: String? {
        ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Certificates for a member that serves TLS and asks for client certificates.
    struct TLS {
        var ca: String
        var serverCertificate: String
        var serverKey: String
        var clientCertificate: String
        var clientKey: String
    }

    let tls: TLS?

    /// Started and answering, or nil (with the reason recorded) when etcd is not installed.
    static func start(tls: TLS? = nil) async throws -> EtcdMember? {
        guard let binary else {
            print("skipped: etcd is not installed (apt-get install etcd-server; make test installs it)")
            return nil
        }
        let member = try EtcdMember(binary: binary, tls: tls)
        let files = EtcdClient.TLSFiles(caFile: tls?.ca, certificateFile: tls?.clientCertificate, keyFile: tls?.clientKey)
        let client = try EtcdClient(address: try EtcdAddress(member.url("/probe")), tls: files, requestTimeout: .seconds(1))
        defer { Task { await client.shutdown() } }
        for _ in 0..<100 {
            if (try? await client.range(Array("/probe".utf8))) != nil { return member }
            try await Task.sleep(for: .milliseconds(100))
        }
        member.stop()
        throw EtcdError(.unavailable, "etcd did not answer within 10 s")
    }

    private init(binary: String, tls: TLS?) throws {
        self.tls = tls
        folder = NSTemporaryDirectory() + "kiln-etcd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        clientPort = freeLoopbackPort()
        let peerPort = freeLoopbackPort()
        process.executableURL = URL(fileURLWithPath: binary)
        let scheme = tls == nil ? "http" : "https"
        process.arguments = [
            "--name", "test", "--data-dir", folder + "/data",
            "--listen-client-urls", "\(scheme)://127.0.0.1:\(clientPort)", "--advertise-client-urls", "\(scheme)://127.0.0.1:\(clientPort)",
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-cluster", "test=http://127.0.0.1:\(peerPort)", "--log-level", "error",
        ] + (tls.map { ["--cert-file", $0.serverCertificate, "--key-file", $0.serverKey, "--trusted-ca-file", $0.ca, "--client-cert-auth"] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    func url(_ prefix: String = "/kiln") -> String { (tls == nil ? "etcd" : "etcds") + "://127.0.0.1:\(clientPort)\(prefix)" }

    var httpURL: String { (tls == nil ? "http" : "https") + "://127.0.0.1:\(clientPort)" }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    deinit { stop() }
}
