// `vigil`: the console by default, plus the scriptable subcommands. See Commands/.
import Foundation
import VigilCore
import VigilSteps

// `vigil step NAME …`: a built-in runbook step program, run by the local job executor. Its arguments are
// its own (not the console's), so it bypasses the argument parser.
let arguments = CommandLine.arguments
if arguments.count >= 2 && arguments[1] == "step" {
    exit(StepPrograms.main(Array(arguments.dropFirst(2)), environment: ProcessInfo.processInfo.environment))
}
// Two malloc arenas, not one per busy thread, and a fixed trim threshold: glibc kept hundreds of MB freed by the
// engine's threads.
MemoryTrim.configureAllocator()
// A file-size limit (RLIMIT_FSIZE) or a full quota must make a write fail (SQLite reports it, ingest answers 503),
// not kill the process with SIGXFSZ.
signal(SIGXFSZ, SIG_IGN)
VigilCommand.main()
