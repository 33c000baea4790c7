import Foundation
import Testing

private let files: [String: String] = [
    "groups/default.json": #"{"id": "default", "profile": "live", "metadata": {"cluster": "c1", "n": 3}}"#,
    "groups/node1.json": #"{"id": "node1", "profile": "node", "selector": {"mac": "52:54:00:12:34:56"}, "metadata": {"role": "worker"}}"#,
    "groups/installed.json": #"{"id": "installed", "profile": "node", "selector": {"mac": "52:54:00:12:34:56", "os": "installed"}}"#,
    "groups/dangling.json": #"{"id": "dangling", "profile": "ghost", "selector": {"uuid": "dangling"}}"#,
    "groups/templated.json": #"{"id": "templated", "profile": "tmpl", "selector": {"uuid": "tmpl"}, "metadata": {"greeting": "hi"}}"#,
    "groups/unrenderable.json": #"{"id": "unrenderable", "profile": "unrenderable", "selector": {"uuid": "err"}}"#,
    "groups/bare.json": #"{"id": "bare", "profile": "bare", "selector": {"uuid": "bare"}}"#,
    "profiles/live.json": #"{"id": "live", "boot": {"kernel": "/assets/vmlinuz", "initrd": ["/assets/initrd.img"], "args": ["console=ttyS0", "url=http://k/ignition?mac=${mac:hexhyp}"]}, "ignition_id": "live.ign", "generic_id": "plain.txt"}"#,
    "profiles/node.json": #"{"id": "node", "boot": {"kernel": "/assets/node-k", "initrd": ["/a/i1", "/a/i2"], "args": []}, "ignition_id": "node.ignition"}"#,
    "profiles/tmpl.json": #"{"id": "tmpl", "boot": {"kernel": "/k/{{.greeting}}", "args": ["host={{.request.query.uuid}}", "url=http://k/ignition?mac=${mac:hexhyp}"]}, "ignition_id": "t.yaml", "generic_id": "t.txt"}"#,
    "profiles/unrenderable.json": #"{"id": "unrenderable", "boot": {"kernel": "/k", "args": ["x={{.nope}}"]}, "generic_id": "err.txt", "ignition_id": "bad.yaml"}"#,
    "profiles/bare.json": #"{"id": "bare"}"#,
    "ignition/live.ign": "{\"ignition\":{\"version\":\"3.3.0\"}}\n",
    "ignition/node.ignition": "{ \"ignition\" : { \"version\" : \"3.4.0\" } }",
    "ignition/t.yaml": "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/hostname\n      mode: 0644\n      contents:\n        inline: {{.request.query.uuid}}\n",
    "ignition/bad.yaml": "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: {{.request.query.uuid}}\n",
    "generic/plain.txt": "no template actions here\n",
    "generic/t.txt": "hello {{.request.query.uuid}} {{.greeting}}\n",
    "generic/err.txt": "ok\n{{.nope}}\n",
]

/// Each machine endpoint's logic, called in process; HEAD and methods go
/// over the wire with curl, where HTTP/1.1's rules apply.
@Suite struct BootEndpointTests {
    @Test func rootHealthAndBootstrap() async throws {
        try await withRoutes(files: files) { server in
            let root = try await server.get("/")
            #expect(root.status == 200 && root.text == "kiln\n")
            #expect(try await server.get("/healthz").status == 200)
            for path in ["/boot.ipxe", "/boot.ipxe.0"] {
                let boot = try await server.get(path)
                #expect(boot.status == 200)
                #expect(boot.headers["content-type"] == "text/plain; charset=utf-8")
                #expect(boot.text == "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n")
            }
        }
    }

    @Test func ipxeForEachMACFormAndSpecificity() async throws {
        try await withRoutes(files: files) { server in
            for mac in ["52:54:00:12:34:56", "52-54-00-12-34-56", "525400123456", "52-54-00-12-34-56".uppercased()] {
                let reply = try await server.get("/ipxe?mac=\(mac)&uuid=&domain=")
                #expect(reply.status == 200)
                #expect(reply.headers["x-kiln-group"] == "node1")
                #expect(reply.headers["x-kiln-profile"] == "node")
                #expect(reply.text == "#!ipxe\nkernel /assets/node-k\ninitrd /a/i1\ninitrd /a/i2\nboot\n")
            }
            let installed = try await server.get("/ipxe?mac=52:54:00:12:34:56&os=installed")
            #expect(installed.headers["x-kiln-group"] == "installed")
            let other = try await server.get("/ipxe?mac=52:54:00:00:00:01")
            #expect(other.headers["x-kiln-group"] == "default")
            #expect(other.text == "#!ipxe\nkernel /assets/vmlinuz console=ttyS0 url=http://k/ignition?mac=${mac:hexhyp}\ninitrd /assets/initrd.img\nboot\n")
        }
    }

