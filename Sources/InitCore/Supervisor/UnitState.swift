/// Where one unit is in its life. Cases carry what that state needs, nothing derivable.
public enum UnitState: Sendable, Equatable {
    /// Not started: waiting for the loop, for dependencies, or for a window.
    case waiting
    /// A spawn action is out; the pid comes with the next event.
    case spawning
    /// Running but not ready yet (it has a readiness check): dependants still wait.
    case starting(pid: Int32, since: Instant)
    case running(pid: Int32, since: Instant)
    /// Between a crash and the next start.
    case backoff(until: Instant)
    /// Stop delay: still running, the stop signal goes out at `signalAt`.
    case draining(pid: Int32, since: Instant, signalAt: Instant)
    /// The stop signal went out; SIGKILL follows at `killAt` (nil once sent).
    case stopping(pid: Int32, since: Instant, killAt: Instant?)
    /// Finished for good: a one-shot that completed, or `restart = never`.
    case exited(WaitStatus)
    /// Stopped on purpose (shutdown, or by request).
    case stopped
    /// Start retries used up, or the program could not be run.
    case fatal(WaitStatus?)

    /// The pid while a process is alive.
    public var pid: Int32? {
        switch self {
        case .running(let pid, _), .starting(let pid, _), .draining(let pid, _, _), .stopping(let pid, _, _): return pid
        default: return nil
        }
    }

    /// A process exists or is being created.
    public var isAlive: Bool { pid != nil || self == .spawning }

    /// The word `initctl status` shows.
    public var name: String {
        switch self {
        case .waiting: return "waiting"
        case .spawning, .starting: return "starting"
        case .running: return "running"
        case .backoff: return "backoff"
        case .draining, .stopping: return "stopping"
        case .exited: return "exited"
        case .stopped: return "stopped"
        case .fatal: return "fatal"
        }
    }
}

/// One instance of a service and its bookkeeping.
public struct Unit: Sendable {
    public let id: UnitID
    /// "web", or "web.0" for instances.
    public let name: String
    public let instance: Int?
    public internal(set) var config: ServiceConfig
    public internal(set) var state: UnitState = .waiting
    /// When a unit SIGKILLed but never reaped is given up (see `Supervisor.killGrace`).
    var abandonAt: Instant? = nil
    /// Removed or replaced by a reload: it only finishes stopping, and status leaves it out.
    public internal(set) var retired = false
    /// A reload's replacement waits until the unit it replaces is down.
    var replaces: UnitID? = nil
    public internal(set) var restarts = 0
    public internal(set) var lastExit: WaitStatus? = nil
    /// Deaths before `startTime` in a row.
    var quickFailures = 0
    var nextDelay: TimeSpan
    /// False once stopped on purpose: an exit then does not restart it.
    var wanted = true
    /// Units this one waits for (after ∪ requires) and the subset it requires.
    var waitsFor: [UnitID] = []
    var requiredUnits: [UnitID] = []
    /// Readiness, health, watchdog, hooks in flight (Supervisor/Readiness.swift).
    var life = UnitLife()

    // Tasks: when the next run is due, and what the last one did.
    public internal(set) var nextRun: Instant? = nil
    /// A run waits for the current one to end (overlap queue/replace).
    var queuedRun = false
    /// The current run was stopped for taking longer than its timeout.
    var timedOut = false
    public internal(set) var runs = 0
    public internal(set) var lastRunStart: Instant? = nil
    public internal(set) var lastRunDuration: TimeSpan? = nil

    // Windows: whether the window is open now, and when that changes.
    public internal(set) var windowOpen = true
    var nextWindowChange: Instant? = nil

    init(id: UnitID, name: String, instance: Int?, config: ServiceConfig) {
        self.id = id
        self.name = name
        self.instance = instance
        self.config = config
        self.nextDelay = config.backoff.initial
    }

    /// The word `initctl status` shows, with the task and window nuances.
    public var stateName: String {
        if state == .waiting && config.task != nil { return "scheduled" }
        if state == .waiting && !windowOpen { return "waiting for window" }
        return state.name
    }

    /// Running, or a one-shot that completed successfully: dependants may start.
    var isUp: Bool {
        switch state {
        case .running: return config.kind == .simple
        case .exited(let status): return config.kind == .oneshot && config.succeeded(status)
        default: return false
        }
    }

    /// Will not come up without outside help.
    var hasGivenUp: Bool {
        switch state {
        case .fatal, .stopped: return true
        case .exited: return !isUp
        default: return false
        }
    }
}

extension ServiceConfig {
    /// The exit counts as success under `success-exit-codes`.
    func succeeded(_ status: WaitStatus) -> Bool {
        if case .exited(let code) = status { return successExitCodes.contains(code) }
        return false
    }
}
