import Foundation
import Testing
@testable import VigilCore

/// Secrets in the shapes they take in real logs and configs (issue 15.8): none may survive redaction, so none
/// reaches an AI server. Each case is (text, the secret that must be gone).
struct RedactorCorpusTests {
    static let corpus: [(String, String)] = [
        // The attacks of the issue.
        (#"password: "correct horse battery staple""#, "horse battery staple"),
        (#"set passphrase to "my very secret phrase""#, "my very secret phrase"),
        ("mysqldump --password hunter2secret --all-databases", "hunter2secret"),
        ("mysql -u root -pHunter2Secret -e 'select 1'", "Hunter2Secret"),
        ("GET /v1/items X-Auth: s3cr3tValueXYZ", "s3cr3tValueXYZ"),
        // Config files.
        ("db_password = 'open sesame 42'", "open sesame 42"),
        (#"{"client_secret": "a b c d e f"}"#, "a b c d e f"),
        ("api_key=AbCdEf0123456789", "AbCdEf0123456789"),
        ("REDIS_PASSWORD=r3d1s-Pa55", "r3d1s-Pa55"),
        ("  secret: plainvalue99", "plainvalue99"),
        ("token: 'tok en with spaces'", "tok en with spaces"),
        ("smtp_pass is \"mail pass 7\"", "mail pass 7"),
        // Command lines.
        ("pg_dump --password=Zx9-Qw8 mydb", "Zx9-Qw8"),
        ("curl --token 'Bearer xyz987654321' https://api", "xyz987654321"),
        ("vault login -method=userpass username=ops password=Vau1tPass", "Vau1tPass"),
        ("sshpass -pS3cretSsh ssh root@db-1", "S3cretSsh"),
        ("./deploy --api-key 8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea167a5a36dedd4bea2543"),
        // Headers and URLs.
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("X-Api-Key: k3y-Value-123", "k3y-Value-123"),
        ("Cookie: session=5f2b9c0e7a; theme=dark", "5f2b9c0e7a"),
        ("X-Session-Token: abcdef123456", "abcdef123456"),
        ("connecting to postgres://app:Pg-P4ss@db-1:5432/app", "Pg-P4ss"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz", "c2lnbmF0dXJlMTIz"),
        // Tokens and keys.
        ("agent token vgl_0123456789abcdef0123", "vgl_0123456789abcdef0123"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("AKIAIOSFODNN7EXAMPLE used for upload", "AKIAIOSFODNN7EXAMPLE"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"),
    ]

    @Test(arguments: corpus)
    func noSecretSurvives(text: String, secret: String) {
        let out = Redactor.standard.redact(text)
        #expect(!out.text.contains(secret), "'\(secret)' survived: \(out.text)")
        #expect(out.count > 0)
    }

    /// What must stay readable: the redactor is useless if it eats the diagnosis.
    @Test(arguments: [
        "gcc -pthread -O2 main.c",
        "disk /var is 93% full; token validation ok",
        "nginx: upstream timed out (110: Connection timed out)",
        "sshd[42]: Accepted publickey for deploy from 10.0.0.4 port 51234",
    ])
    func ordinaryLinesStay(text: String) {
        #expect(Redactor.standard.redact(text).text == text)
    }
}
