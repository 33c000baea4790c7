import Foundation
import KilnCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The BMC records, in `bmcs.json` in Kiln's state folder: mode 0600,
/// replaced whole and atomically on every change, read once at start.
/// Not in the catalog, whose group metadata machines can read through
/// `/metadata` and templates.
public final class BMCRegistry: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public let path: String
    private let records: Mutex<[String: BMCRecord]>
    /// Writes happen one at a time, and in the order their changes were made.
    private let writeLock = Mutex(())

    /// Opens the registry in `folder`. A damaged file stops here: starting
    /// without it would drop every BMC's credentials on the next write.
    /// A file others can read is narrowed to 0600, and `warning` says so.
    public init(folder: String, warning: (String) -> Void = { _ in }) throws {
        path = folder + "/bmcs.json"
        var loaded: [String: BMCRecord] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            do {
                let list = try Self.decoder.decode([BMCRecord].self, from: data)
                for record in list { loaded[record.mac] = record }
            } catch {
                throw Failure("\(path) cannot be read (\(Self.reason(error))); fix it or move it aside, and kiln serve starts without BMCs")
            }
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
                chmod(path, 0o600)
                warning("\(path) was readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); it holds BMC passwords, so it is now 0600")
            }
        }
        records = Mutex(loaded)
    }

    public func record(_ mac: String) -> BMCRecord? {
        records.withLock { $0[mac] }
    }

    public var all: [BMCRecord] {
        records.withLock { Array($0.values) }.sorted { $0.mac < $1.mac }
    }

    /// Changes one record (nil removes it) and writes the file before
    /// returning; on a failed write the change is undone. Returns the
    /// record as stored.
    @discardableResult
    public func update(_ mac: String, _ change: (inout BMCRecord?) throws -> Void) throws -> BMCRecord? {
        try writeLock.withLock { _ in
            let before = records.withLock { $0[mac] }
            var record = before
            try change(&record)
            guard record != before else { return record }
            let snapshot = records.withLock { all in
                all[mac] = record
                return Array(all.values)
            }
            do {
                try write(snapshot)
            } catch {
                records.withLock { $0[mac] = before }
                throw Failure("the BMC records could not be saved to \(path): \(error)")
            }
            return record
        }
    }

    private func write(_ list: [BMCRecord]) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = try Self.encoder.encode(list.sorted { $0.mac < $1.mac })
        try AtomicFile.write(Array(data) + [UInt8(ascii: "\n")], to: path, mode: 0o600)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return "not JSON: \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, let context):
            return "a record lacks \(key.stringValue) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
