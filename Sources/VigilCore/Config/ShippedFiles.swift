import Foundation

/// Where Vigil finds the files it ships (themes, default rules): next to the binary in a checkout
/// (`.build/<triple>/debug/vigil` → `<repo>/NAME`), else the installed `/usr/local/share/vigil/NAME` or
/// `/usr/share/vigil/NAME`.
public enum ShippedFiles {
    /// The first folder named `name` holding `marker`, walking up from the executable, then the installed ones.
    public static func directory(_ name: String, containing marker: String,
                                 executable: String = CommandLine.arguments.first ?? "") -> String? {
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: candidate + "/" + marker) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ["/usr/local/share/vigil/\(name)", "/usr/share/vigil/\(name)"].first {
            FileManager.default.fileExists(atPath: $0 + "/" + marker)
        }
    }
}
