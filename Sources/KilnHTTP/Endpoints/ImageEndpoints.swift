import HTTPTypes
import Hummingbird
import KilnCore
import KilnISO
import KilnRender
import NIOCore
import NIOPosix
import Synchronization
import _NIOFileSystem

/// `/configdrive.iso`, `/installer.iso`, `/ignition.img` and
/// `/netboot.iso`. Making an image blocks (libarchive lays one out through a
/// temporary file; an installer ISO's layout is read from disk), so that
/// work runs on NIO's thread pool, never on the threads that serve requests.
struct ImageEndpoints: Sendable {
    /// Kiln's URL for `/netboot.iso` images; nil takes it from each
    /// request's Host.
    let publicURL: String?
    let netbootSources: NetbootSources
    private let netbootImages = NetbootImageCache()

    /// Where installer ISOs' bases are found; nil when the directory is missing.
    let assetsRoot: String?

    init(publicURL: String?, netbootSources: NetbootSources, assetsRoot: String?) {
        self.publicURL = publicURL
        self.netbootSources = netbootSources
        self.assetsRoot = assetsRoot
    }

    func routes() -> [Route] {
        [
            .matched("/configdrive.iso", "configdrive", options: ["format"]) { request in await configDrive(request) },
            .plain("/netboot.iso", "netboot") { request in await netboot(request) },
            .matched("/installer.iso", "installer") { request in await installer(request) },
            .matched("/ignition.img", "ignition.img") { request in ignitionInitrd(request) },
        ]
    }

    func configDrive(_ request: MatchedRequest) async -> Reply {
        let formatName = request.options["format"] ?? ConfigDriveFormat.openStack.rawValue
        guard let format = ConfigDriveFormat(rawValue: formatName) else {
            return .failure(.badRequest, "format \"\(formatName)\" is not \(ConfigDriveFormat.names)")
        }
        let answer: MachineAnswer
        do throws(AnswerFailure) {
            answer = try request.answer(.configDrive)
        } catch {
            return .refusal(error)
        }
        guard case .configDrive(let contents) = answer.body else { return .failure(.internalServerError, "no config drive contents") }
        let machine = request.labels.values["mac"].map { $0.replacingOccurrences(of: ":", with: "-") } ?? request.match.group.id
        switch await Self.offload({ try ConfigDrive.build(format, contents) }) {
        case .success(let image): return Self.reply(image, filename: "\(machine)-\(format.rawValue).iso").warning(answer.warnings)
        case .failure(let error): return Reply.failure(.internalServerError, "config drive: \(error)").warning(answer.warnings)
        }
    }

    /// An initrd holding the machine's `config.ign`, for kernels booted
    /// with it as an extra initrd (the PXE counterpart of the ISO embed).
    func ignitionInitrd(_ request: MatchedRequest) -> Reply {
        let ignition: MachineAnswer
        do throws(AnswerFailure) {
            ignition = try request.answer(.config(.ignition))
        } catch {
            return .refusal(error)
        }
        do {
            return Reply.bytes(try Initrd.build([ISOFile("config.ign", ignition.bytes ?? [])]), contentType: "application/octet-stream")
                .warning(ignition.warnings)
        } catch {
            return Reply.failure(.internalServerError, "initrd: \(error)").warning(ignition.warnings)
        }
    }

    func installer(_ request: MatchedRequest) async -> Reply {
        guard let spec = request.match.profile.installer else {
            return .failure(.notFound, "profile \"\(request.match.profile.id)\" has no installer_iso")
        }
        let ignition: MachineAnswer
        do throws(AnswerFailure) {
            ignition = try request.answer(.config(.ignition))
        } catch {
            return .refusal(error)
        }
        return await installer(request.request, ignition: ignition.bytes ?? [], spec: spec).warning(ignition.warnings)
    }

    static let contentType = "application/x-iso9660-image"

    static func reply(_ image: [UInt8], filename: String) -> Reply {
        var reply = Reply.bytes(image, contentType: contentType)
        reply.headers[.contentDisposition] = "attachment; filename=\"\(filename)\""
        return reply
    }

    /// Runs blocking image work on NIO's thread pool.
    static func offload<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async -> Result<Value, ISOError> {
        do {
            return .success(try await NIOThreadPool.singleton.runIfActive { try work() })
        } catch let error as ISOError {
            return .failure(error)
        } catch {
            return .failure(ISOError("the image could not be made: \(error)"))
        }
    }

