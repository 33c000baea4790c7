import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KilnCore
import KilnRender
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
@testable import KilnHTTP

private let files: [String: String] = [
    "groups/node1.json": #"{"id": "node1", "profile": "node", "selector": {"mac": "52:54:00:12:34:56"}, "metadata": {"hostname": "node1"}}"#,
    "groups/dangling.json": #"{"id": "dangling", "profile": "ghost", "selector": {"uuid": "dangling"}}"#,
    "groups/bare.json": #"{"id": "bare", "profile": "bare", "selector": {"uuid": "bare"}}"#,
    "profiles/node.json": #"{"id": "node", "boot": {"kernel": "/assets/k"}, "ignition_id": "node.yaml", "generic_id": "user-data"}"#,
    "profiles/bare.json": #"{"id": "bare", "installer_iso": "fcos.iso"}"#,
    "ignition/node.yaml": "variant: fcos\nversion: 1.5.0\n",
    "generic/user-data": "#cloud-config\nhostname: {{.hostname}}\n",
]

@Suite struct RequestPipelineTests {
    @Test func unknownPathsListTheRouteTable() async throws {
        try await withRoutes(files: files) { server in
            let reply = try await server.get("/nowhere")
            #expect(reply.status == 404)
            #expect(reply.text == "no endpoint /nowhere; Kiln serves /boot.ipxe /ipxe /grub /metadata /ignition /generic /cloud /configdrive.iso /netboot.iso /installer.iso /ignition.img /assets/ /metrics /healthz\n")
        }
    }

