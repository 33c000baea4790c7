import KilnCore

/// A parsed Go text/template, ready to render many times (parse once per
/// data load). Missing map keys are errors, as with Go's
/// `Option("missingkey=error")`.
public struct Template: Sendable {
    public let name: String
    let nodes: [Node]
    /// Distinct paths among the `{{.a.b}}` actions.
    let fieldSlots: Int

    public static let functions: Set<String> = [
        "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index",
        "print", "printf", "println", "urlquery", "js", "html",
    ]

    public init(name: String, source: String) throws(TemplateError) {
        self.name = name
        var parser = TemplateParser(name: name, source: source)
        let parsed = try parser.parse()
        try Self.checkFunctions(parsed, name: name)
        var slots: [[String]: Int] = [:]
        nodes = Self.numberFields(parsed, &slots)
        fieldSlots = slots.count
    }

    /// Gives each distinct `{{.a.b}}` path a slot: a template prints the
    /// same few values many times (a hostname in every unit), and while
    /// dot is the data itself a path's value is looked up once per render.
    private static func numberFields(_ nodes: [Node], _ slots: inout [[String]: Int]) -> [Node] {
        nodes.map { node in
            switch node {
            case .field(let path, let position, _):
                let slot = slots[path] ?? slots.count
                slots[path] = slot
                return .field(path, position, slot: slot)
            case .ifNode(let pipeline, let body, let elseBody):
                return .ifNode(pipeline, numberFields(body, &slots), elseBody.map { numberFields($0, &slots) })
            case .rangeNode(let pipeline, let body, let elseBody):
                return .rangeNode(pipeline, numberFields(body, &slots), elseBody.map { numberFields($0, &slots) })
            case .withNode(let pipeline, let body, let elseBody):
                return .withNode(pipeline, numberFields(body, &slots), elseBody.map { numberFields($0, &slots) })
            default:
                return node
            }
        }
    }

    public func render(_ data: [String: JSONValue]) throws(TemplateError) -> String {
        try render(.map(data.mapValues(TemplateValue.init)))
    }

    public func render(_ data: TemplateValue) throws(TemplateError) -> String {
        var executor = Executor(name: name, variables: [("$", data)], fieldSlots: fieldSlots)
        _ = try executor.run(nodes, dot: data)
        return executor.output
    }

    /// The output with every action's printed value replaced by
    /// `placeholder(n)` (n counting actions in output order), and the values
    /// themselves. Machines whose renderings differ only in those values get
    /// the same shape, so work done on a shape (translating Butane) can be
    /// reused with each machine's values filled in.
    public func renderShape(_ data: TemplateValue, placeholder: @escaping (Int) -> String) throws(TemplateError) -> (shape: String, values: [String]) {
        var executor = Executor(name: name, variables: [("$", data)], fieldSlots: fieldSlots)
        executor.placeholder = placeholder
        _ = try executor.run(nodes, dot: data)
        return (executor.output, executor.recorded)
    }

    /// The printed values and the choices that shaped the output, without
    /// writing any text: two renderings with the same trace have the same
    /// shape (see `renderShape`), so the trace can stand for it.
    public func renderTrace(_ data: TemplateValue) throws(TemplateError) -> (trace: [Int], values: [String]) {
        var executor = Executor(name: name, variables: [("$", data)], fieldSlots: fieldSlots)
        executor.tracing = true
        _ = try executor.run(nodes, dot: data)
        return (executor.trace, executor.recorded)
    }

    /// Go rejects unknown functions when parsing; so does Kiln.
    private static func checkFunctions(_ nodes: [Node], name: String) throws(TemplateError) {
        func check(_ pipeline: Pipeline) throws(TemplateError) {
            for command in pipeline.commands {
                for argument in command.arguments {
                    switch argument {
                    case .function(let function) where !functions.contains(function):
                        throw TemplateError(name: name, line: command.position.line, column: command.position.column, message: "function \"\(function)\" not defined")
                    case .pipeline(let inner, _):
                        try check(inner)
                    default:
                        break
                    }
                }
            }
        }
        for node in nodes {
            switch node {
            case .action(let pipeline): try check(pipeline)
            case .ifNode(let pipeline, let body, let elseBody), .rangeNode(let pipeline, let body, let elseBody), .withNode(let pipeline, let body, let elseBody):
                try check(pipeline)
                try checkFunctions(body, name: name)
                try checkFunctions(elseBody ?? [], name: name)
            default:
                break
            }
        }
    }
}

