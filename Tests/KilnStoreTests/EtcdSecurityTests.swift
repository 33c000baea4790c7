import Foundation
import KilnEtcd
import KilnTestSupport
import Testing

/// etcd's own security, as a site turns it on: users with passwords, and
/// TLS with client certificates.
@Suite(.serialized) struct EtcdSecurityTests {
    let key = Array("/kiln/catalog/groups/secure.json".utf8)

    @Test func withEtcdUsersOnlyTheRightPasswordGetsIn() async throws {
        guard let member = try await EtcdMember.start() else { return }
        defer { member.stop() }
        guard let etcdctl = ProcessRunner.find("etcdctl") else {
            print("skipped: etcdctl is not installed (apt-get install etcd-client; make test installs it)")
            return
        }
        for arguments in [["user", "add", "root:s3cret"], ["auth", "enable"]] {
            let result = try await ProcessRunner.run(etcdctl, ["--endpoints", member.httpURL] + arguments, timeout: .seconds(30))
            try #require(result.status == 0, "etcdctl \(arguments): \(result.stderr)")
        }
        let address = try EtcdAddress(member.url())
        let client = try EtcdClient(address: address, credentials: .init(username: "root", password: "s3cret"))
        defer { Task { await client.shutdown() } }
        try await client.put(key, Array("{}".utf8))
        #expect(try await client.range(key).kvs.first?.value == Array("{}".utf8))

        let anonymous = try EtcdClient(address: address)
        let wrong = try EtcdClient(address: address, credentials: .init(username: "root", password: "guess"))
        defer { Task { await anonymous.shutdown(); await wrong.shutdown() } }
        await #expect(throws: EtcdError.self) { try await anonymous.put(key, Array("x".utf8)) }
        await #expect(throws: EtcdError.self) { try await wrong.put(key, Array("x".utf8)) }
        #expect(try await client.range(key).kvs.first?.value == Array("{}".utf8))
    }

    @Test func overTLSAClientCertificateFromTheSitesCAGetsIn() async throws {
        guard EtcdMember.binary != nil, let openssl = ProcessRunner.find("openssl") else {
            print("skipped: etcd or openssl is not installed (make test installs them)")
            return
        }
        let folder = NSTemporaryDirectory() + "kiln-etcd-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func run(_ arguments: [String]) async throws {
            let result = try await ProcessRunner.run(openssl, arguments, timeout: .seconds(60))
            try #require(result.status == 0, "openssl \(arguments.first ?? ""): \(result.stderr)")
        }
        func sign(_ name: String, usage: String) async throws {
            try await run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).csr", "-subj", "/CN=\(name)"])
            try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=\(usage)\n".write(toFile: "\(folder)/\(name).ext", atomically: true, encoding: .utf8)
            try await run(["x509", "-req", "-in", "\(folder)/\(name).csr", "-CA", "\(folder)/ca.pem", "-CAkey", "\(folder)/ca.key", "-CAcreateserial",
                           "-out", "\(folder)/\(name).pem", "-days", "1", "-extfile", "\(folder)/\(name).ext"])
        }
        try await run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(folder)/ca.key", "-out", "\(folder)/ca.pem", "-days", "1", "-subj", "/CN=kiln-test-ca"])
        // etcd 3.4's gateway dials its own gRPC server with the server certificate as a client one.
        try await sign("server", usage: "serverAuth,clientAuth")
        try await sign("client", usage: "clientAuth")
        let tls = EtcdMember.TLS(ca: "\(folder)/ca.pem", serverCertificate: "\(folder)/server.pem", serverKey: "\(folder)/server.key",
                                 clientCertificate: "\(folder)/client.pem", clientKey: "\(folder)/client.key")
        guard let member = try await EtcdMember.start(tls: tls) else { return }
        defer { member.stop() }
        let address = try EtcdAddress(member.url())
        #expect(address.tls)
        let client = try EtcdClient(address: address, tls: .init(caFile: tls.ca, certificateFile: tls.clientCertificate, keyFile: tls.clientKey))
        defer { Task { await client.shutdown() } }
        try await client.put(key, Array("{}".utf8))
        #expect(try await client.range(key).kvs.count == 1)

        // Without a client certificate the member refuses the handshake.
        let uncertified = try EtcdClient(address: address, tls: .init(caFile: tls.ca), requestTimeout: .seconds(1))
        defer { Task { await uncertified.shutdown() } }
        await #expect(throws: EtcdError.self) { _ = try await uncertified.range(key) }
    }
}
