/// Parses Go text/template syntax into a tree: text, actions with trim
/// markers (`{{-`, `-}}`), comments, pipelines, variables and the control
/// structures if/else if/else, range (with `$i, $v :=`), with, break and
/// continue. `define`, `template` and `block` are not supported.
struct Position: Sendable, Equatable {
    var line: Int
    var column: Int
}

indirect enum Node: Sendable {
    static func output(_ pipeline: Pipeline) -> Node {
        if pipeline.variables.isEmpty, pipeline.commands.count == 1, pipeline.commands[0].arguments.count == 1,
           case .dot(let path) = pipeline.commands[0].arguments[0] {
            return .field(path, pipeline.commands[0].position, slot: -1)
        }
        return .action(pipeline)
    }

    case text(String)
    case action(Pipeline)
    /// `{{.a.b}}`, the action nearly every template line uses, kept apart
    /// so rendering it skips the general pipeline machinery. Fields with
    /// the same path share a slot (see `Template.numberFields`).
    case field([String], Position, slot: Int)
    case ifNode(Pipeline, [Node], [Node]?)
    case rangeNode(Pipeline, [Node], [Node]?)
    case withNode(Pipeline, [Node], [Node]?)
    case breakNode(Position)
    case continueNode(Position)
}

struct Pipeline: Sendable {
    var position: Position
    var variables: [String] = []
    /// `=` rather than `:=`.
    var assigns = false
    var commands: [Command] = []
}

struct Command: Sendable {
    var position: Position
    var arguments: [Argument]
}

indirect enum Argument: Sendable {
    case dot([String])
    case variable(String, [String])
    case function(String)
    case literal(TemplateValue)
    case pipeline(Pipeline, [String])
}

private struct Token: Equatable {
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

struct TemplateParser {
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

    private enum Piece {
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

