/// Where a token or node starts in the template: 1-based line and column.
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
