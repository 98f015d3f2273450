import Foundation

/// Decodes the body of Alertmanager's push API (`POST /api/v2/alerts`): a JSON array of alerts, each with
/// `labels` (an `alertname` is required), optional `annotations`, `startsAt`, `endsAt` (RFC 3339, Prometheus' zero
/// time `0001-…` meaning unset) and `generatorURL`. Pure: bytes in, alerts or an error naming the field out.
public enum PushedAlertDecoder {
    /// Why a push body was refused; `field` is a JSON path such as `[2].endsAt`.
    public typealias Failure = JSONBodyError

    struct AlertJSON: Decodable {
        var labels: [String: String]
        var annotations: [String: String]?
        var startsAt: String?
        var endsAt: String?
        var generatorURL: String?
    }

    public static func decode(_ body: Data) throws(Failure) -> [PushedAlert] {
        if body.isEmpty { throw Failure(message: "a JSON array of alerts is required") }
        let raw = try JSONBody.decode([AlertJSON].self, from: body)
        var alerts: [PushedAlert] = []
        alerts.reserveCapacity(raw.count)
        for (i, a) in raw.enumerated() {
            guard let name = a.labels["alertname"], !name.isEmpty else {
                throw Failure(message: "every alert needs an alertname label", field: "[\(i)].labels.alertname")
            }
            let starts = try time(a.startsAt, name: "startsAt", index: i)
            let ends = try time(a.endsAt, name: "endsAt", index: i)
            alerts.append(PushedAlert(labels: a.labels, annotations: a.annotations ?? [:], startsAt: starts, endsAt: ends,
                                      generatorURL: a.generatorURL))
        }
        return alerts
    }

    private static func time(_ text: String?, name: String, index: Int) throws(Failure) -> Int64? {
        guard let text, !text.isEmpty, !text.hasPrefix("0001-") else { return nil }
        guard let t = parseTime(text) else {
            throw Failure(message: "\(name) '\(text)' is not an RFC 3339 time", field: "[\(index)].\(name)")
        }
        return t
    }

    /// Milliseconds since the epoch of an RFC 3339 time, with or without fractional seconds (Prometheus sends them).
    static func parseTime(_ s: String) -> Int64? { RFC3339.milliseconds(s) }

}
