import VigilWire

/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it, without channel binding: a plain
/// value that turns the server's messages into the next message to send. No I/O.
public struct SCRAMClient: Sendable {
    public let password: String
    public let clientNonce: String
    private var clientFirstBare: String
    private var expectedServerSignature: [UInt8]?

    public init(password: String, clientNonce: String = SCRAMClient.randomNonce()) {
        self.password = password
        self.clientNonce = clientNonce
        // PostgreSQL takes the user from the startup message and ignores this one.
        clientFirstBare = "n=,r=" + clientNonce
    }

    /// 18 random bytes, base64.
    public static func randomNonce() -> String {
        var g = SystemRandomNumberGenerator()
        return Base64.encode((0..<18).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    /// `client-first-message`: no channel binding (`n,,`).
    public var firstMessage: String { "n,," + clientFirstBare }

    /// `client-final-message` for the server's `server-first-message`.
    public mutating func finalMessage(serverFirst: String) throws(AgentError) -> String {
        var nonce: String?
        var salt: [UInt8]?
        var iterations: Int?
        for part in serverFirst.split(separator: ",") {
            let value = part.dropFirst(2)
            switch part.prefix(2) {
            case "r=": nonce = String(value)
            case "s=": salt = Base64.decode(value)
            case "i=": iterations = Int(value)
            default: continue
            }
        }
        guard let nonce, nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else {
            throw AgentError("SCRAM: the server's nonce does not extend ours")
        }
        guard let salt, !salt.isEmpty else { throw AgentError("SCRAM: the server sent no salt") }
        // PostgreSQL's default is 4,096; a server asking for more than 100,000 rounds would make every login slow.
        guard let iterations, iterations >= 1, iterations <= 100_000 else {
            throw AgentError("SCRAM: the server sent an unusable iteration count")
        }
        let salted = Self.pbkdf2(password: Array(password.utf8), salt: salt, iterations: iterations)
        let clientKey = SHA256.hmac(key: salted, message: Array("Client Key".utf8))
        let storedKey = SHA256.hash(clientKey)
        let withoutProof = "c=biws,r=" + nonce
        let authMessage = Array((clientFirstBare + "," + serverFirst + "," + withoutProof).utf8)
        let signature = SHA256.hmac(key: storedKey, message: authMessage)
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        let serverKey = SHA256.hmac(key: salted, message: Array("Server Key".utf8))
        expectedServerSignature = SHA256.hmac(key: serverKey, message: authMessage)
        return withoutProof + ",p=" + Base64.encode(proof)
    }

    /// Checks the server's `server-final-message`: a server that cannot prove it knows the password is refused.
    public func verify(serverFinal: String) throws(AgentError) {
        if serverFinal.hasPrefix("e=") { throw AgentError("SCRAM: the server refused: \(serverFinal.dropFirst(2))") }
        guard let expected = expectedServerSignature, serverFinal.hasPrefix("v="),
              let got = Base64.decode(serverFinal.dropFirst(2).prefix { $0 != "," }), got == expected else {
            throw AgentError("SCRAM: the server's signature is wrong; it does not know the password")
        }
    }

    /// `Hi()` of RFC 5802: PBKDF2 with HMAC-SHA-256, one block.
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var u = SHA256.hmac(key: password, message: salt + [0, 0, 0, 1])
        var result = u
        for _ in 1..<iterations {
            u = SHA256.hmac(key: password, message: u)
            for i in 0..<result.count { result[i] ^= u[i] }
        }
        return result
    }
}
