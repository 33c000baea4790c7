#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cheap summary of the data directory's file metadata (names, sizes,
/// modification times, inodes): when it changes, something was edited,
/// added, removed or swapped in by rename, and a reload is due. Stat-only,
/// so polling it each second costs milliseconds even at 10,000 groups.
public enum DataDirectoryFingerprint {
    public static func compute(dataPath: String) -> Int {
        var hasher = Hasher()
        hashEntry(dataPath, into: &hasher)
        for folder in ["groups", "profiles"] {
            hashDirectory(dataPath + "/" + folder, depth: 0, maxDepth: 0, into: &hasher)
        }
        for kind in TemplateKind.allCases {
            hashDirectory(dataPath + "/" + kind.directory, depth: 0, maxDepth: 8, into: &hasher)
        }
        // Butane's local files: Butane templates without placeholders are
        // translated at load, so a changed local file must reload them.
        hashDirectory(dataPath + "/files", depth: 0, maxDepth: 8, into: &hasher)
        return hasher.finalize()
    }

    private static func hashEntry(_ path: String, into hasher: inout Hasher) {
        var info = stat()
        // stat, not lstat: a symlink swapped to a new target must count.
        guard stat(path, &info) == 0 else {
            hasher.combine(path)
            hasher.combine(-1)
            return
        }
        hasher.combine(path)
        hasher.combine(Int(info.st_size))
        hasher.combine(Int(info.st_ino))
        hasher.combine(Int(info.st_mtim.tv_sec))
        hasher.combine(Int(info.st_mtim.tv_nsec))
    }

    private static func hashDirectory(_ path: String, depth: Int, maxDepth: Int, into hasher: inout Hasher) {
        hashEntry(path, into: &hasher)
        guard let directory = opendir(path) else { return }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        names.sort()
        for name in names {
            let child = path + "/" + name
            var info = stat()
            if depth < maxDepth, stat(child, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                hashDirectory(child, depth: depth + 1, maxDepth: maxDepth, into: &hasher)
            } else {
                hashEntry(child, into: &hasher)
            }
        }
    }
}
