/// A template in the notation of Prometheus annotations and Alertmanager messages (a subset of Go's
/// `text/template`): `{{ $labels.host }}`, `{{ $value | humanize }}`, `{{ .Labels.alertname }}`,
/// `{{ if eq .Status "firing" }}…{{ else }}…{{ end }}`, `{{ range .Alerts }}…{{ end }}`, `{{- … -}}` trimming.
///
/// Parsed once (a parse error names the line and column), rendered many times. Pure: no I/O, no clock.
/// docs/templates.md lists the functions and the data each use (annotations, channel messages) provides.
public struct AlertTemplate: Sendable {
    public let source: String
    let nodes: [TemplateNode]

    /// Most output a rendering may produce; a template that loops past it fails rather than exhausting memory.
    public static let maxOutputBytes = 1 << 20

    public init(_ source: String) throws(TemplateError) {
        self.source = source
        var parser = TemplateParser(source: source)
        nodes = try parser.parseAll()
    }

    /// True when the text has no actions: rendering returns it unchanged.
    public var isPlain: Bool { nodes.allSatisfy { if case .text = $0 { true } else { false } } }

    /// Renders with `dot` as `.` and `variables` as `$name` (without the `$`).
    public func render(dot: TemplateValue, variables: [String: TemplateValue] = [:]) throws(TemplateError) -> String {
        var r = TemplateRenderer(source: source, variables: variables)
        try r.render(nodes, dot: dot)
        return r.out
    }

    /// The variables Prometheus gives annotation templates: `$labels`, `$value`, `$externalLabels`, and `.` with
    /// `Labels`, `Value`.
    public func renderAnnotation(labels: [String: String], value: Double) throws(TemplateError) -> String {
        if isPlain { return source }
        let l = TemplateValue.strings(labels)
        return try render(dot: .map(["Labels": l, "Value": .number(value)]),
                          variables: ["labels": l, "value": .number(value), "externalLabels": .map([:])])
    }
}

/// A template that cannot be parsed or rendered: what is wrong and where in the template (1-based).
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int

    public init(message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { "template line \(line) column \(column): \(message)" }
}

indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline)
    case ifBlock(branches: [(TemplatePipeline, [TemplateNode])], otherwise: [TemplateNode])
    case range(TemplatePipeline, body: [TemplateNode], otherwise: [TemplateNode])
    case with(TemplatePipeline, body: [TemplateNode], otherwise: [TemplateNode])
}

/// `cmd | cmd | …`, at an offset of the source (for errors).
struct TemplatePipeline: Sendable {
    var commands: [[TemplateTerm]]
    var offset: Int
    /// For `range $v := …` / `range $k, $v := …`: the variables it declares.
    var names: [String] = []
}

indirect enum TemplateTerm: Sendable {
    /// `.A.B` (empty path: `.`).
    case field([String])
    /// `$name.A.B` (`$` alone: name "").
    case variable(String, [String])
    case literal(TemplateValue)
    case function(String)
    case pipeline(TemplatePipeline)
}
