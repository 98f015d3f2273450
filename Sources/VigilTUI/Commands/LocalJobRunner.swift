import Foundation
import VigilAgentCore
import VigilCore
import VigilWire

/// Runs the local host's jobs through the agent's executor: the console's built-in collector is this machine's
/// agent, so its jobs take the same path (steps as argv, `vigil step …` for the built-in step programs).
struct LocalJobRunner: LocalJobRunning {
    let host: String
    let policy: RemediationPolicy

    init(host: String, policy: RemediationPolicy = RemediationPolicy()) {
        self.host = host
        self.policy = policy
    }

    /// This machine's host name as the built-in collector reports it.
    static func localHostName() -> String { HostCollector().hostname() }

    func run(_ job: JobSpec, emit: @escaping @Sendable (JobEvent) -> Void, isCancelled: @escaping @Sendable () -> Bool) -> JobOutcome {
        guard policy.enabled else {
            emit(JobExecutor.refusal("remediation is disabled on this host (remediation.enabled: false)"))
            return .refused
        }
        let executor = JobExecutor(policy: policy.environment(agentPID: getpid()), selfExecutable: JobExecutor.currentExecutable(),
                                   allowedPrograms: policy.allowPrograms)
        return executor.run(job, emit: emit, isCancelled: isCancelled)
    }
}
