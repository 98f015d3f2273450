import Foundation
import NIOCore
import NIOSSL

/// TLS for the listener: a certificate chain and key (PEM files), and optionally a CA whose client certificates
/// are required (mutual TLS). The files are read again on `reload()` (SIGHUP): new handshakes use the new
/// certificate, open connections keep theirs.
public final class ListenerTLS: Sendable {
    public struct Files: Sendable, Equatable {
        public var certificate: String
        public var key: String
        /// Clients must present a certificate signed by this CA (PEM), when set.
        public var clientCA: String?

        public init(certificate: String, key: String, clientCA: String? = nil) {
            self.certificate = certificate
            self.key = key
            self.clientCA = clientCA
        }
    }

    struct Material: @unchecked Sendable {
        // NIOSSLCertificate and NIOSSLPrivateKey are immutable once loaded.
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    public let files: Files
    private let current: Locked<Material>

    /// Loads the files; throws a `StoreError` naming the file at fault.
    public init(files: Files) throws {
        self.files = files
        current = Locked(try Self.load(files))
        if let ca = files.clientCA { _ = try Self.certificates(ca, what: "client CA") }
    }

    /// Reads the certificate and key again; on error the old ones stay and the error says which file.
    public func reload() throws {
        let fresh = try Self.load(files)
        current.withLock { $0 = fresh }
    }

    /// The server configuration: TLS 1.2+, the current certificate on every handshake, client certificates
    /// required when a client CA is set.
    public func configuration() throws -> TLSConfiguration {
        let m = current.withLock { $0 }
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: m.chain.map { .certificate($0) }, privateKey: .privateKey(m.key))
        c.minimumTLSVersion = .tlsv12
        if let ca = files.clientCA {
            c.certificateVerification = .noHostnameVerification
            c.trustRoots = .certificates(try Self.certificates(ca, what: "client CA"))
        }
        c.sslContextCallback = { [self] _, promise in
            let now = current.withLock { $0 }
            var o = NIOSSLContextConfigurationOverride()
            o.certificateChain = now.chain.map { .certificate($0) }
            o.privateKey = .privateKey(now.key)
            promise.succeed(o)
        }
        return c
    }

    static func load(_ files: Files) throws -> Material {
        let chain = try certificates(files.certificate, what: "certificate")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw StoreError("--tls-key \(files.key): not a readable PEM private key (\(error))")
        }
        return Material(chain: chain, key: key)
    }

    static func certificates(_ path: String, what: String) throws -> [NIOSSLCertificate] {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw StoreError("TLS \(what) \(path): not a readable PEM certificate file (\(error))")
        }
        guard !chain.isEmpty else { throw StoreError("TLS \(what) \(path): no certificate in the file") }
        return chain
    }
}
