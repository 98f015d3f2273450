// `vigil`: the console by default, plus the scriptable subcommands. See Commands/.
import Foundation
import VigilSteps

// `vigil step NAME …`: a built-in runbook step program, run by the local job executor. Its arguments are
// its own (not the console's), so it bypasses the argument parser.
let arguments = CommandLine.arguments
if arguments.count >= 2 && arguments[1] == "step" {
    exit(StepPrograms.main(Array(arguments.dropFirst(2)), environment: ProcessInfo.processInfo.environment))
}
VigilCommand.main()
