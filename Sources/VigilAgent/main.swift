// Entry point of `vigil-agent`; the work lives in VigilAgentCore.
#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore
#if canImport(VigilSteps)
import VigilSteps
#endif

let log = AgentLog()

// `vigil-agent step NAME …`: one step program (runbook steps `vigil-step NAME …` run this), nothing else.
if CommandLine.arguments.count >= 2 && CommandLine.arguments[1] == "step" {
    let args = Array(CommandLine.arguments.dropFirst())
    #if canImport(VigilSteps)
    var env: [String: String] = [:]
    var entry = environ
    while let p = entry.pointee {
        let pair = String(cString: p)
        if let eq = pair.firstIndex(of: "=") { env[String(pair[..<eq])] = String(pair[pair.index(after: eq)...]) }
        entry += 1
    }
    exit(StepPrograms.main(Array(args.dropFirst()), environment: env))
    #else
    log.error("this build of vigil-agent has no step programs (step \(args.dropFirst().first ?? ""))")
    exit(2)
    #endif
}

func fail(_ message: String, status: Int32 = 2) -> Never {
    log.error(message)
    exit(status)
}

let options: AgentOptions
do {
    options = try AgentOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail(error.message)
}
if options.showHelp {
    print(AgentOptions.usage)
    exit(0)
}
if options.showVersion {
    print("vigil-agent \(AgentOptions.version)")
    exit(0)
}

if options.token != nil {
    log.warning("--token puts the agent's token on its command line, where every local user can read it (ps, /proc); "
        + "set VIGIL_TOKEN (e.g. in /etc/vigil/agent.env, mode 0600) or `token:` in a config file only root can read")
}

var config: AgentConfig
do {
    config = try AgentConfig.load(path: options.configPath ?? AgentConfig.defaultPath, explicit: options.configPath != nil)
} catch {
    fail(error.message)
}
var environment: [String: String] = [:]
for name in config.environmentNames {
    if let v = getenv(name) { environment[name] = String(cString: v) }
}
config.applyEnvironment(environment)
options.apply(to: &config)

if options.printOnly {
    do {
        let agent = try Agent(config: config, log: log, persistent: false, environment: environment)
        // One write(2), not stdio's 8 KB pieces: a warning on stderr must not land inside the batch when both go
        // to one pipe.
        let bytes = Array((agent.printBatch() + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { exit(1) }
            done += n
        }
        exit(0)
    } catch {
        fail(error.message)
    }
}

// Block SIGTERM/SIGINT before anything starts a thread; the loop waits for them synchronously.
let signals = SignalWaiter()
let agent: Agent
do {
    agent = try Agent(config: config, log: log, environment: environment)
} catch {
    fail(error.message)
}
if options.once {
    exit(agent.runOnce() ? 0 : 1)
}
agent.run(signals: signals)
exit(0)
