import CSystem
import Glibc
import InitCore

/// What the process was started with, captured once before the loop.
public struct LaunchContext {
    /// The directory swinit was started in: the children's default working directory
    /// (swinit itself moves to "/" so it never pins a mount).
    public var workdir: String?
    /// `NAME=VALUE` entries, in order, as the bytes they came as.
    public var environment: [[UInt8]]
    /// The `--` program's argv as the bytes it came as (empty without one).
    public var rawProgram: [[UInt8]] = []
    /// stdin, when it is a terminal whose foreground is ours (`docker run -it`).
    public var terminal: Int32?
    public var newSession: Bool
    /// Socket-activation descriptors (LISTEN_FDS) handed to the main program.
    public var listenDescriptors: Int32
    public var isPID1: Bool

    public init(workdir: String?, environment: [[UInt8]], terminal: Int32?, newSession: Bool,
                listenDescriptors: Int32, isPID1: Bool) {
        self.workdir = workdir
        self.environment = environment
        self.terminal = terminal
        self.newSession = newSession
        self.listenDescriptors = listenDescriptors
        self.isPID1 = isPID1
    }
}

/// The imperative shell: one epoll loop over the signalfd (and, later, pipes and FIFOs). It
/// turns kernel readiness into `Event`s for the `Supervisor` and its `Action`s into syscalls.
public final class Runtime {
    var supervisor: Supervisor
    private let context: LaunchContext
    let console: Console
    let loop: EventLoop
    /// Services' stdout/stderr pipes and swinit's own messages; nil when every unit inherits.
    let output: OutputRouter?
    private let signals: Int32
    private let ownPid: Int32
    /// pidfds of our live units' processes, for signalling without pid-reuse races.
    private var pidfds: [Int32: Int32] = [:]
    private var exitCode: Int32? = nil
    private let accounts: Accounts
    /// Reads the config again for reloads; nil without a config file.
    private let reloader: ConfigReloader?
    /// The control FIFOs and status.json (Control/); nil until `openControl`, or without one.
    var control: ControlChannel? = nil
    /// Rewrite status.json on state changes (config mode: sidecars read it). A single `--`
    /// program is answered through the FIFO only, which keeps its start as cheap as tini's.
    public var writesStatusFile = true
    /// The supervisor generation status.json was last written for.
    var publishedGeneration: UInt64 = .max
    /// Probes, notify sockets, hooks (Hooks.swift).
    private let lifecycle: LifecycleRuntime

    /// Sets up the loop. Signals must already be blocked (see `blockSignals`).
    public init(supervisor: Supervisor, context: LaunchContext, console: Console, accounts: Accounts, reloader: ConfigReloader?) throws(SystemError) {
        self.supervisor = supervisor
        self.accounts = accounts
        self.reloader = reloader
        self.context = context
        self.ownPid = getpid()
        var set = sigset_t()
        cs_blockable_signals(&set)
        signals = try systemCall("signalfd") { cs_signalfd(&set) }
        loop = try EventLoop()
        try loop.add(signals, .read, Token(.signals))
        var console = console
        if OutputRouter.isNeeded(units: supervisor.units, settings: supervisor.settings) {
            output = OutputRouter(loop: loop, settings: supervisor.settings, units: supervisor.units)
            console.router = output
        } else {
            output = nil
        }
        self.console = console
        lifecycle = LifecycleRuntime(loop: loop, console: console, ownPid: ownPid)
        if let output {
            // Failure events carry the tail of the unit's recent output.
            lifecycle.recentStderr = { [unowned output] id in output.recentBytes(unit: id, limit: 4096) }
        }
    }

    /// Blocks every signal but the kernel's fault signals. Must run first thing in `main`, so
    /// nothing is delivered before the signalfd exists. SIGPIPE stays blocked (never ignored):
    /// writes to a gone reader return EPIPE, and children still start with the default.
    public static func blockSignals() {
        var set = sigset_t()
        cs_blockable_signals(&set)
        sigprocmask(SIG_SETMASK, &set, nil)
    }

