/// What a `Range` request header asks of a representation of `size` bytes,
/// per RFC 9110 §14. Only single ranges are served; a request for several
/// gets the whole file, which the RFC allows.
enum ByteRangeRequest: Equatable {
    /// No usable Range header: send the whole representation (200).
    case whole
    /// Send these bytes (206).
    case partial(ClosedRange<Int64>)
    /// A valid range that selects nothing in this file (416).
    case unsatisfiable

    init(header: String?, size: Int64) {
        guard let header else {
            self = .whole
            return
        }
        let trimmed = header.trimmingASCIISpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else {
            self = .whole  // another unit: ignore the header
            return
        }
        let spec = trimmed.dropFirst("bytes=".count).trimmingASCIISpaces()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .whole
            return
        }
        let first = spec[..<dash].trimmingASCIISpaces()
        let last = spec[spec.index(after: dash)...].trimmingASCIISpaces()
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard let count = Self.digits(last) else {
                self = .whole
                return
            }
            guard count > 0, size > 0 else {
                self = .unsatisfiable
                return
            }
            self = .partial(max(0, size - count)...(size - 1))
            return
        }
        guard let start = Self.digits(first) else {
            self = .whole
            return
        }
        var end = size - 1
        if !last.isEmpty {
            guard let parsed = Self.digits(last), parsed >= start else {
                self = .whole  // syntactically invalid: ignore
                return
            }
            end = min(parsed, size - 1)
        }
        guard start < size else {
            self = .unsatisfiable
            return
        }
        self = .partial(start...end)
    }

    /// Only ASCII digits (no sign, no spaces inside), without overflow.
    private static func digits(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text) ?? Int64.max  // absurdly large positions are just "past the end"
    }
}

extension StringProtocol {
    func trimmingASCIISpaces() -> Substring {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return Substring(slice)
    }
}
