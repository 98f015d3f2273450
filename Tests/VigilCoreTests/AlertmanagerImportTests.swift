import Testing
@testable import VigilCore

/// `vigil notify import-alertmanager`: a typical Alertmanager config converts into a config Vigil accepts, with the
/// same routing, and what cannot be converted is listed.
@Suite struct AlertmanagerImportTests {
    static let alertmanager = """
        global:
          resolve_timeout: 5m
          smtp_smarthost: smtp.example.org:587
          smtp_from: alertmanager@example.org
          smtp_auth_username: am
          smtp_auth_password: pw
          slack_api_url: https://hooks.slack.com/services/T/B/X
          opsgenie_api_key: nope
        route:
          receiver: team-ops
          group_by: [alertname, cluster]
          group_wait: 30s
          group_interval: 5m
          repeat_interval: 3h
          routes:
            - matchers: ['severity="critical"', 'host=~"db-.*"']
              receiver: pager
              continue: true
              group_wait: 10s
            - match: {team: data}
              receiver: data-team
              routes:
                - match_re: {service: "^(mysql|postgres)$"}
                  receiver: dba
        receivers:
          - name: team-ops
            webhook_configs:
              - url: http://chatops.example.org/hook
          - name: pager
            email_configs:
              - to: oncall@example.org, lead@example.org
                send_resolved: true
            slack_configs:
              - channel: '#pager'
          - name: data-team
            email_configs:
              - to: data@example.org
                smarthost: mail.example.org:465
          - name: dba
            pagerduty_configs:
              - service_key: x
        inhibit_rules:
          - source_matchers: [severity="critical"]
            target_matchers: [severity="warning"]
            equal: [alertname]
        """

    @Test func routesAndReceiversConvertAndTheRestIsListed() throws {
        let r = try AlertmanagerConfigImporter.convert(yaml: Self.alertmanager, file: "alertmanager.yml")
        let config = try NotifyConfig.parse(yaml: r.yaml, path: "converted")
        #expect(config.channels.map(\.name) == ["team-ops", "pager", "pager-slack1", "data-team"])
        #expect(config.channel(named: "team-ops")?.kind == .webhook)
        let mail = try #require(config.channel(named: "pager"))
        #expect(mail.kind == .email && mail.to == ["oncall@example.org", "lead@example.org"] && mail.from == "alertmanager@example.org")
        #expect(mail.url == .literal("smtp://smtp.example.org:587") && mail.username == "am" && mail.password == .literal("pw") && mail.sendResolved)
        #expect(config.channel(named: "data-team")?.url == .literal("smtps://mail.example.org:465"))
        #expect(config.channel(named: "pager-slack1")?.url == .literal("https://hooks.slack.com/services/T/B/X"))
        #expect(config.route.receiver == "team-ops" && config.route.groupBy == ["alertname", "cluster"])
        #expect(config.route.groupWait == 30_000 && config.route.groupInterval == 300_000 && config.route.repeatInterval == 10_800_000)

        // The same alerts go to the same places.
        func receivers(_ labels: [String: String]) -> [String] { config.route.leaves(for: labels).map(\.receiver) }
        #expect(receivers(["severity": "critical", "host": "db-1", "alertname": "X"]) == ["pager", "pager-slack1"], "as in Alertmanager: a matching child takes it from the parent")
        #expect(receivers(["severity": "critical", "host": "web-1"]) == ["team-ops"])
        #expect(receivers(["team": "data", "service": "mysql"]) == ["data-team"], "dba has nothing Vigil can send to")
        #expect(receivers(["team": "data"]) == ["data-team"])
        #expect(config.route.leaves(for: ["severity": "critical", "host": "db-1"]).first?.groupWait == 10_000)

        #expect(r.skipped.contains("global.opsgenie_api_key: no Vigil equivalent"))
        #expect(r.skipped.contains("receiver dba: pagerduty_configs (no such channel kind; a webhook may reach it through a bridge)"))
        #expect(r.skipped.contains("receiver pager: Slack 'channel' (an incoming webhook posts to its own channel)"))
        #expect(r.skipped.contains { $0.hasPrefix("inhibit_rules: not converted") })
        #expect(r.skipped.contains("a route to receiver dba: the receiver has nothing Vigil can send to"))
    }

    @Test func notAnAlertmanagerConfigIsAClearError() {
        #expect(throws: ConfigError.self) { try AlertmanagerConfigImporter.convert(yaml: "groups: []", file: "x.yml") }
    }
}