    /// Runs until the supervisor says exit; returns the exit code. Inside the loop nothing may
    /// exit or throw: PID 1's death kills the container, so failures are logged and we go on.
    public func run() -> Int32 {
        defer { lifecycle.cleanUp() }
        dispatch(.boot)
        while exitCode == nil {
            let ready: [Readiness]
            do {
                ready = try loop.wait(timeoutMilliseconds: timeoutMilliseconds())
            } catch {
                console.log(.error, error.description)
                continue
            }
            for event in ready {
                switch event.token.kind {
                case .signals: drainSignals()
                case .controlRequests: serveControlRequests()
                case .controlReply: control?.writable(event.token.id, at: monotonicNow())
                case .probe: for reported in lifecycle.handle(event) { dispatch(reported) }
                case .output, .console: output?.handle(event)
                }
            }
            control?.expire(at: monotonicNow())
            if exitCode == nil, let deadline = supervisor.nextDeadline, deadline <= monotonicNow() {
                dispatch(.tick)
            }
            publishStatus()
        }
        publishStatus()
        output?.flush(until: monotonicNow() + .seconds(2))
        control?.shutDown()
        return exitCode!
    }

    /// Milliseconds until the core's next deadline, rounded up; -1 (sleep until an event)
    /// when nothing is due: an idle swinit never wakes.
    private func timeoutMilliseconds() -> Int32 {
        var next = supervisor.nextDeadline
        if let controlDeadline = control?.nextDeadline { next = min(next ?? controlDeadline, controlDeadline) }
        guard let deadline = next else { return -1 }
        let remaining = deadline - monotonicNow()
        if remaining <= .zero { return 0 }
        return Int32(clamping: remaining.millisecondsRoundedUp)
    }

    // MARK: Events

    /// Events raised while actions are performed (a spawn's result, a reaped child) wait their
    /// turn: every batch of actions runs against the state that produced it, and a chain of
    /// failing spawns cannot recurse without bound.
    private var pendingEvents: [Event] = []
    private var dispatching = false

    private func dispatch(_ event: Event) {
        pendingEvents.append(event)
        if dispatching { return }
        dispatching = true
        defer { dispatching = false }
        var next = 0
        while next < pendingEvents.count {
            let actions = supervisor.handle(pendingEvents[next], at: monotonicNow())
            next += 1
            for action in actions { perform(action) }
        }
        pendingEvents.removeAll(keepingCapacity: true)
        releaseRetiredUnits()
    }

    /// Units a reload retired, whose resources were freed.
    private var releasedUnits: Set<UnitID> = []

    /// A retired unit that is down keeps nothing open: without this every reload that changes
    /// a service would leak its pipes and notify socket.
    private func releaseRetiredUnits() {
        for id in supervisor.units.indices where supervisor.units[id].retired && !supervisor.units[id].state.isAlive
            && !releasedUnits.contains(id) {
            output?.release(unit: id)
            lifecycle.release(unit: id)
            releasedUnits.insert(id)
        }
    }

    /// Signals read from the signalfd, up to 16 per read(): a short read means none is left,
    /// so the usual single signal costs one read, not a second one that says EAGAIN.
    private var signalBatch = [cs_signal_info](repeating: cs_signal_info(), count: 16)

    private func drainSignals() {
        var reap = false
        while true {
            let got = signalBatch.withUnsafeMutableBufferPointer {
                cs_signalfd_read_many(signals, $0.baseAddress, Int32($0.count))
            }
            if got < 0 {
                console.log(.error, SystemError(call: "read signalfd", errno: errno).description)
                break
            }
            for i in 0..<Int(got) {
                let info = signalBatch[i]
                if info.signo == Signals.chld { reap = true; continue }
                // Our own writes to a closed pipe raise SIGPIPE for us; that is not for the children.
                if info.sender_pid == ownPid && info.signo == Signals.pipe { continue }
                dispatch(.signal(info.signo))
            }
            if got < Int32(signalBatch.count) { break }
        }
        if reap { reapAll() }
    }

