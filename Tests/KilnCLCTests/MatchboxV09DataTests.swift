import Foundation
import KilnCLC
import KilnCore
import KilnRender
import Testing

/// A matchbox v0.9-era data directory (Tests/Fixtures/matchbox-v0.9):
/// profiles naming CLC templates serve Ignition 2.2.0 as matchbox did.
@Suite struct MatchboxV09DataTests {
    static let dataPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/matchbox-v0.9").path

    func renderer() throws -> Renderer {
        let outcome = CatalogLoader(dataPath: Self.dataPath).load()
        let catalog = try #require(outcome.catalog, "\(outcome.diagnostics)")
        let (compiled, diagnostics) = CompiledCatalog.compile(catalog)
        #expect(!diagnostics.contains { $0.severity == .error }, "\(diagnostics)")
        return Renderer(try #require(compiled))
    }

    func ignition(_ renderer: Renderer, _ query: String, _ document: MachineDocument = .config(.ignition)) throws -> String {
        let labels = try Labels(query: query)
        guard case .success(let match) = renderer.catalog.match(labels) else { throw CancellationError() }
        let answer = try renderer.answer(document, match, labels)
        return String(decoding: try #require(answer.bytes), as: UTF8.self)
    }

    @Test func theEtcd3NodeGetsWhatMatchboxServed() throws {
        let text = try ignition(try renderer(), "mac=52-54-00-a1-9c-ae")
        #expect(text == #"{"ignition":{"config":{},"security":{"tls":{}},"timeouts":{},"version":"2.2.0"},"networkd":{},"passwd":{},"storage":{},"systemd":{"units":[{"dropins":[{"contents":"[Service]\nEnvironment=\"ETCD_IMAGE_TAG=v3.2.0\"\nEnvironment=\"ETCD_NAME=node1\"\nEnvironment=\"ETCD_ADVERTISE_CLIENT_URLS=http://node1.example.com:2379\"\nEnvironment=\"ETCD_INITIAL_ADVERTISE_PEER_URLS=http://node1.example.com:2380\"\nEnvironment=\"ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:2379\"\nEnvironment=\"ETCD_LISTEN_PEER_URLS=http://0.0.0.0:2380\"\nEnvironment=\"ETCD_INITIAL_CLUSTER=node1=http://node1.example.com:2380,node2=http://node2.example.com:2380,node3=http://node3.example.com:2380\"\nEnvironment=\"ETCD_STRICT_RECONFIG_CHECK=true\"\n","name":"40-etcd-cluster.conf"}],"enable":true,"name":"etcd-member.service"},{"dropins":[{"contents":"[Service]\nEnvironment=\"REBOOT_STRATEGY=etcd-lock\"\n","name":"40-etcd-lock.conf"}],"name":"locksmithd.service"}]}}"#)
    }

    @Test func theInstallerAndTheInstalledMachine() throws {
        let renderer = try renderer()
        let install = try ignition(renderer, "mac=52-54-00-00-00-01")
        #expect(Ignition2Structure.check(Array(install.utf8)) == [])
        #expect(install.contains(#""path":"/opt/installer","contents":{"source":"data:,%23!%2Fbin%2Fbash%20-ex%0Acurl%20--fail%20%22http%3A%2F%2Fmatchbox.foo%3A8080%2Fignition%3Fmac%3D52-54-00-00-00-01%26os%3Dinstalled%22"#))
        #expect(install.contains(#""mode":320"#))
        #expect(install.contains(#""passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0g+ZTxC7weoIJLUafOgrm+h..."]}]}"#))
        // After the install the machine asks with os=installed and gets its SSH config (no keys in that group).
        let installed = try ignition(renderer, "mac=52-54-00-00-00-01&os=installed")
        #expect(installed == #"{"ignition":{"config":{},"security":{"tls":{}},"timeouts":{},"version":"2.2.0"},"networkd":{},"passwd":{},"storage":{},"systemd":{}}"#)
        // /cloud serves cloud-configs and scripts only, as matchbox did.
        let cloud = try ignition(renderer, "mac=52-54-00-00-00-01", .config(.cloud))
        #expect(Renderer.cloudEndpointRefusal(Array(cloud.utf8)) != nil)
        #expect(Renderer.cloudEndpointRefusal(Array("#cloud-config\nhostname: a\n".utf8)) == nil)
        #expect(Renderer.cloudEndpointRefusal(Array("#!/bin/sh\ntrue\n".utf8)) == nil)
    }

    @Test func aProfileChoosesIgnition2_3AndAPlatform() throws {
        let clc = "etcd:\n  name: \"{HOSTNAME}\"\nstorage:\n  disks:\n    - device: /dev/vda\n      partitions:\n        - size: 1GiB\n"
        func catalog(_ profile: Profile, template: String = clc) -> Catalog {
            Catalog(groups: [Group(id: "g", profile: "p")], profiles: [profile],
                    templates: [TemplateFile(kind: .ignition, id: "c.yaml", path: "ignition/c.yaml", bytes: Array(template.utf8))])
        }
        // Without a platform the dynamic data fails the load, with the file and line.
        let (refused, problems) = CompiledCatalog.compile(catalog(Profile(id: "p", ignitionID: "c.yaml")))
        #expect(refused == nil)
        #expect(problems.contains { $0.description.hasPrefix("ignition/c.yaml:2:3: error: clc: etcd: platform must be specified") })
        let (unknown, why) = CompiledCatalog.compile(catalog(Profile(id: "p", ignitionID: "c.yaml", clcPlatform: "mars")))
        #expect(unknown == nil)
        #expect(why.contains { $0.description.contains("clc_platform \"mars\"") })
        let compiled = try #require(CompiledCatalog.compile(catalog(Profile(id: "p", ignitionID: "c.yaml", clcIgnitionVersion: "2.3.0", clcPlatform: "custom"))).0)
        let text = try ignition(Renderer(compiled), "mac=52-54-00-00-00-02")
        #expect(text.contains(#""version":"2.3.0""#) && text.contains(#""sizeMiB":1024"#) && text.contains("${COREOS_CUSTOM_HOSTNAME}"))
        // Templated: the same settings apply as rendered.
        let templated = try #require(CompiledCatalog.compile(catalog(Profile(id: "p", ignitionID: "c.yaml", clcIgnitionVersion: "2.3.0", clcPlatform: "custom"),
                                                                     template: clc + "{{/* per machine */}}")).0)
        #expect(try ignition(Renderer(templated), "mac=52-54-00-00-00-02") == text)
    }
}
