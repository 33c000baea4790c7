import CArchive

/// initrd archives: newc cpio, gzip-compressed (the kernel and
/// coreos-installer both read gzip; libarchive's xz would carry a CRC64
/// check, which the kernel's initramfs decoder refuses).
public enum Initrd {
    public static func build(_ files: [ISOFile]) throws(ISOError) -> [UInt8] {
        let archive = try MemoryArchive(limit: 256 * 1024 * 1024)
        try archive.configure("cpio format") { archive_write_set_format_cpio_newc($0) }
        try archive.configure("gzip filter") { archive_write_add_filter_gzip($0) }
        // No time in the gzip header: the same config gives the same bytes.
        try archive.configure("gzip timestamp") { archive_write_set_filter_option($0, "gzip", "timestamp", nil) }
        try archive.configure("block size") { archive_write_set_bytes_per_block($0, 0) }
        try archive.open()
        for file in files {
            try archive.add(file.path, file.bytes, mode: file.executable ? 0o755 : 0o644)
        }
        return try archive.finish("finishing the initrd")
    }

    /// The files of a compressed (gzip, xz, zstd…) or plain cpio archive;
    /// zeros after its end are ignored.
    public static func read(_ bytes: [UInt8]) throws(ISOError) -> [ISOFile] {
        guard let archive = archive_read_new() else { throw ISOError("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_all(archive)
        archive_read_support_format_cpio(archive)
        var files: [ISOFile] = []
        let status = bytes.withUnsafeBytes { buffer -> Int32 in
            guard archive_read_open_memory(archive, buffer.baseAddress, buffer.count) == ARCHIVE_OK else { return ARCHIVE_FATAL }
            var entry: OpaquePointer?
            while true {
                let next = archive_read_next_header(archive, &entry)
                if next == ARCHIVE_EOF { return ARCHIVE_OK }
                guard next == ARCHIVE_OK || next == ARCHIVE_WARN, let entry else { return next }
                var path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
                while path.hasPrefix("./") { path.removeFirst(2) }
                let size = Int(archive_entry_size(entry))
                guard size >= 0, size <= 64 * 1024 * 1024 else { return ARCHIVE_FATAL }
                var data = [UInt8](repeating: 0, count: size)
                if size > 0 {
                    let got = data.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, size) }
                    guard got == size else { return ARCHIVE_FATAL }
                }
                if archive_entry_filetype(entry) == kiln_archive_regular_file { files.append(ISOFile(path, data)) }
            }
        }
        guard status == ARCHIVE_OK else {
            throw ISOError("the embedded initrd does not read: \(archive_error_string(archive).map { String(cString: $0) } ?? "not a cpio archive")")
        }
        return files
    }
}
