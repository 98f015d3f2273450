import ArgumentParser
import Foundation
import VigilCore

/// `vigil defaults list|export`: the default rules, runbooks and themes compiled into this binary.
struct DefaultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defaults",
        abstract: "The default rules, runbooks and themes built into vigil: list them, or export them for editing.",
        subcommands: [List.self, Export.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every embedded file with its size.")

        func run() throws {
            let rows = EmbeddedDefaults.files.map { [$0.path, "\($0.text.utf8.count)"] }
            print(TimeText.table(header: ["FILE", "BYTES"], rows: rows))
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the embedded files to DIR/rules, DIR/runbooks and DIR/themes.",
            discussion: """
            Edit the copies, then point Vigil at them: rule files in /etc/vigil/rules or ~/.config/vigil/rules (or \
            --rules DIR) replace the default rules; runbooks in ~/.config/vigil/runbooks or /etc/vigil/runbooks and \
            themes in ~/.config/vigil/themes add to the built-ins, a file with a built-in's name replacing it.
            """
        )
        @Argument(help: ArgumentHelp("Where to write (created if missing).", valueName: "DIR")) var directory: String
        @Flag(help: "Overwrite files that already exist.") var force = false

        func run() throws {
            let result: (written: [String], skipped: [String])
            do {
                result = try EmbeddedDefaults.export(to: directory, overwrite: force)
            } catch {
                throw ValidationError("cannot export to \(directory): \(error.localizedDescription)")
            }
            for path in result.written { print("wrote \(path)") }
            for path in result.skipped { FileHandle.standardError.write(Data("kept \(path) (exists; --force overwrites)\n".utf8)) }
            print("\(result.written.count) file(s) written, \(result.skipped.count) kept")
        }
    }
}
