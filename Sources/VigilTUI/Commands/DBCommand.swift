import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil db stats|compact|retention|query|backup|migrate-to`: look after the store.
struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect and maintain the store.",
        subcommands: [Stats.self, Compact.self, Retention.self, Query.self, Backup.self, MigrateTo.self]
    )

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the store's size and counts.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let store = try self.store.open()
            let (s, rollups) = try Blocking.run { (try await store.stats(), try await store.rollupStats()) }
            var rollupLines = ""
            for (step, _) in VigilCore.Retention.tiers {
                let r = rollups[step] ?? (0, 0, 0)
                rollupLines += "\nrollups \("\(step / 60_000)m".padding(toLength: 7, withPad: " ", startingAt: 0))\(r.blocks) blocks (\(r.buckets) buckets in \(r.bytes) bytes)"
            }
            print("""
                store          \(store.description)
                size           \(s.bytes) bytes
                hosts          \(s.hosts)
                series         \(s.series)
                head segments  \(s.headSegments)
                chunks         \(s.chunks) (\(s.samplesInChunks) samples in \(s.chunkBytes) bytes\(s.samplesInChunks > 0 ? String(format: ": %.2f bytes/sample", Double(s.chunkBytes) / Double(s.samplesInChunks)) : ""))
                log lines      \(s.logs)
                check results  \(s.checkResults)\(rollupLines)
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

    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent copy of a SQLite store to FILE while it is in use.",
            discussion: "For a PostgreSQL store use the database's own tools (pg_dump).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The backup file to create (must not exist).") var file: String

        func run() throws {
            guard case .sqlite = store.location else {
                throw CommandFailure("\(store.location) is a PostgreSQL store: back it up with pg_dump (vigil db backup copies SQLite stores)")
            }
            guard let sqlite = try store.open() as? SQLiteStore else { throw CommandFailure("not a SQLite store") }
            let file = self.file
            try Blocking.run { try await sqlite.backup(to: file) }
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
            print("backed up \(sqlite.path) to \(file) (\(size) bytes)")
        }
    }

    struct MigrateTo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate-to",
            abstract: "Copy a SQLite store (--db) into an empty PostgreSQL database, then check the copy.",
            discussion: "Stop vigil serve first: batches ingested during the copy would not be in it. The copy is checked by the row count of every table, the first, middle and last rows of each, and the audit chain.")
        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp("The PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&schema=…]", valueName: "URL"))
        var url: String

        func run() throws {
            guard case .sqlite = store.location else { throw CommandFailure("--db must name the SQLite store to copy (it is \(store.location))") }
            guard case .postgres = StoreLocation.resolve(flag: url) else { throw ValidationError("'\(url)' is not a postgres:// address") }
            guard let source = try store.open() as? SQLiteStore else { throw CommandFailure("not a SQLite store") }
            let target: PostgresStore
            do { target = try PostgresStore(url: url) } catch let e as StoreError { throw CommandFailure(e.message) }
            let started = Date()
            let report = try Blocking.run {
                try await StoreMigration.copy(from: source, to: target) { table, rows in
                    if rows > 0 { print(String(format: "  %-22@ %10d rows", table as NSString, rows)) }
                }
            }
            let total = report.rows.reduce(0) { $0 + $1.count }
            print(String(format: "copied %d rows of %@ into %@ in %.1f s; checked: row counts of %d tables, %d spot rows, the audit chain",
                         total, source.path, target.url.shown, Date().timeIntervalSince(started), report.rows.count, report.spotChecks))
        }
    }
}
