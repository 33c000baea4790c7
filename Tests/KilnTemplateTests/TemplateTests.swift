import KilnCore
import KilnTestSupport
import Testing
@testable import KilnTemplate

private let data: [String: JSONValue] = [
    "name": .string("node1"),
    "n": .number(3),
    "big": .number(1_000_000),
    "half": .number(1.5),
    "on": .bool(true),
    "off": .bool(false),
    "empty": .string(""),
    "none": .null,
    "list": .array([.string("a"), .string("b"), .string("c")]),
    "empty_list": .array([]),
    "m": .object(["b": .number(2), "a": .number(1)]),
    "request": .object(["query": .object(["mac": .string("52:54:00:12:34:56")]), "raw_query": .string("mac=52-54-00-12-34-56")]),
    "ssh_authorized_keys": .array([.string("ssh-ed25519 AAAA key1")]),
]

private func render(_ source: String) throws -> String {
    try Template(name: "t", source: source).render(data)
}

@Suite struct TemplateTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("{{.name}} has {{.n}}", "node1 has 3"),
        ("{{.request.query.mac}}", "52:54:00:12:34:56"),
        ("{{.big}} {{.half}} {{.on}}", "1e+06 1.5 true"),
        ("{{.none}}", "<no value>"),
        ("{{.list}} {{.m}}", "[a b c] map[a:1 b:2]"),
        ("{{.}}", "map[big:1e+06 empty: empty_list:[] half:1.5 list:[a b c] m:map[a:1 b:2] n:3 name:node1 none:<nil> off:false on:true request:map[query:map[mac:52:54:00:12:34:56] raw_query:mac=52-54-00-12-34-56] ssh_authorized_keys:[ssh-ed25519 AAAA key1]]"),
        // Trim markers, from Go's documentation.
        ("{{23 -}}\n\t<\n\t{{- 45}}", "23<45"),
        ("a  {{- .name -}}  b", "anode1b"),
        ("{{- 3}}", "3"),
        ("a{{/* a comment */}}b", "ab"),
        ("a \n{{- /* trimmed */ -}}\n b", "ab"),
        // Control structures.
        ("{{if .on}}yes{{else}}no{{end}}", "yes"),
        ("{{if .off}}1{{else if .empty}}2{{else if .n}}3{{else}}4{{end}}", "3"),
        ("{{if .none}}x{{else}}nil is false{{end}}", "nil is false"),
        ("{{with .name}}[{{.}}]{{end}}", "[node1]"),
        ("{{with .empty}}x{{else}}empty{{end}}", "empty"),
        ("{{range .list}}<{{.}}>{{end}}", "<a><b><c>"),
        ("{{range $i, $v := .list}}{{if $i}}, {{end}}{{$i}}={{$v}}{{end}}", "0=a, 1=b, 2=c"),
        ("{{range $k, $v := .m}}{{$k}}:{{$v}} {{end}}", "a:1 b:2 "),
        ("{{range .empty_list}}x{{else}}none{{end}}", "none"),
        ("{{range .list}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", "ac"),
        ("{{range .list}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", "a"),
        ("{{range 3}}{{.}}{{end}}", "012"),
        // Variables.
        ("{{$x := .name}}{{$x}}-{{$x}}", "node1-node1"),
        ("{{printf \"%s-%s\"\n    .name\n    .name}}", "node1-node1"),
        ("{{$n := 0}}{{range .list}}{{$n = len .}}{{end}}{{$n}}", "1"),
        ("{{range .list}}{{$.name}}{{end}}", "node1node1node1"),
        ("{{with .m}}{{$.n}}{{.a}}{{end}}", "31"),
        // Pipelines and parentheses.
        ("{{.name | printf \"%s!\"}}", "node1!"),
        ("{{\"x\" | printf \"%s-%s\" \"y\"}}", "y-x"),
        ("{{(index .list 1) | print}}", "b"),
        ("{{(.request).query.mac}}", "52:54:00:12:34:56"),
        // Built-in functions.
        ("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" 3}} {{or 0 \"\"}}", "0 2 3 "),
        ("{{not .on}} {{not .empty}}", "false true"),
        ("{{eq .n 3}} {{eq .name \"x\" \"node1\"}} {{ne 1 2}}", "true true true"),
        ("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2}}", "true true true false"),
        ("{{len .list}} {{len .name}} {{len .m}}", "3 5 2"),
        ("{{index .list 2}} {{index .m \"a\"}} {{index .ssh_authorized_keys 0}}", "c 1 ssh-ed25519 AAAA key1"),
        ("{{print 1 2 \"a\" 3 \"b\" \"c\"}}", "1 2a3bc"),
        ("{{println 1 \"a\"}}", "1 a\n"),
        ("{{urlquery \"a b&c=d/é\"}}", "a+b%26c%3Dd%2F%C3%A9"),
        ("{{html \"<a href=\\\"x\\\">'&'</a>\"}}", "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"),
        ("{{js \"'a' <b> = \\\"c\\\"\\n\"}}", "\\'a\\' \\u003Cb\\u003E \\u003D \\\"c\\\"\\u000A"),
        // printf verbs, including Go's forms for mismatches.
        ("{{printf \"%s %d %v %q %t\" \"s\" 3 1.5 \"q\\\"\" true}}", "s 3 1.5 \"q\\\"\" true"),
        ("{{printf \"%d\" .n}}", "%!d(float64=3)"),
        ("{{printf \"%v|%5s|%-5s|%05d|%.2f|%x|%X|%c\" .n \"ab\" \"ab\" 42 .half 255 \"hi\" 65}}", "3|   ab|ab   |00042|1.50|ff|6869|A"),
        ("{{printf \"%d %d\" 1}}", "1 %!d(MISSING)"),
        ("{{printf \"%d\" 1 2}}", "1%!(EXTRA int=2)"),
        ("{{printf \"100%%\"}}", "100%"),
        ("{{printf \"%s\" .none}}", "%!s(<nil>)"),
        // Literals.
        ("{{0x1F}} {{-3}} {{1e3}} {{'a'}} {{`raw\\n`}} {{\"tab\\there\"}}", "31 -3 1000 97 raw\\n tab\there"),
    ])
    func rendersLikeGo(_ source: String, _ expected: String) throws {
        #expect(try render(source) == expected, "\(source)")
    }

    @Test func repeatedFieldsFollowDotIntoRangeAndWith() throws {
        // Fields are looked up once per render while dot is the data; inside
        // range and with, the same path means the element's field.
        let items: JSONValue = .array([.object(["name": .string("first")]), .object(["name": .string("second")])])
        let source = "{{.name}} {{range .items}}{{.name}} {{end}}{{with .sub}}{{.name}} {{end}}{{.name}}{{if .name}} {{.name}}{{end}}"
        let rendered = try Template(name: "t", source: source)
            .render(["name": .string("top"), "items": items, "sub": .object(["name": .string("inner")])])
        #expect(rendered == "top first second inner top top")
        // Rendering again with other data gives that data's values.
        let template = try Template(name: "t", source: "{{.a}}{{.a}}")
        #expect(try template.render(["a": .string("x")]) == "xx")
        #expect(try template.render(["a": .string("y")]) == "yy")
        #expect(throws: TemplateError.self) { try template.render(["b": .string("y")]) }
    }

    @Test func missingKeysAreErrorsWithTheLine() throws {
        do {
            _ = try render("line one\n  {{.request.query.uuid}}")
            Issue.record("rendered a missing key")
        } catch let error as TemplateError {
            #expect(error.line == 2 && error.column == 5)
            #expect(error.message == "map has no entry for key \"uuid\"")
            #expect(error.description == "t:2:5: map has no entry for key \"uuid\"")
        } catch {
            Issue.record("\(error)")
        }
        #expect(throws: TemplateError.self) { try render("{{.name.first}}") }
        #expect(throws: TemplateError.self) { try render("{{if .nope}}x{{end}}") }
        // index of a missing key is not an error, as in Go.
        #expect(try render("{{index .m \"zzz\"}}") == "<no value>")
    }

    @Test(arguments: [
        ("{{if .on}}x", "t:1:1: unexpected EOF: {{if}} has no {{end}}"),
        ("x{{.name", "t:1:2: unclosed action"),
        ("{{nofunc 1}}", "t:1:3: function \"nofunc\" not defined"),
        ("ok\n{{end}}", "t:2:1: unexpected {{end}}"),
        ("{{else}}", "t:1:1: unexpected {{else}}"),
        ("{{break}}", "t:1:1: {{break}} outside {{range}}"),
        ("{{template \"x\"}}", "t:1:1: {{template}} is not supported"),
        ("{{/* open", "t:1:1: unclosed comment"),
        ("{{\"open}}", "t:1:3: unterminated quoted string"),
        ("{{.a | }}", "t:1:1: missing command after |"),
        ("{{(.a}}", "t:1:3: unclosed left paren"),
    ])
    func parseErrorsHaveLineAndColumn(_ source: String, _ expected: String) {
        do {
            _ = try Template(name: "t", source: source)
            Issue.record("parsed \(source)")
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func executionErrorsNameTheFunction() {
        #expect(throws: TemplateError.self) { try render("{{index .list 9}}") }
        #expect(throws: TemplateError.self) { try render("{{len .n}}") }
        #expect(throws: TemplateError.self) { try render("{{lt .list 1}}") }
        #expect(throws: TemplateError.self) { try render("{{$y}}") }
        do {
            _ = try render("{{index .list 9}}")
        } catch let error as TemplateError {
            #expect(error.message == "error calling index: index out of range: 9")
        } catch {}
    }

    @Test func aButaneTemplateAsMatchboxUsersWriteIt() throws {
        let source = """
            variant: fcos
            version: 1.5.0
            passwd:
              users:
                - name: core
                  ssh_authorized_keys:
                    {{- range .ssh_authorized_keys }}
                    - {{.}}
                    {{- end }}
            storage:
              files:
                - path: /etc/hostname
                  contents:
                    inline: {{.name}}
            # requested by {{.request.query.mac}}
            """
        #expect(try render(source) == """
            variant: fcos
            version: 1.5.0
            passwd:
              users:
                - name: core
                  ssh_authorized_keys:
                    - ssh-ed25519 AAAA key1
            storage:
              files:
                - path: /etc/hostname
                  contents:
                    inline: node1
            # requested by 52:54:00:12:34:56
            """)
    }

    @Test func randomTemplatesNeverTrap() {
        var generator = SplitMix64(seed: 11)
        func next() -> UInt64 { generator.next() }
        let fragments = [
            "{{", "}}", "{{-", "-}}", " ", ".", ".name", ".list", ".m", "$", "$x", ":=", "=", "if", "else", "end", "range",
            "with", "(", ")", "|", "\"s\"", "`r`", "1", "-2", "3.5", "printf", "index", "len", "and", "eq", "/*", "*/", ",",
            "break", "continue", "\n", "x", "'c'", "%d",
        ]
        for _ in 0..<20_000 {
            let source = (0..<Int(next() % 14)).map { _ in fragments[Int(next() % UInt64(fragments.count))] }.joined()
            if let template = try? Template(name: "r", source: source) {
                _ = try? template.render(data)
            }
        }
    }
}

/// Shapes and traces: what lets /ignition translate a template once for
/// many machines.
@Suite struct TemplateShapeTests {
    static let source = "a={{.a}}{{if .flag}} on{{else}} off{{end}}{{range .list}} [{{.}}]{{end}}{{with .w}} w={{.}}{{end}} {{printf \"%v\" .n}}"

    static func data(a: String, flag: Bool, list: [String], w: String, n: Double) -> TemplateValue {
        .map(["a": .string(a), "flag": .bool(flag), "list": .array(list.map { .string($0) }), "w": .string(w), "n": .float(n)])
    }

    @Test func theShapeHasPlaceholdersWhereValuesWere() throws {
        let template = try Template(name: "t", source: Self.source)
        let data = Self.data(a: "x", flag: true, list: ["p", "q"], w: "y", n: 3)
        let (shape, values) = try template.renderShape(data) { "<\($0)>" }
        #expect(shape == "a=<0> on [<1>] [<2>] w=<3> <4>")
        #expect(values == ["x", "p", "q", "y", "3"])
        // Filling the values back gives the plain rendering.
        let filled = values.enumerated().reduce(shape) { $0.replacingOccurrences(of: "<\($1.offset)>", with: $1.element) }
        #expect(filled == (try template.render(data)))
    }

    @Test func theTraceChangesExactlyWhenTheShapeDoes() throws {
        let template = try Template(name: "t", source: Self.source)
        let cases = [
            Self.data(a: "x", flag: true, list: ["p", "q"], w: "y", n: 3),
            Self.data(a: "other", flag: true, list: ["r", "s"], w: "z", n: 9),
            Self.data(a: "x", flag: false, list: ["p", "q"], w: "y", n: 3),
            Self.data(a: "x", flag: true, list: ["p"], w: "y", n: 3),
            Self.data(a: "x", flag: true, list: ["p", "q"], w: "", n: 3),
        ]
        var byTrace: [[Int]: String] = [:]
        for data in cases {
            let (trace, values) = try template.renderTrace(data)
            let (shape, shapeValues) = try template.renderShape(data) { "<\($0)>" }
            #expect(values == shapeValues)
            if let seen = byTrace[trace] { #expect(seen == shape) }
            byTrace[trace] = shape
        }
        // The first two differ only in values; the rest each change the shape.
        #expect(byTrace.count == 4)
    }

    @Test func tracingReportsTheSameErrors() throws {
        let template = try Template(name: "t", source: "line\n{{.missing}}")
        #expect(throws: TemplateError.self) { try template.renderTrace(.map([:])) }
    }
}
