#if canImport(Glibc)
import Glibc
#endif

/// Which processes a step program may never signal (or restart the unit of): PID 1 and kernel threads,
/// the agent, the program itself and every one of its ancestors (its parent, the agent, …), and every
/// process whose name is protected.
public struct ProcessProtection: Sendable, Equatable {
    public var selfPID: Int32
    /// This process's ancestors, parent first.
    public var ancestors: [Int32]
    public var agentPID: Int32?
    public var protectedNames: [String]

    public init(selfPID: Int32, ancestors: [Int32], agentPID: Int32?, protectedNames: [String]) {
        self.selfPID = selfPID
        self.ancestors = ancestors
        self.agentPID = agentPID
        self.protectedNames = protectedNames
    }

    /// The protection for this process now: ancestors followed through /proc up to PID 1.
    public static func current(policy: StepPolicy) -> ProcessProtection {
        let me = getpid()
        var chain: [Int32] = []
        var pid = getppid()
        while pid > 1 && chain.count < 128 && !chain.contains(pid) {
            chain.append(pid)
            guard let entry = ProcessEntry.read(pid: pid) else { break }
            pid = entry.ppid
        }
        return ProcessProtection(selfPID: me, ancestors: chain, agentPID: policy.agentPID,
                                 protectedNames: policy.protectedNames)
    }

    /// Why `process` must not be signalled, or nil when it may be.
    public func refusal(_ process: ProcessEntry) -> String? {
        if process.pid <= 1 { return "PID 1 is never signalled" }
        if process.isKernelThread || process.pid == 2 || process.ppid == 2 { return "a kernel thread" }
        if process.pid == selfPID { return "this step program itself" }
        if let agentPID, process.pid == agentPID { return "the agent" }
        if ancestors.first == process.pid { return "this program's parent" }
        if ancestors.contains(process.pid) { return "an ancestor of this program" }
        if protectedNames.contains(process.comm) { return "'\(StepText.shown(process.comm))' is a protected process" }
        return nil
    }
}
