import Yams

/// A Butane template translated once for every machine whose rendering has
/// the same shape: the same text apart from the values its placeholders
/// printed. Translating is most of a per-machine `/ignition` answer (YAML
/// parse, schema decode, sugar, checks), while filling values into the
/// translated JSON is a copy.
///
/// Filling is only sound where a value lands in the output unchanged, so
/// a shape compiles only when every placeholder sits inside a YAML scalar
/// of a field Kiln copies verbatim (file contents, unit and drop-in
/// contents, SSH keys, GECOS, password hashes), and a value is filled only
/// when it cannot change how the YAML around it parses (no line breaks, no
/// quote or comment characters where they would matter, no null-looking
/// scalar). Anything else returns nil and the caller translates the full
/// text, so the answer is always the one a full translation gives.
public struct IgnitionShape: Sendable {
    /// How the n-th placeholder is written into the shape text.
    public static func placeholder(_ hole: Int) -> String {
        hole < placeholders.count ? placeholders[hole] : "\u{E000}\(hole)\u{E001}"
    }

    private static let placeholders = (0..<512).map { "\u{E000}\($0)\u{E001}" }

    enum Piece: Sendable {
        case bytes([UInt8])
        /// A value inside a JSON string: escaped, no quotes.
        case value(Int)
        /// A deferred data URL's `source` or `compression`.
        case source(Int)
        case compression(Int)
    }

    /// Literal bytes with slots between them, laid out flat so filling is
    /// a run of copies.
    struct Spliced: Sendable {
        enum Kind: UInt8, Sendable { case value, source, compression }
        struct Slot: Sendable {
            /// Where the literal run before this slot ends.
            var literalEnd: Int
            var kind: Kind
            var index: Int
        }

        var literal: [UInt8] = []
        var slots: [Slot] = []

        init(_ pieces: [Piece]) {
            for piece in pieces {
                switch piece {
                case .bytes(let bytes): literal += bytes
                case .value(let hole): slots.append(Slot(literalEnd: literal.count, kind: .value, index: hole))
                case .source(let index): slots.append(Slot(literalEnd: literal.count, kind: .source, index: index))
                case .compression(let index): slots.append(Slot(literalEnd: literal.count, kind: .compression, index: index))
                }
            }
        }

        var holes: [Int] { slots.filter { $0.kind == .value }.map(\.index) }

