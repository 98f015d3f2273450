/// Neighbours of a host as far as the observed data shows them. There is no topology module yet, so nothing here
/// is declared by anyone: two hosts are related when they share a grouping label, or when one host's check
/// probes the other's name or address. Pure: hosts and checks in, relations out.
public enum TopologyInference {
    /// The labels whose equal values put hosts in the same group.
    public static let groupingLabels = ["group", "role", "service", "cluster"]
    /// The labels that may hold a host's address, besides its name.
    public static let addressLabels = ["address", "addr", "ip", "fqdn", "hostname", "instance"]

    /// One neighbour and every reason it is one.
    public struct Neighbour: Sendable, Equatable {
        public var host: String
        /// e.g. `same group=web`, `web-1 checks it (tcp db-1:5432, failing)`, `it checks web-1 (http …)`.
        public var relations: [String]
    }

    /// The neighbours of `host`, those with more relations first, then by name.
    public static func neighbours(of host: String, hosts: [HostSummary], checks: [ObservedCheck]) -> [Neighbour] {
        guard let me = hosts.first(where: { $0.name == host }) else { return [] }
        var relations: [String: [String]] = [:]
        for label in groupingLabels {
            guard let v = me.labels[label], !v.isEmpty else { continue }
            for h in hosts where h.name != host && h.labels[label] == v {
                relations[h.name, default: []].append("same \(label)=\(v)")
            }
        }
        var owner: [String: String] = [:]
        for h in hosts {
            for a in addresses(of: h) where owner[a] == nil { owner[a] = h.name }
        }
        func ownerOf(_ target: String) -> String? {
            guard let addr = targetHost(target) else { return nil }
            if let o = owner[addr] { return o }
            // An FQDN target for a host known by its short name.
            if let dot = addr.firstIndex(of: "."), let o = owner[String(addr[..<dot])] { return o }
            return nil
        }
        for c in checks where c.kind != .systemd {
            guard let target = ownerOf(c.target) else { continue }
            let how = "\(c.kind.rawValue) \(c.target)\(c.ok ? "" : ", failing")"
            if c.host == host, target != host {
                relations[target, default: []].append("\(host) checks it (\(c.name): \(how))")
            } else if target == host, c.host != host {
                relations[c.host, default: []].append("it checks \(host) (\(c.name): \(how))")
            }
        }
        return relations.map { Neighbour(host: $0.key, relations: $0.value) }
            .sorted { ($0.relations.count, $1.host) > ($1.relations.count, $0.host) }
    }

    /// The lower-cased names a host may be reached by: its name and any address-like label.
    static func addresses(of h: HostSummary) -> [String] {
        var out = [h.name.lowercased()]
        for l in addressLabels {
            if let v = h.labels[l], !v.isEmpty, let a = targetHost(v) { out.append(a) }
        }
        return out
    }

    /// The host part of a check target: `http://user@db-1:8080/x` → `db-1`, `10.0.0.5:5432` → `10.0.0.5`,
    /// `[::1]:80` → `::1`. Nil when nothing is left.
    public static func targetHost(_ target: String) -> String? {
        var s = Substring(target.lowercased())
        if let r = s.range(of: "://") { s = s[r.upperBound...] }
        if let slash = s.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { s = s[..<slash] }
        if let at = s.lastIndex(of: "@") { s = s[s.index(after: at)...] }
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            s = s[s.index(after: s.startIndex)..<close]
        } else if s.filter({ $0 == ":" }).count == 1, let colon = s.firstIndex(of: ":") {
            s = s[..<colon]
        }
        let out = String(s)
        return out.isEmpty ? nil : out
    }
}
