import Foundation

/// One default file compiled into the binary: `rules/default.yaml`, `runbooks/*.yaml`, `themes/*.yaml`.
public struct EmbeddedFile: Sendable, Equatable {
    /// The path relative to the repository, e.g. `runbooks/disk_cleanup.yaml`.
    public let path: String
    public let text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// The folder, e.g. `runbooks`.
    public var folder: String { path.split(separator: "/").first.map(String.init) ?? "" }
    /// The file name, e.g. `disk_cleanup.yaml`.
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }
    /// How errors and listings name this file: `embedded:runbooks/disk_cleanup.yaml`.
    public var origin: String { EmbeddedDefaults.prefix + path }
}

/// The default rules, runbooks and themes, compiled into the binary by the `EmbedDefaults` build-tool plugin from
/// the repository's files (the one source of truth), so an installed `vigil` never depends on the source tree.
/// `vigil defaults export DIR` writes them out for editing.
public enum EmbeddedDefaults {
    /// What names an embedded file where a path would stand.
    public static let prefix = "embedded:"

    /// The embedded files of one folder (`rules`, `runbooks`, `themes`), in name order.
    public static func files(in folder: String) -> [EmbeddedFile] {
        files.filter { $0.folder == folder }
    }

    /// The embedded file that `origin` (`embedded:…`) names, or nil.
    public static func file(origin: String) -> EmbeddedFile? {
        files.first { $0.origin == origin }
    }

    /// Whether `path` names an embedded file rather than one on disk.
    public static func isEmbedded(_ path: String) -> Bool { path.hasPrefix(prefix) }

    /// Writes every embedded file under `directory` (`DIR/rules/default.yaml`, …). Existing files are kept unless
    /// `overwrite`; returns the paths written and those skipped.
    public static func export(to directory: String, overwrite: Bool) throws -> (written: [String], skipped: [String]) {
        let fm = FileManager.default
        var written: [String] = []
        var skipped: [String] = []
        for file in files {
            let folder = (directory as NSString).appendingPathComponent(file.folder)
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let target = (directory as NSString).appendingPathComponent(file.path)
            if fm.fileExists(atPath: target) && !overwrite {
                skipped.append(target)
                continue
            }
            try Data(file.text.utf8).write(to: URL(fileURLWithPath: target), options: .atomic)
            written.append(target)
        }
        return (written, skipped)
    }
}
