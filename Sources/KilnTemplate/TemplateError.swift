/// A parse or execution error: the template's name, the line and column of
/// the action, and what went wrong, as Go writes them.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "\(name):\(line):\(column): \(message)" }
}
