// Build-time generator behind the EmbedDefaults plugin:
//   VigilEmbedGen OUTPUT.swift PACKAGE_ROOT FILE…
// writes `EmbeddedDefaults.files`, one entry per FILE, named by its path relative to PACKAGE_ROOT.
import Foundation

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: VigilEmbedGen OUTPUT.swift PACKAGE_ROOT FILE…\n".utf8))
    exit(2)
}
let output = args[1]
let root = args[2].hasSuffix("/") ? args[2] : args[2] + "/"

/// A Swift string literal holding `text` exactly.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

var source = """
// Generated at build time by the EmbedDefaults plugin from the repository's rules/, runbooks/ and themes/.
// Do not edit: edit those files.

extension EmbeddedDefaults {
    /// Every embedded file, in path order.
    public static let files: [EmbeddedFile] = [

"""
for path in args.dropFirst(3).sorted() {
    guard path.hasPrefix(root) else {
        FileHandle.standardError.write(Data("VigilEmbedGen: \(path) is not under \(root)\n".utf8))
        exit(1)
    }
    let relative = String(path.dropFirst(root.count))
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("VigilEmbedGen: cannot read \(path) as UTF-8\n".utf8))
        exit(1)
    }
    source += "        EmbeddedFile(path: \(literal(relative)), text: \(literal(text))),\n"
}
source += "    ]\n}\n"
do {
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("VigilEmbedGen: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
