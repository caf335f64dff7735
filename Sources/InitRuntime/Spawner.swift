import CSystem
import Glibc
import InitCore

/// Everything needed to start one process, in Swift types. `spawn` turns it into C once.
public struct SpawnRequest {
    public var argv: [String]
    /// The exact bytes of argv, when they came from swinit's own command line (the `--`
    /// program): an argument that is not UTF-8 reaches the program unchanged. `argv` still
    /// finds the executable and names it in messages.
    public var rawArguments: [[UInt8]]? = nil
    /// "NAME=value" entries as bytes: inherited ones are passed on exactly as they came.
    public var environment: [[UInt8]]
    public var workdir: String? = nil
    public var newSession = false
    public var processGroup = true
    /// A terminal whose foreground goes to the child (interactive `docker run -it`).
    public var foregroundTerminal: Int32? = nil
    /// (source, target) descriptor pairs; source -1 is /dev/null. Unlisted 0-2 are inherited.
    public var descriptors: [(source: Int32, target: Int32)] = []
    public var umask: UInt32? = nil
    public var rlimits: [(resource: Int32, soft: UInt64?, hard: UInt64?)] = []
    public var cpus: [Int32] = []
    public var identity: (uid: UInt32, gid: UInt32, groups: [UInt32])? = nil
    public var noNewPrivileges = false
    public var parentDeathSignal: Int32 = 0
    /// Rewrite LISTEN_PID in the environment to the child's pid (socket activation).
    public var rewriteListenPid = false

    public init(argv: [String], environment: [[UInt8]]) {
        self.argv = argv
        self.environment = environment
    }

    /// Sets NAME=value, replacing any entry for NAME.
    public mutating func setVariable(_ name: String, _ value: String) {
        let prefix = Array((name + "=").utf8)
        environment.removeAll { $0.starts(with: prefix) }
        environment.append(prefix + Array(value.utf8))
    }
}

/// Starts processes through `cs_spawn`: no Swift code runs between fork and exec.
public enum Spawner {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Forks and execs; the pid, or why the program could not be run.
    public static func spawn(_ request: SpawnRequest) -> Result<Int32, SpawnFailure> {
        guard let program = request.argv.first, !program.isEmpty else {
            return .failure(SpawnFailure(step: "exec", errno: ENOENT, reason: "empty command", notFound: true))
        }
        let path: String
        switch resolve(program, environment: request.environment) {
        case .success(let found): path = found
        case .failure(let failure):
            let code = failure.code
            return .failure(SpawnFailure(step: "exec", errno: code, reason: SystemError.describe(code), notFound: code == ENOENT))
        }
        let argv = CStringArray(request.rawArguments ?? request.argv.map { Array($0.utf8) })
        var environment = request.environment
        let listenPrefix = Array("LISTEN_PID=".utf8)
        let listenSlot = request.rewriteListenPid ? environment.firstIndex { $0.starts(with: listenPrefix) } : nil
        if let listenSlot { environment[listenSlot] = Array("LISTEN_PID=0000000000".utf8) }
        let envp = CStringArray(environment)
        defer { argv.free(); envp.free() }
        let fdMap = request.descriptors.flatMap { [$0.source, $0.target] }
        let resources = request.rlimits.map { $0.resource }
        let limits = request.rlimits.map { rlimit(rlim_cur: rlim_t($0.soft ?? UInt64.max), rlim_max: rlim_t($0.hard ?? UInt64.max)) }
        let groups = request.identity?.groups ?? []
        var stage: Int32 = 0, error: Int32 = 0
        // A path given with a '/' is exec'd as the bytes it came as (it may not be UTF-8).
        let rawPath = program.contains("/") ? request.rawArguments?.first : nil
        let execPath = (rawPath ?? Array(path.utf8)).map { CChar(bitPattern: $0) } + [0]
        let pid: pid_t = execPath.withUnsafeBufferPointer { pathBuffer in
            let cPath = pathBuffer.baseAddress!
            return (request.workdir ?? "").withCString { cWorkdir in
                fdMap.withUnsafeBufferPointer { fds in
                    resources.withUnsafeBufferPointer { res in
                        limits.withUnsafeBufferPointer { lims in
                            request.cpus.withUnsafeBufferPointer { cpus in
                                groups.withUnsafeBufferPointer { grps in
                                    var attr = cs_spawn_attr()
                                    attr.path = cPath
                                    attr.argv = UnsafePointer(argv.pointer)
                                    attr.envp = UnsafePointer(envp.pointer)
                                    attr.workdir = request.workdir == nil ? nil : cWorkdir
                                    attr.new_session = request.newSession ? 1 : 0
                                    attr.new_process_group = request.processGroup ? 1 : 0
                                    attr.foreground_tty = request.foregroundTerminal ?? -1
                                    attr.fd_map = fds.baseAddress
                                    attr.fd_map_count = Int32(request.descriptors.count)
                                    attr.set_umask = request.umask == nil ? 0 : 1
                                    attr.umask = mode_t(request.umask ?? 0)
                                    attr.rlimit_resources = res.baseAddress
                                    attr.rlimits = lims.baseAddress
                                    attr.rlimit_count = Int32(res.count)
                                    attr.cpus = cpus.baseAddress
                                    attr.cpu_count = Int32(cpus.count)
                                    if let identity = request.identity {
                                        attr.set_ids = 1
                                        attr.uid = identity.uid
                                        attr.gid = identity.gid
                                    }
                                    attr.groups = grps.baseAddress
                                    attr.group_count = Int32(grps.count)
                                    attr.no_new_privs = request.noNewPrivileges ? 1 : 0
                                    attr.parent_death_signal = request.parentDeathSignal
                                    attr.listen_pid_entry = listenSlot.map { envp.pointer[$0] } ?? nil
                                    return cs_spawn(&attr, &stage, &error)
                                }
                            }
                        }
                    }
                }
            }
        }
        if pid > 0 { return .success(pid) }
        let step = stepName(stage)
        let reason = step == "exec" ? SystemError.describe(error) : "\(step): \(SystemError.describe(error))"
        return .failure(SpawnFailure(step: step, errno: error, reason: reason, notFound: step == "exec" && error == ENOENT))
    }

