/// The private-use characters that mark placeholders and deferred data
/// URLs in shape text and translated JSON.
enum Marker {
    static let hole: UInt8 = 0x80
    static let end: UInt8 = 0x81
    static let source: UInt8 = 0x82
    static let compression: UInt8 = 0x83

    static func sourcePlaceholder(_ index: Int) -> String { "\u{E002}\(index)\u{E001}" }
    static func compressionPlaceholder(_ index: Int) -> String { "\u{E003}\(index)\u{E001}" }

    static func contains(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var previous: (UInt8, UInt8) = (0, 0)
        while let byte = iterator.next() {
            if previous == (0xEE, 0x80), (0x80...0x83).contains(byte) { return true }
            previous = (previous.1, byte)
        }
        return false
    }

    /// Splits text at markers into literal bytes and holes; nil when a
    /// marker is malformed.
    static func split(_ bytes: [UInt8]) -> [IgnitionShape.Piece]? {
        var pieces: [IgnitionShape.Piece] = []
        var literalStart = 0
        var index = 0
        while index + 2 < bytes.count {
            guard bytes[index] == 0xEE, bytes[index + 1] == 0x80, (0x80...0x83).contains(bytes[index + 2]) else {
                index += 1
                continue
            }
            let kind = bytes[index + 2]
            guard kind != end else { return nil }
            var cursor = index + 3
            var number = 0
            var digits = 0
            while cursor < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[cursor]), digits < 9 {
                number = number * 10 + Int(bytes[cursor] - UInt8(ascii: "0"))
                cursor += 1
                digits += 1
            }
            guard digits > 0, cursor + 2 < bytes.count, bytes[cursor] == 0xEE, bytes[cursor + 1] == 0x80, bytes[cursor + 2] == end else { return nil }
            if literalStart < index { pieces.append(.bytes(Array(bytes[literalStart..<index]))) }
            switch kind {
            case hole: pieces.append(.value(number))
            case source: pieces.append(.source(number))
            default: pieces.append(.compression(number))
            }
            index = cursor + 3
            literalStart = index
        }
        if literalStart < bytes.count { pieces.append(.bytes(Array(bytes[literalStart...]))) }
        return pieces
    }

    static func holes(in text: String) -> [Int] {
        guard contains(text.utf8) else { return [] }
        return (split(Array(text.utf8)) ?? []).compactMap { piece in
            if case .value(let hole) = piece { return hole }
            return nil
        }
    }

    static func isOnlyHoles(_ text: String) -> Bool {
        guard let pieces = split(Array(text.utf8)) else { return false }
        return pieces.allSatisfy { piece in
            if case .value = piece { return true }
            return false
        }
    }

    /// Each of holes 0..<count once and no other marker: a template whose
    /// own text holds these characters is never shaped.
    static func holesAppearOnce(in text: String, count: Int) -> Bool {
        guard let pieces = split(Array(text.utf8)) else { return false }
        var seen = Array(repeating: false, count: count)
        for piece in pieces {
            switch piece {
            case .bytes: continue
            case .value(let hole):
                guard hole < count, !seen[hole] else { return false }
                seen[hole] = true
            default:
                return false
            }
        }
        return !seen.contains(false)
    }
}
