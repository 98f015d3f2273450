import Foundation

/// What a notification says once its templates are rendered: kept in the outbox as is, so a retry sends the
/// same words, and free of secrets (the channel's URL and signing are added when it is sent).
public struct RenderedNotification: Sendable, Equatable, Codable {
    public var title: String
    /// Markdown for the chat kinds, plain text for email.
    public var text: String
    /// Email only.
    public var html: String?
    /// The whole body, for webhooks (Alertmanager's JSON, or the channel's `body` template).
    public var body: String?
    /// Handles the chat kinds mention (DingTalk `at.atMobiles`, Feishu `<at>`, WeCom `<@id>`, Slack `<@id>`).
    public var mentions: [String] = []

    public init(title: String, text: String, html: String? = nil, body: String? = nil, mentions: [String] = []) {
        self.title = title
        self.text = text
        self.html = html
        self.body = body
        self.mentions = mentions
    }

}

/// Renders a message for a channel with the channel's templates, else the kind's defaults.
public enum NotificationRenderer {
    /// Alerts listed one by one in a message; the rest are counted (a burst of 500 is one readable message).
    public static let listedAlerts = 20

    public static let defaultTitle = """
        {{ if .Test }}[TEST] {{ end }}{{ with .Escalation }}[ESCALATION] {{ end }}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ len .Firing }}{{ end }}] \
        {{ with .CommonLabels.alertname }}{{ . }}{{ else }}{{ len .Alerts }} alerts{{ end }}\
        {{ with .CommonLabels.host }} on {{ . }}{{ end }}
        """

    /// The default body, `B` standing for the kind's bold marker.
    static let defaultText = """
        {{ range .Shown }}{{ if eq .Status "firing" }}B{{ .Labels.alertname }}B firing{{ else }}B{{ .Labels.alertname }}B resolved{{ end }} \
        ({{ .Severity }}{{ if .Flapping }}, flapping{{ end }}) on {{ with .Host }}{{ . }}{{ else }}the fleet{{ end }}
        {{ with .Annotations.summary }}{{ . }}
        {{ end }}{{ if eq .Status "firing" }}for {{ .Since }}{{ else }}after {{ .Since }}{{ end }}\
        {{ if .Value }}, value {{ .Value | humanize }}{{ end }}{{ with .AckedBy }}, acked by {{ . }}{{ end }}
        {{ with .Annotations.runbook }}runbook: {{ . }}
        {{ end }}{{ with .Remediation }}remediation: {{ . }}
        {{ end }}open: vigil, then {{ .Console }}

        {{ end }}{{ if .More }}… and {{ .More }} more ({{ len .Firing }} firing, {{ len .Resolved }} resolved in all)
        {{ end }}
        """

    /// The email's HTML part; every value goes through `html` (this renderer does not escape by itself).
    static let defaultHTML = """
        <html><body><h3>{{ .Title | html }}</h3>{{ range .Shown }}<p><b>{{ .Labels.alertname | html }}</b> {{ .Status }} \
        ({{ .Severity }}{{ if .Flapping }}, flapping{{ end }}) on {{ with .Host }}{{ . | html }}{{ else }}the fleet{{ end }}<br>\
        {{ with .Annotations.summary }}{{ . | html }}<br>{{ end }}{{ if eq .Status "firing" }}for {{ .Since }}{{ else }}after {{ .Since }}{{ end }}\
        {{ if .Value }}, value {{ .Value | humanize }}{{ end }}<br>{{ with .Annotations.runbook }}runbook: {{ . | html }}<br>{{ end }}{{ with .Remediation }}remediation: {{ . | html }}<br>{{ end }}\
        open: vigil, then <code>{{ .Console | html }}</code></p>{{ end }}{{ if .More }}<p>… and {{ .More }} more</p>{{ end }}</body></html>
        """

    static func bold(_ kind: NotifyChannel.Kind) -> String {
        switch kind {
        case .slack: "*"
        case .email, .webhook: ""
        default: "**"
        }
    }

    public static func render(_ message: NotificationMessage, channel: NotifyChannel, now: Int64) throws(TemplateError) -> RenderedNotification {
        guard case .map(var data) = message.templateData(now: now), case .list(let all) = data["Alerts"] ?? .null else {
            return RenderedNotification(title: "", text: "")
        }
        data["Shown"] = .list(Array(all.prefix(listedAlerts)))
        data["More"] = .number(Double(max(0, all.count - listedAlerts)))
        func run(_ key: String, _ fallback: String) throws(TemplateError) -> String {
            let source = channel.templates[key] ?? fallback
            return try AlertTemplate(source).render(dot: .map(data))
        }
        let title = try run("title", defaultTitle).trimmingCharacters(in: .whitespacesAndNewlines)
        data["Title"] = .string(title)
        let text = try run("text", defaultText.replacingOccurrences(of: "B{{", with: bold(channel.kind) + "{{")
            .replacingOccurrences(of: "}}B", with: "}}" + bold(channel.kind))).trimmingCharacters(in: .whitespacesAndNewlines)
        var rendered = RenderedNotification(title: title, text: text, mentions: message.mentions)
        if let e = message.escalation { rendered.text = e + "\n\n" + rendered.text }
        switch channel.kind {
        case .email:
            rendered.html = try run("html", defaultHTML)
        case .webhook:
            rendered.body = try channel.templates["body"].map { t throws(TemplateError) in try AlertTemplate(t).render(dot: .map(data)) }
                ?? AlertmanagerWebhook.body(message)
        default: break
        }
        return rendered
    }
}

/// Alertmanager's webhook payload, version 4, so anything that consumes Alertmanager webhooks consumes Vigil's.
public enum AlertmanagerWebhook {
    public static func body(_ m: NotificationMessage) -> String {
        let alerts: [[String: Any]] = m.alerts.map { a in
            ["status": a.status, "labels": a.labels, "annotations": a.annotations, "startsAt": NotificationMessage.rfc3339(a.startsAt),
             "endsAt": NotificationMessage.rfc3339(a.endsAt), "generatorURL": a.generatorURL, "fingerprint": a.fingerprint]
        }
        let object: [String: Any] = [
            "version": "4", "groupKey": m.groupKey, "truncatedAlerts": 0, "status": m.status, "receiver": m.receiver,
            "groupLabels": m.groupLabels, "commonLabels": m.commonLabels, "commonAnnotations": m.commonAnnotations,
            "externalURL": m.externalURL, "alerts": alerts,
        ]
        return ChannelRequest.json(object)
    }
}
