import Foundation
import Testing
@testable import VigilFuzz
import VigilTestSupport

/// The fuzz targets' committed inputs, run through the same entry points libFuzzer drives (`fuzz/run.sh`):
/// every seed is a valid input its parser accepts (so the corpus keeps the fuzzer in the interesting part of the
/// input space), and every input that once crashed, hung or tripped a sanitizer (`fuzz/regressions/TARGET/`)
/// runs to an answer in an ordinary build.
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz")

    static func files(_ kind: String, _ target: FuzzTarget) -> [URL] {
        let dir = root.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedsAreAccepted(_ target: FuzzTarget) throws {
        let seeds = Self.files("corpus", target)
        #expect(seeds.count >= 2, "fuzz/corpus/\(target.rawValue) needs seeds")
        for url in seeds {
            let outcome = target.run([UInt8](try Data(contentsOf: url)))
            #expect(outcome == .accepted, "\(url.lastPathComponent): \(outcome)")
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func regressionsRunToAnAnswer(_ target: FuzzTarget) throws {
        for url in Self.files("regressions", target) {
            let started = ContinuousClock.now
            _ = target.run([UInt8](try Data(contentsOf: url)))
            #expect(ContinuousClock.now - started < TestTime.duration(5), "\(url.lastPathComponent) took too long")
        }
    }

    @Test func mangledSeedsAreRefusedWithAReason() throws {
        // One byte cut from the end of a JSON seed must be refused, not accepted and not a crash.
        for target in [FuzzTarget.ingest, .alertmanager] {
            let url = try #require(Self.files("corpus", target).first { $0.pathExtension == "json" })
            let bytes = [UInt8](try Data(contentsOf: url)).dropLast(1)
            guard case .refused(let why) = target.run(Array(bytes)) else {
                Issue.record("\(target): a truncated body was accepted")
                continue
            }
            #expect(!why.isEmpty)
        }
        #expect(FuzzTarget.logformat.run(Array("<Date> <Time>\nx y\n".utf8)) != .accepted)
    }
}
