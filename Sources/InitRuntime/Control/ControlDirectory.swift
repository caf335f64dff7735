import Glibc
import InitCore

/// What swinit needs to set up its control directory.
public struct ControlSettings: Sendable {
    /// The places to try, in order (`ControlPaths.candidates`).
    public var candidates: [String]
    /// `control-group`: members may use initctl (directory 02770, that group).
    public var group: UInt32?

    public init(candidates: [String], group: UInt32?) {
        self.candidates = candidates
        self.group = group
    }

    /// From the command line (`--control-dir`, `SWINIT_CONTROL_DIR`), the config and the
    /// environment. A `control-group` that names no group is reported and ignored.
    public static func resolve(option: String?, settings: GlobalSettings, environment: [String: String],
                               accounts: Accounts, console: Console) -> ControlSettings {
        let candidates = ControlPaths.candidates(explicit: option ?? settings.controlDir, environment: environment, uid: geteuid())
        var gid: UInt32? = nil
        if let name = settings.controlGroup {
            if let found = accounts.groups.first(where: { $0.name == name }) {
                gid = found.gid
            } else if let number = UInt32(name) {
                gid = number
            } else {
                console.log(.warning, "control-group: no group '\(name)' in /etc/group; the control directory stays private (0700)")
            }
        }
        return ControlSettings(candidates: candidates, group: gid)
    }
}

/// The control directory swinit serves, with the descriptors it keeps open on it.
struct ControlDirectory {
    let path: String
    /// The directory itself: reply FIFOs and status.json are opened relative to it, so a
    /// rename of a parent cannot redirect swinit elsewhere.
    let directoryFD: Int32
    /// The request FIFO, O_RDWR (see `openRequestFIFO`).
    let requestFD: Int32
    let owner: UInt32
    let group: UInt32?

    /// Tries each candidate in order; the first usable one wins. Says once when it had to
    /// fall back, and why the earlier ones failed.
    static func prepare(_ settings: ControlSettings, console: Console) -> ControlDirectory? {
        var failures: [String] = []
        for path in settings.candidates {
            switch prepare(path: ControlPaths.trimmed(path), group: settings.group) {
            case .success(let directory):
                if !failures.isEmpty {
                    console.log(.notice, "control directory: \(failures.joined(separator: "; ")); using \(directory.path) instead (initctl looks there too)")
                }
                return directory
            case .failure(let error):
                failures.append("\(path) is not usable (\(error.description))")
            }
        }
        console.log(.warning, "no control directory: \(failures.joined(separator: "; ")); initctl will not reach this swinit")
        return nil
    }

    static func prepare(path: String, group: UInt32?) -> Result<ControlDirectory, SystemError> {
        let owner = geteuid()
        if case .failure(let error) = makeDirectories(path) { return .failure(error) }
        // O_NOFOLLOW: a symlink planted at /tmp/swinit-UID by someone else is refused.
        let dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if dirfd < 0 {
            let code = errno
            return .failure(SystemError(call: "open \(path)", errno: code))
        }
        var st = stat()
        if fstat(dirfd, &st) != 0 {
            let code = errno
            close(dirfd)
            return .failure(SystemError(call: "fstat \(path)", errno: code))
        }
        if st.st_uid != owner {
            close(dirfd)
            return .failure(SystemError(call: "owned by uid \(st.st_uid), not \(owner)", errno: EPERM))
        }
        // setgid with a group: FIFOs clients create inherit the group, which is how a reply
        // FIFO of a group member is recognised.
        let mode: mode_t = group == nil ? 0o700 : 0o2770
        if let group, fchown(dirfd, owner, group) != 0 {
            let code = errno
            close(dirfd)
            return .failure(SystemError(call: "chown \(path) to group \(group)", errno: code))
        }
        if fchmod(dirfd, mode) != 0 {
            let code = errno
            close(dirfd)
            return .failure(SystemError(call: "chmod \(path)", errno: code))
        }
        switch openRequestFIFO(dirfd, path: path, group: group) {
        case .success(let fd):
            removeStaleReplies(dirfd)
            return .success(ControlDirectory(path: path, directoryFD: dirfd, requestFD: fd, owner: owner, group: group))
        case .failure(let error):
            close(dirfd)
            return .failure(error)
        }
    }

    /// `mkdir -p`: missing parents 0755, the directory itself 0700 (fixed by `prepare`).
    static func makeDirectories(_ path: String) -> Result<Void, SystemError> {
        // Usually it is there already: one call.
        if mkdir(path, 0o700) == 0 { return .success(()) }
        if errno == EEXIST { return .success(()) }
        var prefix = ""
        let parts = path.split(separator: "/")
        for (i, part) in parts.enumerated() {
            prefix.append("/")
            prefix.append(contentsOf: part)
            if mkdir(prefix, i == parts.count - 1 ? 0o700 : 0o755) != 0 {
                let code = errno
                if code == EEXIST { continue }
                return .failure(SystemError(call: "mkdir \(prefix)", errno: code))
            }
        }
        return .success(())
    }

    /// Creates (or takes over a stale) request FIFO and opens it O_RDWR|O_NONBLOCK. O_RDWR
    /// because we are then a writer ourselves: the FIFO never reports EOF (and epoll never
    /// reports a hang-up busy loop) when the last client closes, and opening it never blocks
    /// waiting for a writer. A FIFO that another process already reads is in use: refused.
    static func openRequestFIFO(_ dirfd: Int32, path: String, group: UInt32?) -> Result<Int32, SystemError> {
        let name = ControlLimits.requestFIFO
        var st = stat()
        if fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
            if (st.st_mode & S_IFMT) == S_IFIFO {
                let probe = openat(dirfd, name, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
                if probe >= 0 {
                    close(probe)
                    return .failure(SystemError(call: "\(path)/\(name) is served by another swinit", errno: EADDRINUSE))
                }
            }
            // Stale, from an earlier run (ENXIO: nobody reads it), or not a FIFO at all.
            if unlinkat(dirfd, name, 0) != 0 {
                let code = errno
                return .failure(SystemError(call: "unlink \(path)/\(name)", errno: code))
            }
        }
        if mkfifoat(dirfd, name, 0o600) != 0 {
            let code = errno
            return .failure(SystemError(call: "mkfifo \(path)/\(name)", errno: code))
        }
        // Clients write requests: the group (if any) needs write access; umask must not interfere.
        if fchmodat(dirfd, name, group == nil ? 0o600 : 0o620, 0) != 0 {
            let code = errno
            return .failure(SystemError(call: "chmod \(path)/\(name)", errno: code))
        }
        let fd = openat(dirfd, name, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            return .failure(SystemError(call: "open \(path)/\(name)", errno: code))
        }
        return .success(fd)
    }

    /// Reply FIFOs left by clients of an earlier run (a killed initctl).
    static func removeStaleReplies(_ dirfd: Int32) {
        let copy = dup(dirfd)
        guard copy >= 0, let dir = fdopendir(copy) else { return }
        defer { closedir(dir) }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(ControlLimits.replyPrefix) { stale.append(name) }
        }
        for name in stale { _ = unlinkat(dirfd, name, 0) }
    }
}