    /// waitpid(-1) until nothing is left to collect: our units and every adopted orphan.
    /// Reaps every child that has ended; false when no children are left at all.
    @discardableResult
    private func reapAll() -> Bool {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG | WUNTRACED)
            if pid > 0 {
                if cs_wifstopped(status) != 0 {
                    dispatch(.childStopped(pid: pid, signal: cs_wstopsig(status)))
                    continue
                }
                if let fd = pidfds.removeValue(forKey: pid) { close(fd) }
                // Its last lines come before the supervisor's message about its exit.
                if let output, let unit = supervisor.units.first(where: { $0.state.pid == pid }) { output.processExited(unit.id) }
                let decoded: WaitStatus = cs_wifsignaled(status) != 0
                    ? .signaled(cs_wtermsig(status), coreDumped: cs_wcoredump(status) != 0)
                    : .exited(cs_wexitstatus(status))
                dispatch(.childExited(pid: pid, decoded))
                continue
            }
            if pid == 0 { return true }
            let code = errno
            if code == EINTR { continue }
            if code == ECHILD {
                dispatch(.noChildrenLeft)
                return false
            }
            console.log(.error, SystemError(call: "waitpid", errno: code).description)
            return true
        }
    }

    // MARK: Actions

    func perform(_ action: Action) {
        switch action {
        case .spawn(let id):
            spawn(id)
        case .kill(let target, let signal):
            send(signal, to: target)
        case .sweep(let signal):
            sweep(signal)
        case .log(let level, let message):
            console.log(level, message)
        case .exit(let code):
            exitCode = code
        case .lifecycle(let id, let action):
            performLifecycle(id, action)
        case .reloadConfiguration:
            let outcome = reloadConfiguration()
            if !outcome.ok { console.log(.error, outcome.message) }
        }
    }

    /// Re-reads the config; on any error the running one stays and the errors are returned.
    public func reloadConfiguration() -> CommandOutcome {
        guard let reloader else { return .failed("swinit runs without a config file: nothing to reload") }
        switch reloader.load() {
        case .failure(let problems):
            return .failed("the new configuration has errors; keeping the running one:\n" + problems.messages.joined(separator: "\n"))
        case .success(let configuration):
            let (outcome, actions) = supervisor.reload(configuration, at: monotonicNow())
            output?.addUnits(supervisor.units)
            for action in actions { perform(action) }
            return outcome
        }
    }

    private func spawn(_ id: UnitID) {
        let unit = supervisor.units[id]
        let result: Result<Int32, SpawnFailure>
        switch makeRequest(for: unit) {
        case .success(var request):
            // The main program's own argv as it came (hooks and probes have their own argv).
            if unit.config.isMain && context.rawProgram.count == request.argv.count { request.rawArguments = context.rawProgram }
            lifecycle.prepare(&request, for: unit)
            result = Spawner.spawn(request)
            lifecycle.spawnFinished()
        case .failure(let failure): result = .failure(failure)
        }
        switch result {
        case .success(let pid):
            let fd = cs_pidfd_open(pid)
            if fd >= 0 { pidfds[pid] = fd }
            if unit.config.isMain { closeListenDescriptors() }
            dispatch(.spawned(id, pid: pid))
        case .failure(let failure):
            dispatch(.spawnFailed(id, failure))
        }
    }

    /// Probes and hooks run in Hooks.swift; an adopted daemon gets a pidfd like a spawned process.
    private func performLifecycle(_ id: UnitID, _ action: LifecycleAction) {
        for event in lifecycle.perform(action, for: supervisor.units[id], request: makeRequest) {
            if case .lifecycle(_, .pidFile(_, .found(let pid))) = event, pidfds[pid] == nil {
                let fd = cs_pidfd_open(pid)
                if fd >= 0 { pidfds[pid] = fd }
            }
            dispatch(event)
        }
    }

    /// The service's process as the spawner needs it. Files it names (env-file, /etc/passwd
    /// entries) are read now, so a restart sees their current contents.
    private func makeRequest(for unit: Unit) -> Result<SpawnRequest, SpawnFailure> {
        let config = unit.config
        var request = SpawnRequest(argv: config.command, environment: context.environment)
        func set(_ name: String, _ value: String) { request.setVariable(name, value) }
        var identity: Accounts.Identity? = nil
        if (config.user != nil || config.group != nil) && geteuid() == 0 {
            switch accounts.identity(user: config.user, group: config.group) {
            case .success(let found): identity = found
            case .failure(let failure):
                return .failure(SpawnFailure(step: "user", errno: ENOENT, reason: failure.description, notFound: false))
            }
            if let name = identity?.name { set("USER", name); set("LOGNAME", name) }
            if let home = identity?.home { set("HOME", home) }
        }
        if let envFile = config.envFile {
            do {
                let text = String(decoding: try readFile(envFile), as: UTF8.self)
                switch EnvFile.parse(text) {
                case .success(let pairs): for (name, value) in pairs { set(name, value) }
                case .failure(let failure):
                    return .failure(SpawnFailure(step: "env-file", errno: EINVAL, reason: "env-file \(envFile): \(failure.message)", notFound: false))
                }
            } catch {
                return .failure(SpawnFailure(step: "env-file", errno: error.errno, reason: "env-file: \(error.description)", notFound: false))
            }
        }
        for (name, value) in config.environment { set(name, value) }
        if let instance = unit.instance { set("SWINIT_INSTANCE", String(instance)) }
        if !config.isMain { set("SWINIT_SERVICE", unit.name) }
        if let identity { request.identity = (identity.uid, identity.gid, identity.groups) }
        request.rlimits = config.rlimits.compactMap { limit in
            ResourceLimit.resources[limit.name].map { (resource: $0, soft: limit.soft, hard: limit.hard) }
        }
        request.workdir = config.workdir ?? context.workdir
        request.umask = config.umask
        request.noNewPrivileges = config.noNewPrivileges
        request.cpus = config.cpuAffinity.map { Int32(clamping: $0) }
        if config.isMain {
            request.newSession = context.newSession
            request.foregroundTerminal = context.terminal
            for fd in 0..<context.listenDescriptors { request.descriptors.append((3 + fd, 3 + fd)) }
            request.rewriteListenPid = context.listenDescriptors > 0
        } else {
            request.descriptors.append((-1, 0))     // services read from /dev/null
        }
        if let output {
            switch output.descriptors(for: unit) {
            case .success(let pairs): request.descriptors += pairs
            case .failure(let failure): return .failure(failure)
            }
        }
        return .success(request)
    }

    /// Socket-activation descriptors belong to the main program once it has them.
    private func closeListenDescriptors() {
        for fd in 0..<context.listenDescriptors { close(3 + fd) }
    }

    private func send(_ signal: Int32, to target: KillTarget) {
        switch target {
        case .group(let pgid):
            if kill(-pgid, signal) < 0 {
                let code = errno
                // ESRCH: the group is gone, or the leader never made it (a group of one that
                // exited). Fall back to the process itself for single-process programs.
                if code == ESRCH { _ = kill(pgid, signal) } else {
                    console.log(.warning, SystemError(call: "kill -\(Signals.name(signal)) -\(pgid)", errno: code).description)
                }
            }
        case .process(let pid):
            if let fd = pidfds[pid], cs_pidfd_send_signal(fd, signal) == 0 { return }
            _ = kill(pid, signal)
        }
    }

    /// Signals every process left: the whole namespace as PID 1, else our descendants only
    /// (never kill(-1) on a host).
    /// Without children there is nothing to signal: a descendant whose parent ended is
    /// re-parented to us, so it would be our child. (The event saying so may still be queued.)
    private func sweep(_ signal: Int32) {
        if !reapAll() || exitCode != nil { return }
        // SIGCONT after the signal: a stopped process would not act on it until continued.
        let signalsToSend = signal == Signals.kill ? [signal] : [signal, Signals.cont]
        if context.isPID1 {
            for s in signalsToSend { _ = kill(-1, s) }
        } else {
            let pids = ProcessTable.descendants(of: ownPid)
            for s in signalsToSend { for pid in pids { _ = kill(pid, s) } }
        }
        reapAll()
    }
}
