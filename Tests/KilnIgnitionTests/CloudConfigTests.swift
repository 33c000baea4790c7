import KilnIgnition
import Testing

@Suite struct CloudConfigTests {
    @Test func aCoreOSCloudConfigPasses() {
        let text = """
            #cloud-config
            hostname: node1
            ssh_authorized_keys:
              - ssh-ed25519 AAAA core@example
            coreos:
              etcd2:
                advertise-client-urls: http://10.0.0.11:2379
              update:
                reboot-strategy: etcd-lock
              units:
                - name: etcd2.service
                  command: start
                - name: docker.service
                  drop-ins:
                    - name: 50-opts.conf
                      content: |
                        [Service]
                        Environment=DOCKER_OPTS=--debug
            write_files:
              - path: /etc/motd
                permissions: "0644"
                content: Provisioned by Kiln.
            users:
              - name: ops
                groups: [sudo]
            manage_etc_hosts: localhost
            runcmd:
              - echo done
            """
        #expect(CloudConfig.check(text).isEmpty, "\(CloudConfig.check(text))")
    }

    @Test func brokenYAMLIsAnErrorWithItsPosition() throws {
        let findings = CloudConfig.check("#cloud-config\nhostname: node1\nwrite_files:\n  - path: /a\n   content: [unclosed\n")
        let error = try #require(findings.first)
        #expect(error.severity == .error)
        #expect(error.line == 5)
        #expect(error.description.contains("YAML"))
    }

    @Test func unknownKeysAreWarningsNamingWhere() {
        let findings = CloudConfig.check("#cloud-config\nhostnme: node1\ncoreos:\n  unitz: []\n  units:\n    - name: a.service\n      comand: start\nwrite_files:\n  - path: /a\n    contnet: x\n")
        #expect(findings.allSatisfy { $0.severity == .warning })
        #expect(findings.map(\.path) == ["hostnme", "coreos.unitz", "coreos.units.0.comand", "write_files.0.contnet"])
        #expect(findings.first?.line == 2)
    }

    @Test func wrongShapesAreErrors() {
        #expect(CloudConfig.check("#cloud-config\ncoreos: yes\n").contains { $0.severity == .error && $0.path == "coreos" })
        #expect(CloudConfig.check("#cloud-config\nwrite_files:\n  path: /a\n").contains { $0.severity == .error })
        #expect(CloudConfig.check("#cloud-config\nwrite_files:\n  - content: x\n").contains { $0.description.contains("needs a path") })
        #expect(CloudConfig.check("#cloud-config\n- just\n- a list\n").contains { $0.severity == .error })
        #expect(CloudConfig.check("#cloud-config\nssh_authorized_keys: ssh-ed25519 AAAA\n").contains { $0.severity == .error })
    }

    @Test func scriptsAndOtherTextAreNotChecked() {
        #expect(CloudConfig.check("#!/bin/sh\necho {{ not yaml\n").isEmpty)
        #expect(CloudConfig.check("").isEmpty)
        #expect(CloudConfig.check("hostname: x\n").isEmpty)
        // An empty cloud-config is valid: it changes nothing.
        #expect(CloudConfig.check("#cloud-config\n").isEmpty)
    }
}
