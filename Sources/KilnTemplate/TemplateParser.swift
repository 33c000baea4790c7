/// Parses Go text/template syntax into a tree: text, actions with trim
/// markers (`{{-`, `-}}`), comments, pipelines, variables and the control
/// structures if/else if/else, range (with `$i, $v :=`), with, break and
/// continue. `define`, `template` and `block` are not supported.
struct TemplateParser {
    let name: String
    private var lexer: TemplateLexer

    init(name: String, source: String) {
        self.name = name
        lexer = TemplateLexer(name: name, source: source)
    }

    private func error(_ position: Position, _ message: String) -> TemplateError {
        TemplateError(name: name, line: position.line, column: position.column, message: message)
    }

    // MARK: Building the tree

    public mutating func parse() throws(TemplateError) -> [Node] {
        var reader = PieceReader(pieces: try lexer.pieces())
        let (nodes, terminator) = try parseList(&reader, inside: nil, inRange: false)
        if let terminator { throw error(terminator.1, "unexpected {{\(terminator.0)}}") }
        return nodes
    }

    private struct PieceReader {
        var pieces: [TemplateLexer.Piece]
        var index = 0
        mutating func next() -> TemplateLexer.Piece? {
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
