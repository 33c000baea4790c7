/// Turns a source's snapshot into a `Catalog`: parses `groups/*.json` and
/// `profiles/*.json`, takes the `ignition/`, `cloud/` and `generic/` files
/// that profiles name, and reports every problem with its file, line and
/// column.
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

    public let source: any CatalogSource

    public init(source: any CatalogSource) {
        self.source = source
    }

    /// The data directory as the source.
    public init(dataPath: String) {
        self.init(source: DataDirectorySource(dataPath: dataPath))
    }

    public func load() -> Outcome {
        Self.load(source.snapshot())
    }

    /// Parses and checks a snapshot: pure, whatever the source.
    public static func load(_ snapshot: CatalogSnapshot) -> Outcome {
        var diagnostics = snapshot.diagnostics
        guard snapshot.isReadable else {
            return Outcome(catalog: nil, diagnostics: diagnostics, groupFileCount: 0, profileFileCount: 0)
        }
        var broken = false
        func bytes(of file: CatalogFile) -> [UInt8]? {
            switch file.contents {
            case .bytes(let bytes): return bytes
            case .unreadable(let reason):
                diagnostics.append(Diagnostic(.error, path: file.path, reason))
                return nil
            }
        }

        var groups: [Group] = []
        for file in snapshot.groups {
            guard let bytes = bytes(of: file) else { broken = true; continue }
            let (group, found) = ModelDecoder.group(from: bytes, path: file.path, fileStem: file.stem)
            diagnostics += found
            if let group { groups.append(group) } else { broken = true }
        }
        var profiles: [Profile] = []
        for file in snapshot.profiles {
            guard let bytes = bytes(of: file) else { broken = true; continue }
            let (profile, found) = ModelDecoder.profile(from: bytes, path: file.path, fileStem: file.stem)
            diagnostics += found
            if let profile {
                if profile.id != file.stem {
                    diagnostics.append(Diagnostic(.warning, path: file.path, "profile id \"\(profile.id)\" differs from its file name; groups name profiles by id"))
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
                guard let found = snapshot.templates[relative] else {
                    diagnostics.append(Diagnostic(.error, path: profile.sourcePath, "profile \"\(profile.id)\" names \(relative), which does not exist"))
                    continue
                }
                guard let bytes = bytes(of: found) else { broken = true; continue }
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
        return Outcome(catalog: broken ? nil : catalog, diagnostics: diagnostics, groupFileCount: snapshot.groups.count, profileFileCount: snapshot.profiles.count)
    }

    /// Two files with one id leave the winner to directory order: refuse.
    private static func reportDuplicates(_ entries: [(id: String, path: String)], kind: String, into diagnostics: inout [Diagnostic]) -> Bool {
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

extension CatalogFile {
    /// The file name without `.json`: an id when the file gives none.
    var stem: String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name.hasSuffix(".json") ? String(name.dropLast(5)) : name
    }
}
