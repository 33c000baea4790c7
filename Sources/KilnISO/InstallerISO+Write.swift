import Foundation
import SystemPackage

extension InstallerISO {
    /// Writes the base image with the patches applied to `output`,
    /// atomically: a temporary file beside it, renamed into place when
    /// complete, removed on any failure. Memory stays at one 1 MiB buffer
    /// whatever the image's size.
    public static func write(base: String, patches: [ISOPatch], to output: String) throws(ISOError) {
        let input: FileDescriptor
        do {
            input = try FileDescriptor.open(FilePath(base), .readOnly, options: .closeOnExec)
        } catch {
            throw ISOError("cannot open \(base): \(error)")
        }
        defer { try? input.close() }
        var status = stat()
        guard fstat(input.rawValue, &status) == 0 else { throw ISOError("cannot read \(base)") }
        let size = UInt64(status.st_size)
        let sorted = try checked(patches, size: size)
        let directory = (output as NSString).deletingLastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/." + (output as NSString).lastPathComponent + ".kiln-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard created >= 0 else { throw ISOError("cannot create a file beside \(output): \(String(cString: strerror(errno)))") }
        let temporary = FileDescriptor(rawValue: created)
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var finished = false
        defer {
            try? temporary.close()
            if !finished { unlink(temporaryPath) }
        }
        var cursor: UInt64 = 0
        for patch in sorted + [ISOPatch(offset: size, bytes: [])] {
            try copyRange(from: input, to: temporary, offset: cursor, count: patch.offset - cursor)
            try writeAll(temporary, patch.bytes[...], at: patch.offset)
            cursor = patch.offset + UInt64(patch.bytes.count)
        }
        guard fchmod(temporary.rawValue, status.st_mode & 0o777) == 0, fsync(temporary.rawValue) == 0 else {
            throw ISOError("cannot finish \(output): \(String(cString: strerror(errno)))")
        }
        guard rename(temporaryPath, output) == 0 else { throw ISOError("cannot write \(output): \(String(cString: strerror(errno)))") }
        finished = true
    }

    /// Positioned reads and writes through swift-system, which retries
    /// them when a signal interrupts.
    private static func copyRange(from input: FileDescriptor, to output: FileDescriptor, offset: UInt64, count: UInt64) throws(ISOError) {
        var remaining = count
        var position = offset
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while remaining > 0 {
            let wanted = Int(min(remaining, UInt64(buffer.count)))
            let got: Int
            do {
                got = try buffer.withUnsafeMutableBytes { raw in
                    try input.read(fromAbsoluteOffset: Int64(position), into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<wanted]))
                }
            } catch {
                throw ISOError("reading the base image: \(error)")
            }
            guard got > 0 else { throw ISOError("reading the base image: it ended early") }
            try writeAll(output, buffer[0..<got], at: position)
            position += UInt64(got)
            remaining -= UInt64(got)
        }
    }

    private static func writeAll(_ descriptor: FileDescriptor, _ bytes: ArraySlice<UInt8>, at offset: UInt64) throws(ISOError) {
        do {
            try descriptor.writeAll(toAbsoluteOffset: Int64(offset), bytes)
        } catch {
            throw ISOError("writing: \(error)")
        }
    }
}
