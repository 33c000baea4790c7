// MARK: - trees

extension ButaneTranslator {
    mutating func addTrees(_ source: ButaneObject, to config: inout IgnitionObject) {
        guard let storageSource = source["storage"]?.object, let trees = storageSource["trees"]?.list, !trees.isEmpty else { return }
        var storage = config["storage"]?.object ?? IgnitionObject(IgnitionSchema.storage)
        var files = storage["files"]?.list.compactMap(\.object) ?? []
        var links = storage["links"]?.list.compactMap(\.object) ?? []
        var directoryList = storage["directories"]?.list.compactMap(\.object) ?? []
        let directories = Set(directoryList.compactMap { $0["path"]?.string })
        let treesPlace = storageSource.place(of: "trees")
        for (index, entry) in trees.enumerated() {
            let place = treesPlace.child(String(index))
            guard let tree = entry.object, let local = tree["local"]?.string else { continue }
            guard let localFiles = self.files else {
                report.error(place, "trees need a files directory (kiln butane --files-dir, or the data directory's files/)")
                return
            }
            let base = tree["path"]?.string ?? "/"
            // fcos 1.7.0: the tree's owner goes on everything it creates; with
            // an owner or a dir_mode, its directories are written too.
            let user = tree["user"]?.object.map { IgnitionValue.object(convert($0)) }
            let group = tree["group"]?.object.map { IgnitionValue.object(convert($0)) }
            let fileMode = tree["file_mode"]?.int, dirMode = tree["dir_mode"]?.int
            let writesDirectories = user != nil || group != nil || dirMode != nil
            let walked: [LocalFiles.TreeEntry]
            do {
                walked = try localFiles.walk(local)
            } catch {
                report.error(place, error.description)
                continue
            }
            for item in walked {
                let destination = SlashPath.join(base, item.relativePath)
                let conflict = { (kind: String) in "tree entry \(destination) clashes with an existing \(kind) of that path" }
                switch item.kind {
                case .directory:
                    guard writesDirectories else { continue }
                    if directoryList.contains(where: { $0["path"]?.string == destination }) || files.contains(where: { $0["path"]?.string == destination })
                        || links.contains(where: { $0["path"]?.string == destination }) {
                        report.error(place, "matching filesystem node has existing contents or different type: \(destination)")
                        continue
                    }
                    var directory = IgnitionObject(IgnitionSchema.directory, ["path": .string(destination), "mode": .int(dirMode ?? 0o755)])
                    directory["user"] = user
                    directory["group"] = group
                    directoryList.append(directory)
                case .file(let contents, let executable):
                    refuseMarkers(contents, place)
                    if directories.contains(destination) || links.contains(where: { $0["path"]?.string == destination }) {
                        report.error(place, conflict("node"))
                        continue
                    }
                    var file: IgnitionObject
                    let existing = files.firstIndex { $0["path"]?.string == destination }
                    if let existing {
                        file = files[existing]
                        if file["contents"]?.object?["source"] != nil {
                            report.error(place, conflict("file with contents"))
                            continue
                        }
                    } else {
                        file = IgnitionObject(IgnitionSchema.file, ["path": .string(destination)])
                        file["user"] = user
                        file["group"] = group
                    }
                    var contentsObject = file["contents"]?.object ?? IgnitionObject(IgnitionSchema.fileResource)
                    let encoded = encodeContents(contents, userCompression: contentsObject["compression"]?.string, allowCompression: true)
                    contentsObject["source"] = .string(encoded.url)
                    contentsObject["compression"] = .string(encoded.compression)
                    file["contents"] = .object(contentsObject)
                    if file["mode"] == nil { file["mode"] = .int(fileMode ?? (executable ? 0o755 : 0o644)) }
                    if let existing { files[existing] = file } else { files.append(file) }
                case .symlink(let target):
                    if directories.contains(destination) || files.contains(where: { $0["path"]?.string == destination }) {
                        report.error(place, conflict("node"))
                        continue
                    }
                    let existing = links.firstIndex { $0["path"]?.string == destination }
                    var link = existing.map { links[$0] } ?? IgnitionObject(IgnitionSchema.link, ["path": .string(destination)])
                    if existing == nil {
                        link["user"] = user
                        link["group"] = group
                    }
                    if existing != nil, link["target"] != nil {
                        report.error(place, conflict("link with a target"))
                        continue
                    }
                    link["target"] = .string(target)
                    if let existing { links[existing] = link } else { links.append(link) }
                }
            }
        }
        storage["directories"] = .list(directoryList.map(IgnitionValue.object))
        storage["files"] = .list(files.map(IgnitionValue.object))
        storage["links"] = .list(links.map(IgnitionValue.object))
        config["storage"] = .object(storage)
    }
}
