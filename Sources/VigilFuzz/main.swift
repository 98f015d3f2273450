import Foundation

// `vigil-fuzz TARGET ARGS…`. Built by `fuzz/run.sh` with coverage, AddressSanitizer and libFuzzer
// (`-DVIGIL_LIBFUZZER`), ARGS are libFuzzer's (a corpus directory, -max_total_time=…). In an ordinary build,
// ARGS are files or directories whose files are each run once through the target, with what the parser made of
// each printed: a crash libFuzzer found replays without the sanitizers.

let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
guard CommandLine.arguments.count > 2, let target = FuzzTarget(rawValue: CommandLine.arguments[1]) else {
    FileHandle.standardError.write(Data("usage: vigil-fuzz \(names) FILE|DIR... (or libFuzzer flags in a fuzz/run.sh build)\n".utf8))
    exit(2)
}

#if VIGIL_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) var selected = target
// libFuzzer sees the program name and its own flags: the target name is taken out.
var argv: [UnsafeMutablePointer<CChar>?] = (0..<Int(CommandLine.argc)).filter { $0 != 1 }.map { CommandLine.unsafeArgv[$0] }
var argc = CInt(argv.count)
argv.append(nil)
let status = argv.withUnsafeMutableBufferPointer { buffer -> CInt in
    var pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &pointer) { data, count in
        selected.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : count))
        return 0
    }
}
exit(status)
#else
func files(at path: String) -> [String] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return [path] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.sorted().map { path + "/" + $0 }
}

var failed = false
for path in CommandLine.arguments.dropFirst(2) {
    for file in files(at: path) {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("vigil-fuzz: cannot read \(file)\n".utf8))
            failed = true
            continue
        }
        switch target.run([UInt8](data)) {
        case .accepted: print("\(file): accepted")
        case .refused(let why): print("\(file): refused: \(why.prefix(200))")
        }
    }
}
exit(failed ? 1 : 0)
#endif
