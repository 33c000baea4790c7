import CArchive

/// A libarchive writer whose output collects in memory, up to a limit.
/// Every failure carries libarchive's own message; the archive is freed
/// with this object.
final class MemoryArchive {
    private let archive: OpaquePointer
    private let sink: Sink

    private final class Sink {
        var bytes: [UInt8] = []
        let limit: Int
        init(limit: Int) { self.limit = limit }
    }

    init(limit: Int) throws(ISOError) {
        guard let archive = archive_write_new() else { throw ISOError("libarchive: out of memory") }
        self.archive = archive
        self.sink = Sink(limit: limit)
    }

    deinit {
        archive_write_free(archive)
    }

    func check(_ status: Int32, _ what: String) throws(ISOError) {
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            let message = archive_error_string(archive).map { String(cString: $0) } ?? "error \(status)"
            throw ISOError("\(what): \(message)")
        }
    }

    /// Runs a libarchive setup call (format, filter, option) on the archive.
    func configure(_ what: String, _ call: (OpaquePointer) -> Int32) throws(ISOError) {
        try check(call(archive), what)
    }

    func open() throws(ISOError) {
        try check(archive_write_open2(archive, Unmanaged.passUnretained(sink).toOpaque(), nil, { _, context, buffer, length in
            guard let context, let buffer else { return -1 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            guard sink.bytes.count + length <= sink.limit else { return -1 }
            sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        }, nil, nil), "open")
    }

    /// A directory when `bytes` is nil, else a regular file. A fixed time:
    /// the same inputs give the same records.
    func add(_ path: String, _ bytes: [UInt8]?, mode: UInt32) throws(ISOError) {
        guard let entry = archive_entry_new() else { throw ISOError("libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path)
        archive_entry_set_filetype(entry, bytes == nil ? kiln_archive_directory : kiln_archive_regular_file)
        archive_entry_set_perm(entry, mode_t(mode))
        archive_entry_set_size(entry, Int64(bytes?.count ?? 0))
        archive_entry_set_mtime(entry, 0, 0)
        try check(archive_write_header(archive, entry), "adding \(path)")
        guard let bytes, !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        if written != bytes.count { try check(ARCHIVE_FATAL, "writing \(path)") }
    }

    func finish(_ what: String) throws(ISOError) -> [UInt8] {
        try check(archive_write_close(archive), what)
        return sink.bytes
    }
}
