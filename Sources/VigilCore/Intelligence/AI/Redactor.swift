import Foundation

/// Removes secrets and personal data from text before it leaves the box (every AI request goes through one).
/// Pure and deterministic: the same text always redacts the same way.
///
/// Built-in patterns: private key blocks, `Authorization:` headers and bearer/basic credentials, secret-named
/// headers (`X-Auth:`, `X-Api-Key:`, `Cookie:`), JWTs, Vigil tokens (`vgl_…`), AWS access key ids and secret keys,
/// `password=`/`secret=`/`token=`/`api_key=`/`passphrase` values (also as `key: value`, JSON `"key": "value"`,
/// quoted values with spaces and `set password to "…"`), command-line flags (`--password x`, `--token=x`,
/// `-pSecret`), URL credentials (`user:pass@`), and email addresses. Extra
/// patterns (regular expressions) come from the configuration; each match is replaced whole.
public struct Redactor: Sendable {
    /// One rule: a pattern and what its match becomes. `keepGroup` keeps capture group 1 (the key) in front of
    /// the replacement, so `password=hunter2` reads `password=[REDACTED]`.
    struct Rule: @unchecked Sendable {
        // NSRegularExpression is immutable and documented thread-safe.
        let name: String
        let regex: NSRegularExpression
        let replacement: String
        let keepGroup: Bool
    }

    let rules: [Rule]

    /// A pattern from the configuration that does not compile.
    public struct PatternError: Error, Sendable, CustomStringConvertible {
        public var pattern: String
        public var message: String
        public var description: String { "redaction pattern '\(pattern)': \(message)" }
    }

    /// The built-in rules plus `extraPatterns` (regular expressions, ICU syntax).
    public init(extraPatterns: [String] = []) throws(PatternError) {
        var rules = Self.builtIn
        for p in extraPatterns {
            do {
                rules.append(Rule(name: "custom", regex: try NSRegularExpression(pattern: p), replacement: "[REDACTED]", keepGroup: false))
            } catch {
                throw PatternError(pattern: p, message: "not a valid regular expression")
            }
        }
        self.rules = rules
    }

    /// The built-in rules only.
    public static let standard: Redactor = try! Redactor()

    /// What redaction did to one text.
    public struct Result: Sendable, Equatable {
        public var text: String
        /// How many matches were replaced.
        public var count: Int
    }

    /// `text` with every match replaced.
    public func redact(_ text: String) -> Result {
        var s = text
        var count = 0
        for rule in rules {
            let ns = s as NSString
            let matches = rule.regex.matches(in: s, range: NSRange(location: 0, length: ns.length))
            if matches.isEmpty { continue }
            let out = NSMutableString(string: s)
            for m in matches.reversed() {
                var replacement = rule.replacement
                if rule.keepGroup, m.numberOfRanges > 1, m.range(at: 1).location != NSNotFound {
                    replacement = ns.substring(with: m.range(at: 1)) + replacement
                }
                out.replaceCharacters(in: m.range, with: replacement)
                count += 1
            }
            s = out as String
        }
        return Result(text: s, count: count)
    }

    private static func rule(_ name: String, _ pattern: String, _ replacement: String = "[REDACTED]", keepGroup: Bool = false,
                             caseInsensitive: Bool = false) -> Rule {
        let options: NSRegularExpression.Options = caseInsensitive ? [.caseInsensitive] : []
        return Rule(name: name, regex: try! NSRegularExpression(pattern: pattern, options: options), replacement: replacement, keepGroup: keepGroup)
    }

    /// Order matters: whole blocks and headers first, then tokens, then key=value, then emails.
    static let builtIn: [Rule] = [
        rule("private-key", #"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)"#, "[REDACTED PRIVATE KEY]"),
        rule("authorization-header", #"((?:proxy-)?authorization\s*[:=]\s*)[^\r\n"',}]+"#, keepGroup: true, caseInsensitive: true),
        rule("secret-header",
             #"((?:^|[\s,{"'])(?:x-[a-z0-9-]*(?:auth|token|key|secret|session|password|signature)[a-z0-9-]*|cookie|set-cookie)["']?\s*[:=]\s*["']?)[^\r\n"',}]+"#,
             keepGroup: true, caseInsensitive: true),
        rule("bearer", #"(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*"#, keepGroup: true, caseInsensitive: true),
        rule("jwt", #"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"#, "[REDACTED JWT]"),
        rule("vigil-token", #"\bvgl_[A-Za-z0-9_-]{8,}"#, "[REDACTED TOKEN]"),
        rule("aws-access-key", #"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"#, "[REDACTED AWS KEY]"),
        rule("aws-secret-key", #"((?:aws_secret_access_key|aws_secret_key|secretaccesskey)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{30,}"#,
             keepGroup: true, caseInsensitive: true),
        rule("api-key-prefixed", #"\bsk-(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{16,}"#, "[REDACTED KEY]"),
        rule("url-credentials", #"(\b[a-z][a-z0-9+.-]*://[^\s/:@]+:)[^\s/@]+(?=@)"#, keepGroup: true, caseInsensitive: true),
        // A quoted value may hold spaces: `password: "correct horse battery staple"`, `set passphrase to "…"`.
        rule("key-quoted-value",
             #"((?:"|')?\b[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pass\b|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?)(?:"|')?(?:\s*[:=]\s*|\s+(?:is|to|as)\s+))(?:"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*')"#,
             #""[REDACTED]""#, keepGroup: true, caseInsensitive: true),
        // Command-line flags: `--password hunter2`, `--token=abc`, `--api-key 'x y'`.
        rule("secret-flag",
             #"((?:^|\s)--?(?:password|passwd|passphrase|pass|pwd|secret|token|auth-token|api[_-]?key|apikey|access[_-]?key|client[_-]?secret)(?:=|\s+))(?:"[^"\r\n]*"|'[^'\r\n]*'|[^\s"']+)"#,
             keepGroup: true, caseInsensitive: true),
        // `mysql -pSecret`: a password glued to -p (mixed case or digits, so `-pthread` is left alone).
        rule("glued-p-flag", #"((?:^|\s)-p)(?=[^\s-]*[A-Z0-9])[^\s-][^\s]{3,}"#, keepGroup: true),
        rule("key-value",
             #"((?:"|')?\b[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?)(?:"|')?\s*[:=]\s*(?:"|')?)[^\s"',;&}]+"#,
             keepGroup: true, caseInsensitive: true),
        rule("email", #"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"#, "[REDACTED EMAIL]"),
    ]
}
