import Foundation
import Glibc
import Testing
import VigilTestSupport
@testable import VigilCore

/// The first connection of a `PostgresStore`, against a scripted server on loopback that answers each startup message
/// with the next of its PostgreSQL errors, as a full server (53300) or a refusing `pg_hba.conf` (28000) does; past
/// them it hands the connection to the real server when it has one, or repeats the last error. The tests count
/// attempts, not time: a parallel run resumes a sleeping task seconds late.
@Suite struct PostgresFirstContactTests {
    final class RefusingServer: Sendable {
        let attempts = Locked(0)
        let listener: LoopbackListener

        init(_ answers: [(sqlState: String, message: String)], then upstream: (host: String, port: Int)? = nil) throws {
            let attempts = attempts
            listener = try LoopbackListener { c in
                let n = attempts.withLock { $0 += 1; return $0 }
                if n > answers.count, let upstream {
                    Self.pipe(c, to: upstream)
                    return
                }
                let (sqlState, message) = answers[min(n, answers.count) - 1]
                // The startup message: its length (four bytes, counting itself), then the rest.
                guard let head = Self.read(c, 4) else { return }
                let length = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
                guard length >= 8, Self.read(c, length - 4) != nil else { return }
                var fields: [UInt8] = []
                for (code, text) in [("S", "FATAL"), ("V", "FATAL"), ("C", sqlState), ("M", message)] {
                    fields += Array(code.utf8) + Array(text.utf8) + [0]
                }
                fields.append(0)
                let size = UInt32(fields.count + 4)
                LoopbackListener.send(c, [UInt8(ascii: "E")] + withUnsafeBytes(of: size.bigEndian, Array.init) + fields)
            }
        }

        func url(user: String = "vigil", database: String = "vigil_test", connectTimeout: Int = 2) -> String {
            "postgres://\(user)@127.0.0.1:\(listener.port)/\(database)?sslmode=disable&connect_timeout=\(connectTimeout)"
        }

        static func read(_ c: Int32, _ count: Int) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: count)
            var got = 0
            while got < count {
                let n = out.withUnsafeMutableBytes { recv(c, $0.baseAddress! + got, count - got, 0) }
                if n <= 0 { return nil }
                got += n
            }
            return out
        }

        /// Copies bytes both ways between `c` and a new connection to `upstream` until either side closes.
        static func pipe(_ c: Int32, to upstream: (host: String, port: Int)) {
            let u = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(upstream.port).bigEndian)
            addr.sin_addr.s_addr = inet_addr(upstream.host)
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(u, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0 else { close(u); return }
            let done = DispatchSemaphore(value: 0)
            @Sendable func copy(_ from: Int32, _ to: Int32) {
                var buffer = [UInt8](repeating: 0, count: 16_384)
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    LoopbackListener.send(to, Array(buffer[0..<n]))
                }
                shutdown(to, Int32(SHUT_WR))
            }
            Thread { copy(u, c); done.signal() }.start()
            copy(c, u)
            done.wait()
            close(u)
        }
    }

    static let full = (sqlState: "53300", message: "sorry, too many clients already")
    static let hba = (sqlState: "28000", message: "no pg_hba.conf entry for host \"127.0.0.1\"")

    @Test func aFullServerIsTriedAgainUntilItAnswersOtherwise() async throws {
        let server = try RefusingServer([Self.full, Self.full, Self.full, Self.hba])
        let store = try PostgresStore(url: server.url(connectTimeout: Int(TestTime.seconds(60))))
        await #expect { _ = try await store.stats() } throws: { "\($0)".contains("no pg_hba.conf entry") }
        #expect(server.attempts.withLock { $0 } == 4)
    }

    @Test func aServerThatStaysFullIsNamedOnceTheConnectTimeoutPasses() async throws {
        let server = try RefusingServer([Self.full])
        // 3 s on the scaled clock: with 1 s a sanitizer run's connection itself timed out before the server's answer.
        let store = try PostgresStore(url: server.url(connectTimeout: Int(TestTime.seconds(3))))
        await #expect { _ = try await store.stats() } throws: { error in
            let text = "\(error)"
            return text.contains("too many clients already") && text.contains("(tried for ")
        }
    }

    @Test func aRefusalThatIsNotBusyIsSaidAtOnce() async throws {
        let server = try RefusingServer([Self.hba])
        let store = try PostgresStore(url: server.url())
        await #expect { _ = try await store.stats() } throws: { error in
            let text = "\(error)"
            return text.contains("no pg_hba.conf entry") && !text.contains("tried for")
        }
        #expect(server.attempts.withLock { $0 } == 1)
    }

    @Test(.enabled(if: Backend.postgresURL != nil, "VIGIL_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)"))
    func aServerStartingUpIsWaitedFor() async throws {
        let real = try PostgresURL(Backend.postgresURL!)
        let starting = (sqlState: "57P03", message: "the database system is starting up")
        let server = try RefusingServer([starting, starting], then: (real.host, real.port))
        let dir = TempDir()
        _ = await Backend.postgresURL(for: dir)  // after the sweep of old schemas
        let store = try PostgresStore(url: Backend.url(server.url(user: real.user, database: real.database, connectTimeout: Int(TestTime.seconds(20))),
                                                      schema: Backend.schema(of: dir)))
        _ = try await store.stats()
        #expect(server.attempts.withLock { $0 } >= 3)
        store.close()
    }
}
