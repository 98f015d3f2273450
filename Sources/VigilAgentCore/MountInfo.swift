/// One line of /proc/self/mountinfo.
public struct Mount: Sendable, Equatable {
    /// `major:minor` of the device holding the filesystem.
    public var device: String
    /// The directory within the filesystem that forms the root of this mount (`/` unless a bind mount).
    public var root: String
    /// Where it is mounted, with `\040`-style escapes decoded.
    public var mountPoint: String
    public var fsType: String
    public var source: String

    public init(device: String, root: String, mountPoint: String, fsType: String, source: String) {
        self.device = device
        self.root = root
        self.mountPoint = mountPoint
        self.fsType = fsType
        self.source = source
    }
}

/// Parser for /proc/self/mountinfo.
public enum MountInfo {
    /// Every mount, in file order. Malformed lines are skipped.
    public static func parse(_ text: String) -> [Mount] {
        var out: [Mount] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            guard f.count >= 7, let dash = f[6...].firstIndex(of: "-"), dash + 2 < f.count else { continue }
            out.append(Mount(device: String(f[2]), root: unescape(f[3]), mountPoint: unescape(f[4]),
                             fsType: String(f[dash + 1]), source: unescape(f[dash + 2])))
        }
        return out
    }

    /// Decodes the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash).
    static func unescape(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        let b = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count, let v = octal(b[(i + 1)...(i + 3)]) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var v = 0
        for d in digits {
            guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "7") else { return nil }
            v = v * 8 + Int(d - UInt8(ascii: "0"))
        }
        return v <= 255 ? UInt8(v) : nil
    }
}

/// Which mounts get disk usage metrics.
public struct MountFilter: Sendable, Equatable {
    /// Filesystem types never reported: kernel pseudo filesystems, memory-backed ones and read-only images.
    public var skippedTypes: Set<String>
    /// Mount points under these prefixes are never reported.
    public var skippedPrefixes: [String]

    public init(skippedTypes: Set<String> = MountFilter.defaultSkippedTypes,
                skippedPrefixes: [String] = ["/proc/", "/sys/", "/dev/", "/run/credentials/"]) {
        self.skippedTypes = skippedTypes
        self.skippedPrefixes = skippedPrefixes
    }

    /// proc, sysfs, tmpfs, devtmpfs, devpts, cgroup, cgroup2, squashfs, nsfs, autofs, debugfs, tracefs,
    /// securityfs, pstore, bpf, mqueue, hugetlbfs, configfs, fusectl, binfmt_misc, and a few more of the kind.
    /// `overlay` is kept: a container's root filesystem is one.
    public static let defaultSkippedTypes: Set<String> = [
        "proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "squashfs", "nsfs", "autofs",
        "debugfs", "tracefs", "securityfs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl",
        "binfmt_misc", "ramfs", "efivarfs", "rpc_pipefs", "selinuxfs", "devfs", "fuse.gvfsd-fuse",
        "fuse.portal", "fuse.lxcfs", "none",
    ]

    /// The default filter.
    public static let `default` = MountFilter()

    /// The mounts to report, in file order: pseudo filesystems skipped, and each device reported once
    /// (a mount of the filesystem's root beats a bind mount of a directory in it; then the shortest
    /// mount point wins).
    public func select(_ mounts: [Mount]) -> [Mount] {
        var chosen: [String: Int] = [:]
        var out: [Mount] = []
        for m in mounts {
            if skippedTypes.contains(m.fsType) { continue }
            if skippedPrefixes.contains(where: { m.mountPoint.hasPrefix($0) }) { continue }
            // A device number identifies one filesystem instance (anonymous ones with major 0 too).
            let key = m.device
            if let i = chosen[key] {
                if Self.isPreferred(m, over: out[i]) { out[i] = m }
                continue
            }
            chosen[key] = out.count
            out.append(m)
        }
        return out
    }

    private static func isPreferred(_ a: Mount, over b: Mount) -> Bool {
        if (a.root == "/") != (b.root == "/") { return a.root == "/" }
        return a.mountPoint.utf8.count < b.mountPoint.utf8.count
    }
}
