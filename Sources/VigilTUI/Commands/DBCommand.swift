import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil db stats|compact`: look after the store.
struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect and maintain the store.",
        subcommands: [Stats.self, Compact.self]
    )

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the store's size and counts.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let store = try self.store.open()
            let s = try Blocking.run { try await store.stats() }
            print("""
                store          \(store.description)
                size           \(s.bytes) bytes
                hosts          \(s.hosts)
                series         \(s.series)
                head segments  \(s.headSegments)
                chunks         \(s.chunks) (\(s.samplesInChunks) samples in \(s.chunkBytes) bytes\(s.samplesInChunks > 0 ? String(format: ": %.2f bytes/sample", Double(s.chunkBytes) / Double(s.samplesInChunks)) : ""))
                log lines      \(s.logs)
                check results  \(s.checkResults)
                """)
        }
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compact head segments older than --age into chunks now.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only segments received longer ago than this (default 0s: all).") var age: String = "0s"

        func run() throws {
            guard let ms = DurationText.milliseconds(age) else { throw ValidationError("--age '\(age)' is not a duration (e.g. 2m)") }
            let store = try self.store.open()
            let r = try Blocking.run { try await store.compact(olderThan: WallClock.nowMs() - ms + 1) }
            print("compacted \(r.segments) segments (\(r.samples) samples) into \(r.chunksWritten) chunks")
        }
    }
}