struct Executor {
    let name: String
    var variables: [(String, TemplateValue)]
    var output = ""
    /// When set, actions' printed values are kept in `recorded` and the
    /// placeholder for each is written instead.
    var placeholder: ((Int) -> String)?
    var recorded: [String] = []
    /// When set, no text is written: values are recorded, and every choice
    /// that decides which text would be (branches taken, range lengths)
    /// goes into `trace`.
    var tracing = false
    var trace: [Int] = []

    private mutating func emit(_ printed: String) {
        if tracing {
            recorded.append(printed)
        } else if let placeholder {
            output += placeholder(recorded.count)
            recorded.append(printed)
        } else {
            output += printed
        }
    }

    enum Flow {
        case normal, breakLoop, continueLoop
    }

    /// Printed values of `{{.a.b}}` fields by slot, valid while dot is the
    /// data the rendering started from (not inside range or with).
    private var printedFields: [String?]
    private var dotIsData = true

    init(name: String, variables: [(String, TemplateValue)], fieldSlots: Int) {
        self.name = name
        self.variables = variables
        self.printedFields = Array(repeating: nil, count: fieldSlots)
    }

    private func error(_ position: Position, _ message: String) -> TemplateError {
        TemplateError(name: name, line: position.line, column: position.column, message: message)
    }

    mutating func run(_ nodes: [Node], dot: TemplateValue) throws(TemplateError) -> Flow {
        for node in nodes {
            switch node {
            case .text(let text):
                if !tracing { output += text }
            case .field(let path, let position, let slot):
                if dotIsData, slot >= 0 {
                    if let printed = printedFields[slot] {
                        emit(printed)
                    } else {
                        let printed = try walk(dot, path, at: position).printed
                        printedFields[slot] = printed
                        emit(printed)
                    }
                } else {
                    emit(try walk(dot, path, at: position).printed)
                }
            case .action(let pipeline):
                let value = try evaluate(pipeline, dot: dot)
                if pipeline.variables.isEmpty { emit(value.printed) }
            case .ifNode(let pipeline, let body, let elseBody):
                let scope = variables.count
                let taken = try evaluate(pipeline, dot: dot).isTrue
                if tracing { trace.append(taken ? 1 : 0) }
                let flow = taken ? try run(body, dot: dot) : try run(elseBody ?? [], dot: dot)
                variables.removeSubrange(scope...)
                if flow != .normal { return flow }
            case .withNode(let pipeline, let body, let elseBody):
                let scope = variables.count
                let value = try evaluate(pipeline, dot: dot)
                if tracing { trace.append(value.isTrue ? 1 : 0) }
                let flow: Flow
                if value.isTrue {
                    let outer = dotIsData
                    dotIsData = false
                    defer { dotIsData = outer }
                    flow = try run(body, dot: value)
                } else {
                    flow = try run(elseBody ?? [], dot: dot)
                }
                variables.removeSubrange(scope...)
                if flow != .normal { return flow }
            case .rangeNode(let pipeline, let body, let elseBody):
                let scope = variables.count
                var declared = pipeline
                declared.variables = []
                let collection = try evaluate(declared, dot: dot)
                var items: [(TemplateValue, TemplateValue)] = []
                switch collection {
                case .array(let values): items = values.enumerated().map { (.int($0.offset), $0.element) }
                case .map(let values): items = values.keys.sorted().map { (.string($0), values[$0]!) }
                case .int(let count) where count >= 0: items = (0..<count).map { (.int($0), .int($0)) }
                case .null: items = []
                default: throw error(pipeline.position, "range can't iterate over \(collection.printed)")
                }
                if tracing { trace.append(items.count) }
                if items.isEmpty {
                    // A break in the else belongs to an enclosing range.
                    let flow = try run(elseBody ?? [], dot: dot)
                    variables.removeSubrange(scope...)
                    if flow != .normal { return flow }
                }
                for (key, element) in items {
                    variables.removeSubrange(scope...)
                    if pipeline.variables.count == 1 {
                        variables.append((pipeline.variables[0], element))
                    } else if pipeline.variables.count == 2 {
                        variables.append((pipeline.variables[0], key))
                        variables.append((pipeline.variables[1], element))
                    }
                    let outer = dotIsData
                    dotIsData = false
                    defer { dotIsData = outer }
                    if try run(body, dot: element) == .breakLoop { break }
                }
                variables.removeSubrange(scope...)
            case .breakNode:
                return .breakLoop
            case .continueNode:
                return .continueLoop
            }
        }
        return .normal
    }

