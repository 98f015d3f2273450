import Testing
@testable import VigilCore

@Suite struct AlertTemplateTests {
    func annotation(_ text: String, _ labels: [String: String] = ["host": "web-1", "mount": "/var"], _ value: Double = 93.456) throws -> String {
        try AlertTemplate(text).renderAnnotation(labels: labels, value: value)
    }

    @Test func prometheusAnnotationForms() throws {
        #expect(try annotation("Disk {{ $labels.mount }} on {{ $labels.host }} is {{ $value | humanize }}% full") == "Disk /var on web-1 is 93.46% full")
        #expect(try annotation("{{ .Labels.host }} at {{ .Value }}") == "web-1 at 93.456")
        #expect(try annotation("{{ $labels.missing }}|") == "|")
        #expect(try annotation("no actions: {not} }} {") == "no actions: {not} }} {")
        #expect(try annotation("{{ humanizePercentage 0.1234 }}") == "12.34%")
        #expect(try annotation("{{ 1234567 | humanize }} {{ 0.00123 | humanize }} {{ 0 | humanize }}") == "1.235M 1.23m 0")
        #expect(try annotation("{{ 1048576 | humanize1024 }}") == "1Mi")
        #expect(try annotation("{{ 93784 | humanizeDuration }}|{{ 3723 | humanizeDuration }}|{{ 61 | humanizeDuration }}|{{ 1.5 | humanizeDuration }}|{{ 0.0125 | humanizeDuration }}")
                == "1d 2h 3m 4s|1h 2m 3s|1m 1s|1.5s|12.5ms")
        #expect(try annotation("{{ \"web server\" | title }} {{ toUpper $labels.host }}") == "Web Server WEB-1")
        #expect(try annotation("{{ printf \"%.1f\" $value }}% / {{ printf \"%d items, %s\" 3 \"ok\" }}") == "93.5% / 3 items, ok")
    }

    @Test func conditionsLoopsAndTrimming() throws {
        #expect(try annotation("{{ if gt $value 90.0 }}critical{{ else if gt $value 80.0 }}warning{{ else }}ok{{ end }}") == "critical")
        #expect(try annotation("{{ if gt $value 95.0 }}critical{{ else if gt $value 80.0 }}warning{{ else }}ok{{ end }}") == "warning")
        #expect(try annotation("{{ if eq $labels.host \"web-1\" \"web-2\" }}web{{ end }}") == "web")
        #expect(try annotation("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}") == "host=web-1;mount=/var;")
        #expect(try annotation("a  {{- \" b \" -}}  c") == "a b c")
        #expect(try annotation("{{ with $labels.host }}on {{ . }}{{ end }}{{ with $labels.nope }}x{{ else }}-{{ end }}") == "on web-1-")
        let list = TemplateValue.list([.map(["Labels": .strings(["host": "a"])]), .map(["Labels": .strings(["host": "b"])])])
        let t = try AlertTemplate("{{ len .Alerts }} alerts:{{ range .Alerts }} {{ .Labels.host }}{{ end }}")
        #expect(try t.render(dot: .map(["Alerts": list])) == "2 alerts: a b")
        #expect(try AlertTemplate("{{ range .Alerts }}x{{ else }}none{{ end }}").render(dot: .map(["Alerts": .list([])])) == "none")
    }

    @Test func errorsSayWhatAndWhere() {
        func failure(_ text: String) -> TemplateError? {
            do {
                _ = try annotation(text)
                return nil
            } catch let e as TemplateError {
                return e
            } catch {
                return nil
            }
        }
        #expect(failure("ok {{ $labels.host ") == TemplateError(message: "'{{' is never closed with '}}'", line: 1, column: 4))
        #expect(failure("line one\n  {{ humanise $value }}")?.message.hasPrefix("unknown function 'humanise'") == true)
        #expect(failure("line one\n  {{ humanise $value }}")?.line == 2)
        #expect(failure("line one\n  {{ humanise $value }}")?.column == 6)
        #expect(failure("{{ if $value }}x")?.message == "'if' is never closed with '{{ end }}'")
        #expect(failure("{{ end }}")?.message == "'end' without a block to close")
        #expect(failure("{{ $value | 3 }}")?.message == "a value cannot follow '|' (a function must)")
        #expect(failure("{{ $nope }}")?.message == "undefined variable $nope")
        #expect(failure("{{ humanize \"abc\" }}")?.message == "humanize: expected a number, got a string 'abc'")
        #expect(failure("{{ $value.x }}")?.message == "$value is a number, it has no field 'x'")
        #expect(failure("{{ \"open }}")?.message != nil)
        #expect(failure("{{ range 1e9 }}x{{ end }}")?.message == "range over a number (expected a list or a map)")
    }
}