    @Test func headAnswersLikeGetAndOtherMethodsGet405() async throws {
        try await withServer(files: files) { server in
            let head = try await server.curl("/ipxe?mac=52:54:00:12:34:56", ["-I"])
            #expect(head.status == 200)
            #expect(head.headers["x-kiln-group"] == "node1")
            #expect(!head.text.contains("#!ipxe"), "a HEAD answer has no body")
            for (method, path) in [("POST", "/ipxe?mac=52:54:00:12:34:56"), ("PUT", "/assets/x"), ("DELETE", "/nowhere"), ("PATCH", "/ignition")] {
                let reply = try await server.curl(path, ["-X", method])
                #expect(reply.status == 405, "\(method) \(path)")
                #expect(reply.headers["allow"] == "GET, HEAD")
                #expect(reply.text == "method \(method) is not allowed: Kiln's endpoints answer GET and HEAD\n")
            }
        }
    }

    @Test func grubHasEFIAndBIOSEntries() async throws {
        try await withRoutes(files: files) { server in
            let grub = try await server.get("/grub?mac=52:54:00:00:00:01")
            #expect(grub.status == 200)
            #expect(grub.text.contains("linuxefi \"/assets/vmlinuz\" console=ttyS0 url=http://k/ignition?mac=${mac:hexhyp}\n"))
            #expect(grub.text.contains("initrdefi  \"/assets/initrd.img\"\n"))
            #expect(grub.text.contains("linux \"/assets/vmlinuz\" console=ttyS0"))
            #expect(grub.text.hasPrefix("default=0\nfallback=1\ntimeout=1\nmenuentry \"CoreOS (EFI)\" {\n"))
        }
    }

    @Test func metadataIsSortedEnvironmentLines() async throws {
        try await withRoutes(files: files) { server in
            let metadata = try await server.get("/metadata?mac=52-54-00-12-34-56&zone=a")
            #expect(metadata.status == 200)
            #expect(metadata.headers["content-type"] == "text/plain; charset=utf-8")
            #expect(metadata.text == "MAC=52:54:00:12:34:56\nREQUEST_QUERY_MAC=52:54:00:12:34:56\nREQUEST_QUERY_ZONE=a\nREQUEST_RAW_QUERY=mac=52-54-00-12-34-56&zone=a\nROLE=worker\n")
            let fallback = try await server.get("/metadata")
            #expect(fallback.text == "CLUSTER=c1\nN=3\nREQUEST_RAW_QUERY=\n")
        }
    }

    @Test func rawIgnitionIsByteExact() async throws {
        try await withRoutes(files: files) { server in
            let live = try await server.get("/ignition?mac=52:54:00:00:00:01")
            #expect(live.status == 200)
            #expect(live.headers["content-type"] == "application/json")
            #expect(live.body == Data(files["ignition/live.ign"]!.utf8))
            let node = try await server.get("/ignition?mac=52:54:00:12:34:56")
            #expect(node.body == Data(files["ignition/node.ignition"]!.utf8))
        }
    }

    @Test func templatesRenderWithTheMachinesVariables() async throws {
        try await withRoutes(files: files) { server in
            let generic = try await server.get("/generic?uuid=tmpl")
            #expect(generic.status == 200 && generic.text == "hello tmpl hi\n")
            #expect(generic.headers["content-type"] == "text/plain; charset=utf-8")
            let plain = try await server.get("/generic?mac=52:54:00:00:00:01")
            #expect(plain.status == 200 && plain.text == "no template actions here\n")
            // Boot fields are templates too; iPXE's own ${…} pass through.
            let ipxe = try await server.get("/ipxe?uuid=tmpl")
            #expect(ipxe.text == "#!ipxe\nkernel /k/hi host=tmpl url=http://k/ignition?mac=${mac:hexhyp}\nboot\n")
            let ignition = try await server.get("/ignition?uuid=tmpl")
            #expect(ignition.status == 200)
            #expect(ignition.headers["content-type"] == "application/json")
            #expect(ignition.text == #"{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/hostname","contents":{"compression":"","source":"data:,tmpl"},"mode":420}]}}"#)
            let grub = try await server.get("/grub?uuid=tmpl")
            #expect(grub.text.contains("linux \"/k/hi\" host=tmpl url=http://k/ignition?mac=${mac:hexhyp}\n"))
        }
    }

