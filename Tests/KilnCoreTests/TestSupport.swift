import Foundation

/// A data directory in a fresh temporary folder, removed by `remove()`.
struct TemporaryDataDirectory {
    let path: String

    init(files: [String: String] = [:]) throws {
        path = NSTemporaryDirectory() + "kiln-test-" + UUID().uuidString
        for folder in ["groups", "profiles", "ignition", "generic", "cloud"] {
            try FileManager.default.createDirectory(atPath: path + "/" + folder, withIntermediateDirectories: true)
        }
        for (name, contents) in files { try write(name, contents) }
    }

    func write(_ name: String, _ contents: String) throws {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
