// make bench: config-drive ISOs made in process with KilnISO, from the files
// of a directory (the tree genisoimage is given in the same run).
// Usage: ConfigDriveBench DIR LABEL COUNT; prints "<count> <seconds>".
import Foundation
import KilnISO

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]), count > 0 else {
    FileHandle.standardError.write(Data("usage: ConfigDriveBench DIR LABEL COUNT\n".utf8))
    exit(2)
}
let root = URL(fileURLWithPath: arguments[1])
var files: [ISOFile] = []
let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
while let url = walker?.nextObject() as? URL {
    guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
          let data = FileManager.default.contents(atPath: url.path) else { continue }
    files.append(ISOFile(String(url.path.dropFirst(root.path.count + 1)), [UInt8](data)))
}
let options = ISOOptions(volumeID: arguments[2])
var bytes = 0
let start = ContinuousClock.now
for _ in 0..<count {
    do {
        bytes += try ISOImage.build(files, options: options).count
    } catch {
        FileHandle.standardError.write(Data("ConfigDriveBench: \(error)\n".utf8))
        exit(1)
    }
}
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(count, seconds, bytes / count)