        func write(into out: inout [UInt8], _ slot: (Slot, inout [UInt8]) -> Void) {
            literal.withUnsafeBufferPointer { literal in
                var start = 0
                for entry in slots {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: literal[start..<entry.literalEnd]))
                    start = entry.literalEnd
                    slot(entry, &out)
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: literal[start...]))
            }
        }
    }

    struct Contents: Sendable {
        /// Raw bytes and holes; filled, then encoded by Butane's rule.
        var spliced: Spliced
        var userCompression: String?
        var allowCompression: Bool
    }

    /// The YAML scalar styles a placeholder may sit in.
    enum Style: Int, Sendable, CaseIterable {
        case plain, singleQuoted, doubleQuoted, block

        var bit: UInt8 { 1 << UInt8(rawValue) }
    }

    let holeCount: Int
    let output: Spliced
    let contents: [Contents]
    /// For each hole, every style it appears in (an alias can copy it), as
    /// `Style.bit`s.
    let styleMasks: [UInt8]
    /// Plain scalars made of placeholders alone: their values together must
    /// not read as YAML null.
    let barePlainScalars: [[Int]]
    let sizeEstimate: Int
    /// What translating the shape warned about (unknown keys, say): the
    /// same lines and paths a full translation of a filled text reports,
    /// since filled values never span lines.
    public let warnings: [ButaneDiagnostic]

    /// Translates a shape. Nil when it cannot be filled soundly or does not
    /// translate at all (the full translation then gives the real error).
    public static func compile(_ shape: String, holes holeCount: Int, options: ButaneOptions) -> IgnitionShape? {
        // A YAML escape could spell a marker inside a scalar.
        guard Marker.holesAppearOnce(in: shape, count: holeCount), !shape.contains("\\u"), !shape.contains("\\U") else { return nil }
        guard let root = try? ButaneDecoder.parse(shape) else { return nil }
        var styles = Array(repeating: [Style](), count: holeCount)
        var barePlainScalars: [[Int]] = []
        guard collectStyles(root, into: &styles, bare: &barePlainScalars), !styles.contains(where: \.isEmpty) else { return nil }

        guard let spec = try? Butane.spec(of: root) else { return nil }
        var decoder = ButaneDecoder(spec: spec, strict: options.strict)
        decoder.holeFields = Self.verbatimFields
        guard let decoded = decoder.decodeObject(root, IgnitionSchema.config, path: ""), !decoder.report.hasErrors else { return nil }
        var translator = ButaneTranslator(spec: spec, options: options, report: decoder.report)
        translator.deferredContents = []
        let config = translator.translate(decoded)
        guard !translator.report.hasErrors, let deferred = translator.deferredContents else { return nil }

        let json = IgnitionJSONWriter.write(config, pretty: options.pretty)
        guard let pieces = Marker.split(json) else { return nil }
        var contents: [Contents] = []
        for entry in deferred {
            guard let split = Marker.split(entry.bytes) else { return nil }
            guard !split.contains(where: { if case .value = $0 { false } else if case .bytes = $0 { false } else { true } }) else { return nil }
            contents.append(Contents(spliced: Spliced(split), userCompression: entry.userCompression, allowCompression: entry.allowCompression))
        }
        // Every value must reach the output: one that vanished was consumed
        // by something Kiln computed from it.
        let output = Spliced(pieces)
        let reached = Set(output.holes + contents.flatMap(\.spliced.holes))
        guard reached.count == holeCount else { return nil }
        let styleMasks = styles.map { $0.reduce(UInt8(0)) { $0 | $1.bit } }
        return IgnitionShape(holeCount: holeCount, output: output, contents: contents, styleMasks: styleMasks, barePlainScalars: barePlainScalars,
                             sizeEstimate: output.literal.count + 64 * output.slots.count, warnings: translator.report.diagnostics)
    }

    /// Butane fields whose value Kiln copies into the output (or into a
    /// data URL) without looking at it.
    static let verbatimFields: Set<String> = ["inline", "contents", "ssh_authorized_keys", "gecos", "password_hash"]

    /// The config for these values, or nil when a value could change how
    /// the YAML parses (the caller then translates the full text).
    public func fill(_ values: [String]) -> [UInt8]? {
        guard values.count == holeCount else { return nil }
        // Templates print the same few values many times (a hostname in
        // every unit): each distinct value is checked once per style and
        // escaped once.
        var distinct: [String] = []
        var checkedStyles: [UInt8] = []
        var escaped: [[UInt8]?] = []
        var distinctOfHole = [Int](repeating: 0, count: holeCount)
        for hole in 0..<holeCount {
            let value = values[hole]
            var index = distinct.count < 64 ? distinct.firstIndex(of: value) : nil
            if index == nil {
                index = distinct.count
                distinct.append(value)
                checkedStyles.append(0)
                escaped.append(nil)
            }
            let found = index!
            distinctOfHole[hole] = found
            let unchecked = styleMasks[hole] & ~checkedStyles[found]
            guard unchecked == 0 || Self.isInert(value, inStyles: unchecked) else { return nil }
            checkedStyles[found] |= unchecked
        }
        for scalar in barePlainScalars {
            let joined = scalar.count == 1 ? values[scalar[0]] : scalar.map { values[$0] }.joined()
            if joined.utf8.count <= 4, ["~", "null", "Null", "NULL"].contains(joined) { return nil }
        }
        var encoded: [DataURL.Encoded] = []
        encoded.reserveCapacity(contents.count)
        for entry in contents {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(entry.spliced.literal.count + 64 * entry.spliced.slots.count)
            entry.spliced.write(into: &bytes) { slot, bytes in bytes += values[slot.index].utf8 }
            encoded.append(DataURL.encode(bytes, userCompression: entry.userCompression, allowCompression: entry.allowCompression))
        }
        var out: [UInt8] = []
        out.reserveCapacity(sizeEstimate)
        output.write(into: &out) { slot, out in
            switch slot.kind {
            case .value:
                let index = distinctOfHole[slot.index]
                if let known = escaped[index] {
                    out += known
                } else {
                    var bytes: [UInt8] = []
                    IgnitionJSONWriter.writeStringBody(distinct[index], into: &bytes)
                    out += bytes
                    escaped[index] = bytes
                }
            // Data URLs are ASCII with nothing JSON escapes.
            case .source: out += encoded[slot.index].urlBytes
            case .compression: IgnitionJSONWriter.writeStringBody(encoded[slot.index].compression, into: &out)
            }
        }
        return out
    }

    private static func isInert(_ value: String, inStyles mask: UInt8) -> Bool {
        for style in Style.allCases where mask & style.bit != 0 {
            guard isInert(value, in: style) else { return false }
        }
        return true
    }

    /// Whether `value`, written where a placeholder was, leaves the YAML
    /// parsing the same way with the value in place of the placeholder.
    static func isInert(_ value: String, in style: Style) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { isInert($0, in: style) }
            ?? Array(value.utf8).withUnsafeBufferPointer { isInert($0, in: style) }
    }

    private static func isInert(_ bytes: UnsafeBufferPointer<UInt8>, in style: Style) -> Bool {
        guard let first = bytes.first, let last = bytes.last, first != 0x20, last != 0x20 else { return false }
        if style == .plain {
            switch first {
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"),
                 UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"),
                 UInt8(ascii: "@"), UInt8(ascii: "`"):
                return false
            default: break
            }
            if last == UInt8(ascii: ":") { return false }
        }
        var previous: UInt8 = 0x20
        for (index, byte) in bytes.enumerated() {
            defer { previous = byte }
            switch byte {
            // Control characters.
            case 0..<0x20, 0x7F:
                return false
            // NEL (C2 85), LS and PS (E2 80 A8/A9) are line breaks to YAML
            // 1.1; a BOM (EF BB BF); the markers (EE 80 80–83).
            case 0x85 where previous == 0xC2:
                return false
            case 0xA8...0xA9 where previous == 0x80 && index >= 2 && bytes[index - 2] == 0xE2:
                return false
            case 0xBF where previous == 0xBB && index >= 2 && bytes[index - 2] == 0xEF:
                return false
            case 0x80...0x83 where previous == 0x80 && index >= 2 && bytes[index - 2] == 0xEE:
                return false
            default:
                break
            }
            switch style {
            case .plain:
                switch byte {
                case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"): return false
                case UInt8(ascii: " ") where previous == UInt8(ascii: ":"): return false
                case UInt8(ascii: "#") where previous == UInt8(ascii: " "): return false
                default: break
                }
            case .singleQuoted where byte == UInt8(ascii: "'"):
                return false
            case .doubleQuoted where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\"):
                return false
            default:
                break
            }
        }
        return true
    }

    /// Records where each placeholder sits; false when one is in a key.
    private static func collectStyles(_ node: Node, into styles: inout [[Style]], bare: inout [[Int]]) -> Bool {
        switch node {
        case .scalar(let scalar):
            let holes = Marker.holes(in: scalar.string)
            guard !holes.isEmpty else { return true }
            let style: Style
            switch scalar.style {
            case .singleQuoted: style = .singleQuoted
            case .doubleQuoted: style = .doubleQuoted
            case .literal, .folded: style = .block
            default: style = .plain
            }
            for hole in holes where hole < styles.count { styles[hole].append(style) }
            if style == .plain, Marker.isOnlyHoles(scalar.string) { bare.append(holes) }
            return true
        case .mapping(let mapping):
            for (key, value) in mapping {
                if case .scalar(let keyScalar) = key, !Marker.holes(in: keyScalar.string).isEmpty { return false }
                guard collectStyles(key, into: &styles, bare: &bare), collectStyles(value, into: &styles, bare: &bare) else { return false }
            }
            return true
        case .sequence(let sequence):
            for item in sequence where !collectStyles(item, into: &styles, bare: &bare) { return false }
            return true
        case .alias:
            return true
        }
    }
}
