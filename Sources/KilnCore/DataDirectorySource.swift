import Foundation

/// A matchbox-layout data directory as a catalog source: `groups/*.json`,
/// `profiles/*.json`, and the files under `ignition/`, `cloud/` and
/// `generic/`. Changes are found by polling a stat-only fingerprint.
public struct DataDirectorySource: CatalogSource {
    /// Larger files are refused: a data file this big is a mistake, and every
    /// file is held in memory.
    public static let maxFileSize = 16 << 20
    /// How deep template folders are read (ids such as `site/a/node.yaml`);
    /// the fingerprint watches the same depth.
    static let templateDepth = 8

    public let dataPath: String
    public let pollInterval: Duration

    public init(dataPath: String, pollInterval: Duration = .seconds(1)) {
        self.dataPath = dataPath
        self.pollInterval = pollInterval
    }

    public var origin: String { dataPath }

    public func snapshot() -> CatalogSnapshot {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            return CatalogSnapshot(diagnostics: [Diagnostic(.error, path: dataPath, "data directory does not exist or is not a directory")],
                                   isReadable: false)
        }
        var snapshot = CatalogSnapshot(localFilesDirectory: dataPath + "/files")
        snapshot.groups = jsonFiles(in: "groups", diagnostics: &snapshot.diagnostics)
        snapshot.profiles = jsonFiles(in: "profiles", diagnostics: &snapshot.diagnostics)
        for kind in TemplateKind.allCases {
            readTree(kind.directory, depth: 0, into: &snapshot.templates)
        }
        return snapshot
    }

    public func changes() -> AsyncStream<String> {
        let dataPath = self.dataPath
        let pollInterval = self.pollInterval
        let initial = DataDirectoryFingerprint.compute(dataPath: dataPath)
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let poller = Task {
            var fingerprint = initial
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: pollInterval)
                } catch {
                    break
                }
                let now = DataDirectoryFingerprint.compute(dataPath: dataPath)
                if now != fingerprint {
                    fingerprint = now
                    continuation.yield("files changed")
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in poller.cancel() }
        return stream
    }

    private func jsonFiles(in folder: String, diagnostics: inout [Diagnostic]) -> [CatalogFile] {
        let directory = dataPath + "/" + folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            diagnostics.append(Diagnostic(.warning, path: folder, "folder \(folder)/ does not exist in \(dataPath)"))
            return []
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            diagnostics.append(Diagnostic(.error, path: folder, "cannot list \(directory): \(error.localizedDescription)"))
            return []
        }
        var files: [CatalogFile] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory + "/" + name
            var entryIsDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &entryIsDirectory)
            if entryIsDirectory.boolValue {
                diagnostics.append(Diagnostic(.warning, path: "\(folder)/\(name)", "is a folder and is not read: Kiln reads \(folder)/*.json only, as matchbox does (use one scenario's folder as \(folder)/)"))
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            files.append(CatalogFile(path: "\(folder)/\(name)", contents: read(path)))
        }
        return files
    }

    /// Every file under a template folder, symlinks followed as a profile's
    /// reference would follow them.
    private func readTree(_ relative: String, depth: Int, into files: inout [String: CatalogFile]) {
        let directory = dataPath + "/" + relative
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            let child = relative + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataPath + "/" + child, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                if depth < Self.templateDepth { readTree(child, depth: depth + 1, into: &files) }
            } else {
                files[child] = CatalogFile(path: child, contents: read(dataPath + "/" + child))
            }
        }
    }

    private func read(_ path: String) -> CatalogFile.Contents {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > Self.maxFileSize {
                return .unreadable("file is \(size) bytes; the limit is \(Self.maxFileSize)")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                return .unreadable("cannot read file")
            }
            return .bytes([UInt8](data))
        } catch {
            return .unreadable("cannot read file: \(error.localizedDescription)")
        }
    }
}

extension DataDirectorySource: WritableCatalogSource {
    public func read(_ record: CatalogRecord) throws -> [UInt8]? {
        let path = dataPath + "/" + record.path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        switch read(path) {
        case .bytes(let bytes): return bytes
        case .unreadable(let reason): throw AtomicFile.Failure("\(record.path): \(reason)")
        }
    }

    public func names(of kind: CatalogRecord.Kind) throws -> [String] {
        let directory = dataPath + "/" + kind.folder
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        switch kind {
        case .group, .profile:
            return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        case .template:
            return names.filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
        }
    }

    public func write(_ record: CatalogRecord, bytes: [UInt8]?) throws {
        let path = dataPath + "/" + record.path
        guard let bytes else {
            guard unlink(path) == 0 || errno == ENOENT else {
                throw AtomicFile.Failure("cannot remove \(record.path): \(String(cString: strerror(errno)))")
            }
            try AtomicFile.syncDirectory(dataPath + "/" + record.kind.folder)
            return
        }
        try FileManager.default.createDirectory(atPath: dataPath + "/" + record.kind.folder, withIntermediateDirectories: true)
        try AtomicFile.write(bytes, to: path)
    }
}