    /// execvp's search, done in the parent: a name without '/' is looked up on the child's PATH.
    /// ENOENT when nothing is found, EACCES when only non-executable files are.
    static func resolve(_ program: String, environment: [[UInt8]]) -> Result<String, Errno> {
        if program.contains("/") { return .success(program) }
        let pathPrefix = Array("PATH=".utf8)
        let pathVariable = environment.last { $0.starts(with: pathPrefix) }
            .map { String(decoding: $0.dropFirst(5), as: UTF8.self) } ?? defaultPath
        var sawNonExecutable = false
        for directory in pathVariable.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            var st = stat()
            guard stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return .success(candidate) }
            sawNonExecutable = true
        }
        return .failure(Errno(code: sawNonExecutable ? EACCES : ENOENT))
    }

    static func stepName(_ stage: Int32) -> String {
        switch UInt32(bitPattern: stage) {
        case CS_STAGE_SESSION.rawValue: return "setsid"
        case CS_STAGE_FDS.rawValue: return "dup2"
        case CS_STAGE_RLIMIT.rawValue: return "setrlimit"
        case CS_STAGE_AFFINITY.rawValue: return "sched_setaffinity"
        case CS_STAGE_GROUPS.rawValue: return "setgroups"
        case CS_STAGE_GID.rawValue: return "setgid"
        case CS_STAGE_UID.rawValue: return "setuid"
        case CS_STAGE_CHDIR.rawValue: return "chdir"
        case CS_STAGE_NO_NEW_PRIVS.rawValue: return "no_new_privs"
        case CS_STAGE_FORK.rawValue: return "fork"
        case CS_STAGE_SIGNALS.rawValue: return "sigprocmask"
        default: return "exec"
        }
    }
}

/// A NULL-terminated array of C strings owned until `free()`.
struct CStringArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int

    /// NUL-terminated copies of `strings` (bytes as they are; a NUL inside ends that string,
    /// as it would for the kernel).
    init(_ strings: [[UInt8]]) {
        count = strings.count
        pointer = .allocate(capacity: strings.count + 1)
        for (i, s) in strings.enumerated() {
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: s.count + 1)
            s.withUnsafeBytes { copy.initialize(from: $0.bindMemory(to: CChar.self).baseAddress!, count: s.count) }
            copy[s.count] = 0
            pointer[i] = copy
        }
        pointer[strings.count] = nil
    }

    func free() {
        for i in 0..<count { pointer[i]?.deallocate() }
        pointer.deallocate()
    }
}

/// An errno value as an `Error`.
struct Errno: Error { var code: Int32 }
