import Foundation

/// Reads a matchbox-layout data directory into a `Catalog`:
/// `groups/*.json`, `profiles/*.json`, and the `ignition/`, `cloud/` and
/// `generic/` files that profiles name.
public struct CatalogLoader: Sendable {
    public struct Outcome: Sendable {
        /// nil when a file could not be read or parsed: the caller keeps
        /// serving its last good catalog.
        public var catalog: Catalog?
        public var diagnostics: [Diagnostic]
        /// Files read from groups/ and profiles/, parsed or not.
        public var groupFileCount: Int
        public var profileFileCount: Int
    }

    /// Larger files are refused: a data file this big is a mistake, and every
    /// file is held in memory.
    public static let maxFileSize = 16 << 20

    public let dataPath: String

    public init(dataPath: String) {
        self.dataPath = dataPath
    }

    public func load() -> Outcome {
        var diagnostics: [Diagnostic] = []
        var broken = false
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            return Outcome(catalog: nil, diagnostics: [Diagnostic(.error, path: dataPath, "data directory does not exist or is not a directory")], groupFileCount: 0, profileFileCount: 0)
        }

        var groups: [Group] = []
        let groupFiles = jsonFiles(in: "groups", diagnostics: &diagnostics)
        for file in groupFiles {
            guard let bytes = read(file.path, diagnostics: &diagnostics) else { broken = true; continue }
            let (group, found) = ModelDecoder.group(from: bytes, path: file.display, fileStem: file.stem)
            diagnostics += found
            if let group { groups.append(group) } else { broken = true }
        }
        var profiles: [Profile] = []
        let profileFiles = jsonFiles(in: "profiles", diagnostics: &diagnostics)
        for file in profileFiles {
            guard let bytes = read(file.path, diagnostics: &diagnostics) else { broken = true; continue }
            let (profile, found) = ModelDecoder.profile(from: bytes, path: file.display, fileStem: file.stem)
            diagnostics += found
            if let profile {
                if profile.id != file.stem {
                    diagnostics.append(Diagnostic(.warning, path: file.display, "profile id \"\(profile.id)\" differs from its file name; groups name profiles by id"))
                }
                profiles.append(profile)
            } else {
                broken = true
            }
        }

        broken = reportDuplicates(groups.map { ($0.id, $0.sourcePath) }, kind: "group", into: &diagnostics) || broken
        broken = reportDuplicates(profiles.map { ($0.id, $0.sourcePath) }, kind: "profile", into: &diagnostics) || broken

        let profileIDs = Set(profiles.map(\.id))
        for group in groups where !profileIDs.contains(group.profile) {
            diagnostics.append(Diagnostic(.error, path: group.sourcePath, "group \"\(group.id)\" names profile \"\(group.profile)\", which does not exist in profiles/"))
        }

        var templates: [TemplateFile] = []
        var seen: Set<TemplateKey> = []
        for profile in profiles.sorted(by: { $0.id < $1.id }) {
            for (kind, id) in profile.templateReferences {
                guard seen.insert(TemplateKey(kind, id)).inserted else { continue }
                let relative = "\(kind.directory)/\(id)"
                let path = dataPath + "/" + relative
                guard FileManager.default.fileExists(atPath: path) else {
                    diagnostics.append(Diagnostic(.error, path: profile.sourcePath, "profile \"\(profile.id)\" names \(relative), which does not exist"))
                    continue
                }
                guard let bytes = read(path, diagnostics: &diagnostics) else { broken = true; continue }
                let file = TemplateFile(kind: kind, id: id, path: relative, bytes: bytes)
                if file.isRawIgnition {
                    // Served byte for byte: a syntax error here would reach the machine.
                    do {
                        _ = try JSONReader.parse(bytes, positionDepth: 0)
                    } catch {
                        diagnostics.append(Diagnostic(.error, path: relative, position: error.position, "raw Ignition is not valid JSON: \(error.reason)"))
                        broken = true
                        continue
                    }
                }
                templates.append(file)
            }
        }

        let catalog = Catalog(groups: groups, profiles: profiles, templates: templates)
        for ambiguity in catalog.ambiguities {
            diagnostics.append(Diagnostic(.warning, path: ambiguity.loser.sourcePath, ambiguity.description))
        }
        if catalog.ambiguityCount > catalog.ambiguities.count {
            diagnostics.append(Diagnostic(.warning, path: "groups", "\(catalog.ambiguityCount - catalog.ambiguities.count) more ambiguous group pairs not listed"))
        }
        return Outcome(catalog: broken ? nil : catalog, diagnostics: diagnostics, groupFileCount: groupFiles.count, profileFileCount: profileFiles.count)
    }

    private struct DataFile {
        var path: String
        var display: String
        var stem: String
    }

    private func jsonFiles(in folder: String, diagnostics: inout [Diagnostic]) -> [DataFile] {
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
        var files: [DataFile] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory + "/" + name
            var entryIsDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &entryIsDirectory)
            if entryIsDirectory.boolValue {
                diagnostics.append(Diagnostic(.warning, path: "\(folder)/\(name)", "is a folder and is not read: Kiln reads \(folder)/*.json only, as matchbox does (use one scenario's folder as \(folder)/)"))
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            files.append(DataFile(path: path, display: "\(folder)/\(name)", stem: String(name.dropLast(5))))
        }
        return files
    }

    private func read(_ path: String, diagnostics: inout [Diagnostic]) -> [UInt8]? {
        let display = path.hasPrefix(dataPath + "/") ? String(path.dropFirst(dataPath.count + 1)) : path
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > Self.maxFileSize {
                diagnostics.append(Diagnostic(.error, path: display, "file is \(size) bytes; the limit is \(Self.maxFileSize)"))
                return nil
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                diagnostics.append(Diagnostic(.error, path: display, "cannot read file"))
                return nil
            }
            return [UInt8](data)
        } catch {
            diagnostics.append(Diagnostic(.error, path: display, "cannot read file: \(error.localizedDescription)"))
            return nil
        }
    }

    /// Two files with one id leave the winner to directory order: refuse.
    private func reportDuplicates(_ entries: [(id: String, path: String)], kind: String, into diagnostics: inout [Diagnostic]) -> Bool {
        var first: [String: String] = [:]
        var found = false
        for (id, path) in entries {
            if let earlier = first[id] {
                diagnostics.append(Diagnostic(.error, path: path, "\(kind) id \"\(id)\" is also used by \(earlier)"))
                found = true
            } else {
                first[id] = path
            }
        }
        return found
    }
}