    /// A kernel is recorded when its last byte is written: the inventory
    /// gets the bytes sent and the whole transfer's duration.
    @Test func aStreamedAssetIsRecordedWhenItsLastByteIsSent() async throws {
        let folder = NSTemporaryDirectory() + "kiln-sent-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let size = 3 * 512 * 1024 + 17
        try Data(repeating: 7, count: size).write(to: URL(fileURLWithPath: folder + "/vmlinuz"))
        let records = Mutex<[RequestRecord]>([])
        let quiet = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }
        let routes = KilnRoutes(store: SnapshotStore<CompiledCatalog>(), assetsPath: folder, metrics: KilnMetrics(), logger: quiet,
                                subscriber: { record in records.withLock { $0.append(record) } })
        let app = Application(router: routes.makeRouter(), logger: quiet)
        try await app.test(.router) { client in
            try await client.execute(uri: "/assets/vmlinuz", method: .get) { response in
                #expect(response.body.readableBytes == size)
            }
            try await client.execute(uri: "/assets/vmlinuz", method: .get, headers: [.range: "bytes=0-99"]) { response in
                #expect(response.status == .partialContent)
            }
        }
        let seen = records.withLock { $0 }
        #expect(seen.map(\.bytes) == [size, 100])
        #expect(seen.map(\.status) == [200, 206])
        #expect(seen.allSatisfy { $0.reason == nil && $0.duration > .zero })
    }

    @Test func everyRequestIsRecordedOnceWithItsMatch() async throws {
        try await withRoutes(files: files) { server in
            _ = try await server.get("/ipxe?mac=52-54-00-12-34-56")
            _ = try await server.get("/ipxe?mac=zz")
            _ = try await server.get("/ipxe?uuid=dangling")
            _ = try await server.get("/boot.ipxe")
            _ = try await server.get("/ipxe", method: .post)
            let lines = server.log.lines.withLock { $0 }
            #expect(lines == [
                "info GET /ipxe status=200 labels=mac=52:54:00:12:34:56 group=node1 profile=node",
                "warning GET /ipxe status=400 query=mac=zz reason=malformed MAC address mac=zz: expected six hex bytes such as 52:54:00:12:34:56, 52-54-00-12-34-56 or 525400123456",
                "warning GET /ipxe status=404 labels=uuid=dangling group=dangling reason=group \"dangling\" names profile \"ghost\", which does not exist",
                "info GET /boot.ipxe status=200",
                "warning POST /ipxe status=405 reason=method POST is not allowed: Kiln's endpoints answer GET and HEAD",
            ])
        }
    }

    @Test func beforeTheFirstLoadMachineEndpointsAnswer503() async throws {
        try await withRoutes(files: files, load: false) { server in
            for path in ["/ipxe?mac=52:54:00:12:34:56", "/ignition", "/configdrive.iso", "/healthz"] {
                let reply = try await server.get(path)
                #expect(reply.status == 503, "\(path)")
                #expect(reply.text == "data directory not loaded yet\n")
            }
            #expect(try await server.get("/boot.ipxe").status == 200)
        }
    }

    @Test func optionsAreSetAsideFromLabels() {
        let (labels, options) = RequestPipeline.setAside(["format"], from: "format=cidata&mac=52:54:00:12:34:56&format=config-2&formats=x&format")
        #expect(labels == "mac=52:54:00:12:34:56&formats=x&format")
        #expect(options == ["format": "cidata"])
        #expect(RequestPipeline.setAside(["format"], from: "").labels == "")
    }

    @Test func configDriveAndInitrdAnswerThroughTheSamePipeline() async throws {
        try await withRoutes(files: files) { server in
            let drive = try await server.get("/configdrive.iso?format=cidata&mac=52:54:00:12:34:56")
            #expect(drive.status == 200)
            #expect(drive.headers["content-type"] == "application/x-iso9660-image")
            #expect(drive.headers["content-disposition"] == "attachment; filename=\"52-54-00-12-34-56-cidata.iso\"")
            #expect(drive.headers["x-kiln-group"] == "node1")
            #expect(drive.body.count > 32768)
            let format = try await server.get("/configdrive.iso?format=vfat&mac=52:54:00:12:34:56")
            #expect(format.status == 400 && format.text == "format \"vfat\" is not config-2 or cidata\n")
            let initrd = try await server.get("/ignition.img?mac=52:54:00:12:34:56")
            #expect(initrd.status == 200)
            #expect(initrd.headers["content-type"] == "application/octet-stream")
            #expect(initrd.body.starts(with: Data([0x1F, 0x8B])) || initrd.body.starts(with: Data("070701".utf8)))
            let noInstaller = try await server.get("/installer.iso?mac=52:54:00:12:34:56")
            #expect(noInstaller.status == 404 && noInstaller.text == "profile \"node\" has no installer_iso\n")
            let noIgnition = try await server.get("/installer.iso?uuid=bare")
            #expect(noIgnition.status == 404 && noIgnition.text == "profile \"bare\" has no ignition_id\n")
        }
    }

    @Test func aRecordBecomesOneLogLineEndingInTheClient() throws {
        var record = RequestRecord(endpoint: "ipxe", method: "GET", path: "/ipxe")
        record.status = 200
        record.labels = try Labels(query: "mac=52:54:00:12:34:56")
        record.group = "node1"
        record.profile = "node"
        record.warnings = ["a", "b"]
        record.client = try SocketAddress(ipAddress: "10.0.0.7", port: 4000)
        #expect(RequestLog.line(record) == "GET /ipxe status=200 labels=mac=52:54:00:12:34:56 group=node1 profile=node butane_warnings=a; b client=10.0.0.7")
    }

    /// A source that pushes changes (as API writes and a store's watch
    /// will) is reloaded without polling.
    @Test func aPushingSourceIsReloadedWhenItAnnouncesAChange() async throws {
        let source = InMemorySource(files)
        let store = SnapshotStore<CompiledCatalog>()
        let logger = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }
        let reloader = CatalogReloader(source: source, store: store, metrics: KilnMetrics(), logger: logger)
        let group = ServiceGroup(services: [reloader], logger: logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }
        for _ in 0..<200 where store.current == nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(store.current?.catalog.groups.count == 3)
        var changed = files
        changed["groups/node2.json"] = #"{"id": "node2", "profile": "node", "selector": {"mac": "52:54:00:12:34:57"}}"#
        source.publish(changed)
        for _ in 0..<200 where store.current?.catalog.groups.count != 4 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(store.current?.catalog.groups.count == 4)
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