    @Test func renderingErrorsAre500WithFileLineAndReason() async throws {
        try await withRoutes(files: files) { server in
            let generic = try await server.get("/generic?uuid=err")
            #expect(generic.status == 500)
            #expect(generic.text == "generic/err.txt:2:3: map has no entry for key \"nope\"\n")
            let ipxe = try await server.get("/ipxe?uuid=err")
            #expect(ipxe.status == 500)
            #expect(ipxe.text == "profiles/unrenderable.json boot.args[0]:1:5: map has no entry for key \"nope\"\n")
            let butane = try await server.get("/ignition?uuid=err")
            #expect(butane.status == 500)
            #expect(butane.text == "ignition/bad.yaml (as rendered for this machine): error: line 5 column 13: storage.files.0.path: path \"err\" must be absolute\n")
            let cloud = try await server.get("/cloud?mac=52:54:00:00:00:01")
            #expect(cloud.status == 404 && cloud.text == "profile \"live\" has no cloud_id\n")
        }
    }

    @Test func errorsSayWhatHappened() async throws {
        try await withRoutes(files: files) { server in
            let badMAC = try await server.get("/ipxe?mac=52:54:00:zz:34:56")
            #expect(badMAC.status == 400)
            #expect(badMAC.text.hasPrefix("malformed MAC address mac=52:54:00:zz:34:56"))
            let dangling = try await server.get("/ipxe?uuid=dangling")
            #expect(dangling.status == 404)
            #expect(dangling.text == "group \"dangling\" names profile \"ghost\", which does not exist\n")
            let noKernel = try await server.get("/ipxe?uuid=bare")
            #expect(noKernel.status == 404 && noKernel.text == "profile \"bare\" has no boot.kernel to boot\n")
            let unknown = try await server.get("/nowhere")
            #expect(unknown.status == 404 && unknown.text.hasPrefix("no endpoint /nowhere"))
        }
    }

    @Test func noMatchNamesTheLabels() async throws {
        try await withRoutes(files: [
            "groups/only.json": #"{"id": "only", "profile": "p", "selector": {"mac": "52:54:00:12:34:56"}}"#,
            "profiles/p.json": #"{"id": "p", "boot": {"kernel": "/k"}}"#,
        ]) { server in
            let reply = try await server.get("/ipxe?uuid=4c4c4544&mac=52-54-00-ab-cd-ef&hostname=&arch=x86_64")
            #expect(reply.status == 404)
            #expect(reply.text == "no group matches mac=52:54:00:ab:cd:ef uuid=4c4c4544 arch=x86_64\n")
            for path in ["/grub", "/metadata", "/ignition", "/generic", "/cloud"] {
                #expect(try await server.get(path + "?mac=52:54:00:00:00:09").status == 404)
            }
        }
    }

    @Test func metricsCountRequestsMatchesAndLoads() async throws {
        try await withRoutes(files: files) { server in
            _ = try await server.get("/ipxe?mac=52:54:00:12:34:56")
            _ = try await server.get("/ipxe?mac=bad")
            let metrics = try await server.get("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(metrics.text.contains(#"kiln_http_requests_total{endpoint="ipxe",status="200"} 1"#))
            #expect(metrics.text.contains(#"kiln_http_requests_total{endpoint="ipxe",status="400"} 1"#))
            #expect(metrics.text.contains(#"kiln_match_groups_total{group="node1"} 1"#))
            #expect(metrics.text.contains("kiln_catalog_reloads_total 1"))
            #expect(metrics.text.contains("kiln_catalog_reload_failures_total 0"))
            #expect(metrics.text.contains("kiln_catalog_groups 7"))
        }
    }
}
