/// One token of an action, with where it starts.
struct Token: Equatable {
    enum Kind: Equatable {
        case word(String)  // identifiers and keywords
        case field([String])  // ".", ".a.b"
        case variable(String, [String])  // "$", "$x.a"
        case literal(TemplateValue)
        case leftParen, rightParen, pipe, declare, assign, comma
    }
    var kind: Kind
    var position: Position
    /// Whether white space came before it (tells `(x).a` from `(x) .a`).
    var spaced: Bool
}

/// Cuts template text into text and actions, and actions into tokens,
/// keeping the line and column each starts at for errors.
struct TemplateLexer {
    let name: String
    private let source: [Character]
    private var index = 0
    private var line = 1
    private var column = 1

    init(name: String, source: String) {
        self.name = name
        self.source = Array(source)
    }

    private func error(_ position: Position, _ message: String) -> TemplateError {
        TemplateError(name: name, line: position.line, column: position.column, message: message)
    }

    // MARK: Splitting text and actions

    enum Piece {
        case text(String)
        case action([Token], Position)
    }

    private mutating func advance() {
        if source[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private func starts(with text: String, at offset: Int) -> Bool {
        var i = offset
        for character in text {
            guard i < source.count, source[i] == character else { return false }
            i += 1
        }
        return true
    }

    private static func isSpace(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\r" || character == "\n"
    }

    /// The template cut into text and actions, trim markers applied and
    /// comments dropped.
    mutating func pieces() throws(TemplateError) -> [Piece] {
        var pieces: [Piece] = []
        var text = ""
        var trimNextText = false
        while index < source.count {
            if starts(with: "{{", at: index) {
                let open = Position(line: line, column: column)
                advance(); advance()
                var trimLeft = false
                if index + 1 < source.count, source[index] == "-", Self.isSpace(source[index + 1]) {
                    trimLeft = true
                    advance()
                }
                if trimLeft { while let last = text.last, Self.isSpace(last) { text.removeLast() } }
                if trimNextText { text = String(text.drop(while: Self.isSpace)) }
                if !text.isEmpty { pieces.append(.text(text)) }
                text = ""
                let (tokens, trimRight) = try lexAction(open: open)
                trimNextText = trimRight
                if let tokens { pieces.append(.action(tokens, open)) }
                continue
            }
            text.append(source[index])
            advance()
        }
        if trimNextText { text = String(text.drop(while: Self.isSpace)) }
        if !text.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    /// Tokens up to `}}` (nil for a comment) and whether it ended with `-}}`.
    private mutating func lexAction(open: Position) throws(TemplateError) -> ([Token]?, Bool) {
        while index < source.count, Self.isSpace(source[index]) { advance() }
        if starts(with: "/*", at: index) {
            while index < source.count, !starts(with: "*/", at: index) { advance() }
            guard index < source.count else { throw error(open, "unclosed comment") }
            advance(); advance()
            while index < source.count, Self.isSpace(source[index]) { advance() }
            if starts(with: "-}}", at: index) {
                advance(); advance(); advance()
                return (nil, true)
            }
            guard starts(with: "}}", at: index) else { throw error(open, "comment ends before closing delimiter") }
            advance(); advance()
            return (nil, false)
        }
        var tokens: [Token] = []
        var spaced = true
        while true {
            guard index < source.count else { throw error(open, "unclosed action") }
            let character = source[index]
            let position = Position(line: line, column: column)
            if Self.isSpace(character) {
                // Actions may span lines (Go 1.16 and later).
                advance()
                if starts(with: "-}}", at: index) {
                    advance(); advance(); advance()
                    return (tokens, true)
                }
                spaced = true
                continue
            }
            if starts(with: "}}", at: index) {
                advance(); advance()
                return (tokens, false)
            }
            let kind: Token.Kind
            switch character {
            case "(": advance(); kind = .leftParen
            case ")": advance(); kind = .rightParen
            case "|": advance(); kind = .pipe
            case ",": advance(); kind = .comma
            case "=": advance(); kind = .assign
            case ":":
                advance()
                guard index < source.count, source[index] == "=" else { throw error(position, "expected :=") }
                advance()
                kind = .declare
            case "\"": kind = .literal(.string(try lexQuoted(position)))
            case "`": kind = .literal(.string(try lexRaw(position)))
            case "'": kind = .literal(.int(try lexCharacter(position)))
            case ".":
                if index + 1 < source.count, source[index + 1].isNumber {
                    kind = .literal(try lexNumber(position))
                } else {
                    kind = .field(lexPath())
                }
            case "$":
                advance()
                let name = "$" + lexIdentifier()
                kind = .variable(name, lexPath())
            case "-", "+", "0"..."9":
                kind = .literal(try lexNumber(position))
            default:
                guard character.isLetter || character == "_" else {
                    throw error(position, "unexpected \"\(character)\" in action")
                }
                kind = .word(lexIdentifier())
            }
            tokens.append(Token(kind: kind, position: position, spaced: spaced))
            spaced = false
        }
    }

    private mutating func lexIdentifier() -> String {
        var name = ""
        while index < source.count, source[index].isLetter || source[index].isNumber || source[index] == "_" {
            name.append(source[index])
            advance()
        }
        return name
    }

    /// `.a.b.c` (or a lone `.`) from the current dot.
    private mutating func lexPath() -> [String] {
        var path: [String] = []
        while index < source.count, source[index] == "." {
            advance()
            let name = lexIdentifier()
            if name.isEmpty { break }
            path.append(name)
        }
        return path
    }

    private mutating func lexQuoted(_ position: Position) throws(TemplateError) -> String {
        advance()
        var value = ""
        while true {
            guard index < source.count, source[index] != "\n" else { throw error(position, "unterminated quoted string") }
            let character = source[index]
            advance()
            if character == "\"" { return value }
            if character != "\\" {
                value.append(character)
                continue
            }
            guard index < source.count else { throw error(position, "unterminated quoted string") }
            let escape = source[index]
            advance()
            switch escape {
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "r": value.append("\r")
            case "\\": value.append("\\")
            case "\"": value.append("\"")
            case "'": value.append("'")
            case "0": value.append("\0")
            case "x", "u", "U":
                let digits = escape == "x" ? 2 : (escape == "u" ? 4 : 8)
                var hex = ""
                for _ in 0..<digits where index < source.count {
                    hex.append(source[index])
                    advance()
                }
                guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                    throw error(position, "invalid escape \\\(escape)\(hex)")
                }
                value.unicodeScalars.append(scalar)
            default:
                throw error(position, "invalid escape \\\(escape) in string")
            }
        }
    }

    private mutating func lexRaw(_ position: Position) throws(TemplateError) -> String {
        advance()
        var value = ""
        while index < source.count, source[index] != "`" {
            value.append(source[index])
            advance()
        }
        guard index < source.count else { throw error(position, "unterminated raw string") }
        advance()
        return value
    }

    private mutating func lexCharacter(_ position: Position) throws(TemplateError) -> Int {
        advance()
        guard index + 1 < source.count, source[index + 1] == "'", let scalar = source[index].unicodeScalars.first else {
            throw error(position, "invalid character constant")
        }
        advance(); advance()
        return Int(scalar.value)
    }

    private mutating func lexNumber(_ position: Position) throws(TemplateError) -> TemplateValue {
        var text = ""
        while index < source.count, source[index].isLetter || source[index].isNumber || "+-._".contains(source[index]) {
            // A sign only leads or follows an exponent.
            if (source[index] == "+" || source[index] == "-"), !text.isEmpty, !(text.last == "e" || text.last == "E") || text.lowercased().hasPrefix("0x") { break }
            text.append(source[index])
            advance()
        }
        let digits = String(text.filter { $0 != "_" })
        let negative = digits.hasPrefix("-")
        let unsigned = digits.hasPrefix("-") || digits.hasPrefix("+") ? String(digits.dropFirst()) : digits
        if unsigned.lowercased().hasPrefix("0x"), let value = Int(unsigned.dropFirst(2), radix: 16) { return .int(negative ? -value : value) }
        if unsigned.lowercased().hasPrefix("0o"), let value = Int(unsigned.dropFirst(2), radix: 8) { return .int(negative ? -value : value) }
        if unsigned.lowercased().hasPrefix("0b"), let value = Int(unsigned.dropFirst(2), radix: 2) { return .int(negative ? -value : value) }
        if let value = Int(digits) { return .int(value) }
        if let value = Double(digits), !digits.lowercased().contains("x") { return .float(value) }
        throw error(position, "bad number syntax: \"\(text)\"")
    }
}