    private mutating func pieces() throws(TemplateError) -> [Piece] {
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

    // MARK: Building the tree

    public mutating func parse() throws(TemplateError) -> [Node] {
        var reader = PieceReader(pieces: try pieces())
        let (nodes, terminator) = try parseList(&reader, inside: nil, inRange: false)
        if let terminator { throw error(terminator.1, "unexpected {{\(terminator.0)}}") }
        return nodes
    }

    private struct PieceReader {
        var pieces: [Piece]
        var index = 0
        mutating func next() -> Piece? {
            guard index < pieces.count else { return nil }
            defer { index += 1 }
            return pieces[index]
        }
    }

    /// Nodes until `{{end}}` or `{{else…}}`; returns the keyword that ended
    /// the list (with the rest of its tokens) or nil at the end of input.
    private func parseList(_ reader: inout PieceReader, inside: (String, Position)?, inRange: Bool) throws(TemplateError) -> ([Node], (String, Position, [Token])?) {
        var nodes: [Node] = []
        while let piece = reader.next() {
            switch piece {
            case .text(let text):
                nodes.append(.text(text))
            case .action(let tokens, let position):
                guard let first = tokens.first else { throw error(position, "missing value for command") }
                guard case .word(let word) = first.kind else {
                    nodes.append(Node.output(try parsePipeline(tokens[...], position: position, allowDeclarations: true)))
                    continue
                }
                let rest = tokens.dropFirst()
                switch word {
                case "end", "else":
                    guard inside != nil else { throw error(position, "unexpected {{\(word)}}") }
                    return (nodes, (word, position, Array(rest)))
                case "if", "range", "with":
                    nodes.append(try parseControl(word, rest, position: position, &reader, inRange: inRange))
                case "break", "continue":
                    guard inRange else {
                        throw error(position, "{{\(word)}} outside {{range}}")
                    }
                    nodes.append(word == "break" ? .breakNode(position) : .continueNode(position))
                case "define", "template", "block":
                    throw error(position, "{{\(word)}} is not supported")
                default:
                    nodes.append(Node.output(try parsePipeline(tokens[...], position: position, allowDeclarations: true)))
                }
            }
        }
        if let inside { throw error(inside.1, "unexpected EOF: {{\(inside.0)}} has no {{end}}") }
        return (nodes, nil)
    }

    private func parseControl(_ keyword: String, _ tokens: ArraySlice<Token>, position: Position, _ reader: inout PieceReader, inRange: Bool) throws(TemplateError) -> Node {
        let pipeline = try parsePipeline(tokens, position: position, allowDeclarations: true, rangeStyle: keyword == "range")
        if pipeline.commands.isEmpty { throw error(position, "missing value for \(keyword)") }
        let context = (keyword, position)
        // break and continue belong to the innermost range, through ifs and withs.
        let (body, terminator) = try parseList(&reader, inside: context, inRange: inRange || keyword == "range")
        var elseBody: [Node]?
        if let (word, elsePosition, rest) = terminator, word == "else" {
            if let next = rest.first, case .word(let chained) = next.kind, chained == "if" || chained == "with", chained == keyword || chained == "if" {
                // {{else if …}} / {{else with …}}: a nested control sharing our {{end}}.
                elseBody = [try parseControl(chained, rest.dropFirst(), position: elsePosition, &reader, inRange: inRange)]
                return make(keyword, pipeline, body, elseBody)
            }
            guard rest.isEmpty else { throw error(elsePosition, "unexpected tokens after {{else}}") }
            let (elseNodes, endTerminator) = try parseList(&reader, inside: context, inRange: inRange)
            guard let endTerminator, endTerminator.0 == "end" else { throw error(elsePosition, "expected {{end}}") }
            guard endTerminator.2.isEmpty else { throw error(endTerminator.1, "unexpected tokens after {{end}}") }
            elseBody = elseNodes
        } else if let terminator, !terminator.2.isEmpty {
            throw error(terminator.1, "unexpected tokens after {{end}}")
        }
        return make(keyword, pipeline, body, elseBody)
    }

    private func make(_ keyword: String, _ pipeline: Pipeline, _ body: [Node], _ elseBody: [Node]?) -> Node {
        switch keyword {
        case "if": return .ifNode(pipeline, body, elseBody)
        case "range": return .rangeNode(pipeline, body, elseBody)
        default: return .withNode(pipeline, body, elseBody)
        }
    }

    private func parsePipeline(_ tokens: ArraySlice<Token>, position: Position, allowDeclarations: Bool, rangeStyle: Bool = false) throws(TemplateError) -> Pipeline {
        var pipeline = Pipeline(position: position)
        var tokens = tokens
        // Declarations: $x := …, $x = …, and in range $i, $v := …
        if allowDeclarations, let first = tokens.first, case .variable(let name, let path) = first.kind, path.isEmpty {
            let afterFirst = tokens.dropFirst()
            if let second = afterFirst.first, second.kind == .declare || second.kind == .assign {
                pipeline.variables = [name]
                pipeline.assigns = second.kind == .assign
                tokens = afterFirst.dropFirst()
            } else if rangeStyle, let second = afterFirst.first, second.kind == .comma,
                let third = afterFirst.dropFirst().first, case .variable(let other, let otherPath) = third.kind, otherPath.isEmpty,
                let fourth = afterFirst.dropFirst(2).first, fourth.kind == .declare
            {
                pipeline.variables = [name, other]
                tokens = afterFirst.dropFirst(3)
            }
        }
        var command: [Argument] = []
        var commandPosition = tokens.first?.position ?? position
        var cursor = tokens.startIndex
        while cursor < tokens.endIndex {
            let token = tokens[cursor]
            switch token.kind {
            case .pipe:
                guard !command.isEmpty else { throw error(token.position, "missing command before |") }
                pipeline.commands.append(Command(position: commandPosition, arguments: command))
                command = []
                cursor += 1
                commandPosition = cursor < tokens.endIndex ? tokens[cursor].position : token.position
                continue
            case .rightParen:
                throw error(token.position, "unexpected right paren")
            case .declare, .assign, .comma:
                throw error(token.position, "unexpected \(token.kind == .comma ? "," : ":=") in command")
            default:
                let (argument, next) = try parseOperand(tokens, at: cursor)
                command.append(argument)
                cursor = next
            }
        }
        if !command.isEmpty {
            pipeline.commands.append(Command(position: commandPosition, arguments: command))
        } else if !pipeline.commands.isEmpty {
            throw error(position, "missing command after |")
        }
        if pipeline.commands.isEmpty && !pipeline.variables.isEmpty {
            throw error(position, "missing value for declaration")
        }
        return pipeline
    }

    private func parseOperand(_ tokens: ArraySlice<Token>, at cursor: Int) throws(TemplateError) -> (Argument, Int) {
        let token = tokens[cursor]
        switch token.kind {
        case .field(let path): return (.dot(path), cursor + 1)
        case .variable(let name, let path): return (.variable(name, path), cursor + 1)
        case .literal(let value): return (.literal(value), cursor + 1)
        case .word("true"): return (.literal(.bool(true)), cursor + 1)
        case .word("false"): return (.literal(.bool(false)), cursor + 1)
        case .word("nil"): return (.literal(.null), cursor + 1)
        case .word(let name): return (.function(name), cursor + 1)
        case .leftParen:
            var depth = 1
            var end = cursor + 1
            while end < tokens.endIndex {
                if tokens[end].kind == .leftParen { depth += 1 }
                if tokens[end].kind == .rightParen {
                    depth -= 1
                    if depth == 0 { break }
                }
                end += 1
            }
            guard end < tokens.endIndex else { throw error(token.position, "unclosed left paren") }
            let inner = try parsePipeline(tokens[(cursor + 1)..<end], position: token.position, allowDeclarations: false)
            guard !inner.commands.isEmpty else { throw error(token.position, "missing value in parentheses") }
            // (pipeline).field.chain, with no space before the dot.
            if end + 1 < tokens.endIndex, case .field(let path) = tokens[end + 1].kind, !tokens[end + 1].spaced {
                return (.pipeline(inner, path), end + 2)
            }
            return (.pipeline(inner, []), end + 1)
        default:
            throw error(token.position, "unexpected token in command")
        }
    }
}