    mutating func evaluate(_ pipeline: Pipeline, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        var value: TemplateValue?
        for command in pipeline.commands {
            value = try evaluate(command, dot: dot, piped: value)
        }
        let result = value ?? .null
        if pipeline.assigns {
            guard let slot = variables.lastIndex(where: { $0.0 == pipeline.variables[0] }) else {
                throw error(pipeline.position, "undefined variable: \(pipeline.variables[0])")
            }
            variables[slot].1 = result
        } else if let variable = pipeline.variables.first {
            variables.append((variable, result))
        }
        return result
    }

    private mutating func evaluate(_ command: Command, dot: TemplateValue, piped: TemplateValue?) throws(TemplateError) -> TemplateValue {
        guard case .function(let function) = command.arguments[0] else {
            guard command.arguments.count == 1, piped == nil else {
                throw error(command.position, "can't give argument to non-function")
            }
            return try evaluate(command.arguments[0], dot: dot, at: command.position)
        }
        let rest = command.arguments.dropFirst()
        switch function {
        case "and", "or":
            // Evaluated lazily, left to right, as Go does since 1.18.
            var last: TemplateValue = .null
            var all = Array(rest.indices)
            if piped != nil { all.append(-1) }
            guard !all.isEmpty else { throw error(command.position, "wrong number of args for \(function): want at least 1 got 0") }
            for index in all {
                last = index == -1 ? piped! : try evaluate(command.arguments[index], dot: dot, at: command.position)
                if (function == "and") != last.isTrue { return last }
            }
            return last
        default:
            var arguments: [TemplateValue] = []
            for argument in rest { arguments.append(try evaluate(argument, dot: dot, at: command.position)) }
            if let piped { arguments.append(piped) }
            do {
                return try Builtins.call(function, arguments)
            } catch {
                throw self.error(command.position, "error calling \(function): \(error.message)")
            }
        }
    }

    private mutating func evaluate(_ argument: Argument, dot: TemplateValue, at position: Position) throws(TemplateError) -> TemplateValue {
        switch argument {
        case .dot(let path):
            return try walk(dot, path, at: position)
        case .variable(let name, let path):
            guard let value = variables.last(where: { $0.0 == name })?.1 else {
                throw error(position, "undefined variable: \(name)")
            }
            return try walk(value, path, at: position)
        case .literal(let value):
            return value
        case .function(let function):
            return try evaluate(Command(position: position, arguments: [.function(function)]), dot: dot, piped: nil)
        case .pipeline(let pipeline, let path):
            return try walk(try evaluate(pipeline, dot: dot), path, at: position)
        }
    }

    private func walk(_ value: TemplateValue, _ path: [String], at position: Position) throws(TemplateError) -> TemplateValue {
        var current = value
        for key in path {
            switch current {
            case .map(let values):
                guard let next = values[key] else { throw error(position, "map has no entry for key \"\(key)\"") }
                current = next
            case .null:
                throw error(position, "nil pointer evaluating interface {}.\(key)")
            default:
                throw error(position, "can't evaluate field \(key) in type \(current.goType)")
            }
        }
        return current
    }
}
