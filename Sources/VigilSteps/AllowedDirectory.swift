#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore

/// Resolution of a directory argument against an allow-list: the argument is validated, resolved with
/// `realpath` (so `..`-free spellings through symbolic links are caught), and must then equal or lie under
/// one of the resolved allow-list directories.
public enum AllowedDirectory {
    /// `realpath` of `path`; nil (errno set) when it does not resolve.
    public static func resolve(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// True when `path` is `root` or inside it (both already resolved).
    public static func isWithin(_ path: String, root: String) -> Bool {
        if root == "/" { return false }
        return path == root || path.hasPrefix(root + "/")
    }

    /// The resolved directory for `value` given as `argument`, or a refusal naming the argument.
    /// `roots` are the policy directories (unresolved); `rootsName` names them in the message.
    public static func check(_ value: String, argument: String, roots: [String], rootsName: String) throws(StepError) -> String {
        let path = try ArgumentValidator.absolutePath(value, argument: argument)
        guard let resolved = resolve(path) else {
            let e = errno
            throw .usage("\(argument): \(StepText.shown(path)): \(FileSystem.errorText(e))")
        }
        var st = stat()
        guard lstat(resolved, &st) == 0, st.isDirectory else {
            throw .usage("\(argument): \(StepText.shown(path)) is not a directory")
        }
        let resolvedRoots = roots.compactMap { resolve($0) }.filter { $0 != "/" }
        guard resolvedRoots.contains(where: { isWithin(resolved, root: $0) }) else {
            let shownRoots = roots.isEmpty ? "none configured" : roots.joined(separator: ":")
            let via = resolved == path ? "" : " (resolves to \(StepText.shown(resolved)))"
            throw .usage("\(argument): \(StepText.shown(path))\(via) is not inside an allowed directory "
                + "(\(rootsName): \(shownRoots))")
        }
        return resolved
    }
}