    /// The base ISO streamed with the machine's customisation laid over it:
    /// memory stays at one chunk whatever the ISO's size.
    func installer(_ request: Request, ignition: [UInt8], spec: InstallerSpec) async -> Reply {
        guard let assetsRoot else { return .failure(.notFound, "installer_iso \(spec.baseISO): the assets directory does not exist") }
        let base: String
        do throws(ConfinedFile.Refusal) {
            let components = try ConfinedFile.check(spec.baseISO.split(separator: "/").map { Array($0.utf8) })
            base = try ConfinedFile.resolve(components, root: assetsRoot, displayName: spec.baseISO).path
        } catch {
            return .failure(.notFound, "installer_iso \(spec.baseISO): \(error.description) in the assets directory")
        }
        let customisation: Customisation
        switch await Self.offload({ try Self.customisation(base: base, ignition: ignition, spec: spec) }) {
        case .success(let ready): customisation = ready
        case .failure(let error): return .failure(.internalServerError, "installer_iso \(spec.baseISO): \(error)")
        }
        let layout = customisation.layout
        let patches = customisation.patches
        let size = Int64(layout.size)
        var headers = HTTPFields()
        headers[.contentType] = Self.contentType
        headers[.contentDisposition] = "attachment; filename=\"\(Self.filename(spec.baseISO))\""
        headers[.contentLength] = String(size)
        guard request.method != .head else { return Reply(status: .ok, headers: headers) }
        let body = ResponseBody(contentLength: Int(size)) { writer in
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(base)) { handle in
                // One chunk read, patched and written at a time: a read-ahead
                // stream kept dozens of megabytes in flight per download.
                var offset: Int64 = 0
                while offset < size {
                    var chunk = try await handle.readChunk(fromAbsoluteOffset: offset, length: .bytes(min(Int64(Self.chunkLength), size - offset)))
                    guard chunk.readableBytes > 0 else { throw FileShrank(path: base) }
                    let start = chunk.readerIndex
                    InstallerISO.overlay(patches, offset: UInt64(offset), count: chunk.readableBytes) { at, bytes in
                        chunk.setBytes(bytes, at: start + at)
                    }
                    offset += Int64(chunk.readableBytes)
                    try await writer.write(chunk)
                }
            }
            try await writer.finish(nil)
        }
        return Reply(status: .ok, headers: headers, body: body)
    }

    static let chunkLength = 1024 * 1024

    struct Customisation: Sendable {
        var layout: InstallerLayout
        var patches: [ISOPatch]
    }

    /// Reads the base's layout and builds the patches (blocking file reads).
    static func customisation(base: String, ignition: [UInt8], spec: InstallerSpec) throws -> Customisation {
        let layout = try InstallerISO.layout(of: base)
        let patches = try InstallerISO.patches(layout, ignition: ignition, destinationDevice: spec.destinationDevice,
                                               kernelArguments: spec.kernelArguments)
        return Customisation(layout: layout, patches: patches)
    }

    static func filename(_ base: String) -> String {
        let name = base.split(separator: "/").last.map(String.init) ?? "installer.iso"
        return name.filter { $0 != "\"" && $0 != "\\" && !$0.isNewline }
    }

    func netboot(_ request: Request) async -> Reply {
        let server: String
        do {
            if let publicURL {
                server = publicURL
            } else if let host = request.head.authority, !host.isEmpty {
                server = try NetbootISO.serverURL("http://" + host)
            } else {
                return .failure(.badRequest, "no Host header to build the server URL from; start kiln serve with --public-url")
            }
        } catch {
            return .failure(.badRequest, error.description)
        }
        if let cached = netbootImages.image(for: server) {
            return Self.reply(cached, filename: "kiln-netboot.iso")
        }
        let sources = netbootSources
        switch await Self.offload({ try NetbootISO.build(server: server, sources: sources) }) {
        case .success(let image):
            netbootImages.store(image, for: server)
            return Self.reply(image, filename: "kiln-netboot.iso")
        case .failure(let error):
            return .failure(.internalServerError, "netboot image: \(error)")
        }
    }
}

/// One image per server URL: every machine gets the same bytes. A few
/// URLs at most (the names a server is reached by).
final class NetbootImageCache: Sendable {
    private let images = Mutex<[String: [UInt8]]>([:])

    func image(for server: String) -> [UInt8]? {
        images.withLock { $0[server] }
    }

    func store(_ image: [UInt8], for server: String) {
        images.withLock { images in
            if images.count >= 8 { images.removeAll() }
            images[server] = image
        }
    }
}
