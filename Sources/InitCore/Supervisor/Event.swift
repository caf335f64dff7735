/// Index of a unit (one instance of a service) in `Supervisor.units`.
public typealias UnitID = Int

/// Something that happened, fed to `Supervisor.handle(_:at:)` by the runtime.
public enum Event: Sendable, Equatable {
    /// The loop is ready: start what can start.
    case boot
    /// A `spawn` action succeeded.
    case spawned(UnitID, pid: Int32)
    /// A `spawn` action failed before the program ran.
    case spawnFailed(UnitID, SpawnFailure)
    /// waitpid reported a death: one of ours, or an adopted orphan.
    case childExited(pid: Int32, WaitStatus)
    /// waitpid(WUNTRACED) reported a child stopped by a signal.
    case childStopped(pid: Int32, signal: Int32)
    /// waitpid said ECHILD: no process is left below us.
    case noChildrenLeft
    /// A signal arrived for swinit from someone else.
    case signal(Int32)
    /// The deadline from `nextDeadline` has passed.
    case tick
    /// A probe, hook, notify message or pid file reported (Supervisor/Readiness.swift).
    case lifecycle(UnitID, LifecycleEvent)
}

/// Why a spawn failed: the step in the child and its errno, already rendered.
public struct SpawnFailure: Error, Sendable, Equatable {
    public var step: String
    public var errno: Int32
    public var reason: String
    public var notFound: Bool

    public init(step: String, errno: Int32, reason: String, notFound: Bool) {
        self.step = step
        self.errno = errno
        self.reason = reason
        self.notFound = notFound
    }

    /// As shells do: 127 when the program was not found, 126 when it could not be run.
    public var exitCode: Int32 { notFound ? 127 : 126 }
}

/// Whom a signal is for.
public enum KillTarget: Sendable, Equatable {
    /// The whole process group led by this pid (kill(-pgid, sig)).
    case group(Int32)
    /// This process alone (through its pidfd).
    case process(Int32)
}

/// How loud a message is; `-v` shows info, `-vv` debug.
public enum LogLevel: Int, Sendable, Comparable {
    case error = 0, warning, notice, info, debug
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// What the runtime must do, in order.
public enum Action: Sendable, Equatable {
    case spawn(UnitID)
    case kill(KillTarget, signal: Int32)
    /// Signal every process left below swinit (all of the namespace when PID 1).
    case sweep(signal: Int32)
    case log(LogLevel, String)
    case exit(code: Int32)
    /// Re-read the configuration and hand it to `Supervisor.reload` (SIGHUP).
    case reloadConfiguration
    /// Run a probe or hook, read a pid file (Supervisor/Readiness.swift).
    case lifecycle(UnitID, LifecycleAction)
}
