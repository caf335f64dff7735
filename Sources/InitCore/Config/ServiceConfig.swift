/// What to do when a service's process ends.
public enum RestartPolicy: String, Sendable, Equatable, CaseIterable {
    case always, onFailure = "on-failure", never
}

/// A long-running process, or a one-shot job that dependants wait for.
public enum ServiceKind: String, Sendable, Equatable, CaseIterable {
    case simple, oneshot
}

/// What happens when a service goes fatal (its start retries are used up).
public enum FatalPolicy: String, Sendable, Equatable, CaseIterable {
    case shutdown, ignore
}

/// Delays between restarts: `initial`, doubling up to `maximum`; back to `initial` once the
/// service has stayed up for `resetAfter`.
public struct BackoffPolicy: Sendable, Equatable {
    public var initial: TimeSpan = .seconds(1)
    public var maximum: TimeSpan = .seconds(60)
    public var resetAfter: TimeSpan = .seconds(30)
    public init() {}

    /// The delay after `delay`: doubled, capped at `maximum`.
    public func next(after delay: TimeSpan) -> TimeSpan {
        min(delay * 2, maximum)
    }
}

/// A resource limit applied in the child before exec.
public struct ResourceLimit: Sendable, Equatable {
    public var name: String       // "nofile"
    public var soft: UInt64?      // nil: unlimited
    public var hard: UInt64?
}

/// Where a stream of a service goes.
public enum OutputMode: Sendable, Equatable {
    case inherit
    case prefix
    case json
    case null
    case file(path: String, maxSize: Int64, maxFiles: Int)
}

/// One service as configured (before instances are expanded).
public struct ServiceConfig: Sendable, Equatable {
    public var name: String
    public var command: [String]
    public var kind: ServiceKind = .simple
    public var workdir: String? = nil
    public var environment: [(name: String, value: String)] = []
    public var envFile: String? = nil
    public var user: String? = nil
    public var group: String? = nil
    public var umask: UInt32? = nil
    public var rlimits: [ResourceLimit] = []
    public var cpuAffinity: [Int] = []
    public var noNewPrivileges = false
    public var instances = 1
    public var restart: RestartPolicy = .always
    public var successExitCodes: [Int32] = [0]
    public var backoff = BackoffPolicy()
    /// Quick deaths in a row (before `startTime`) tolerated before going fatal; nil: no limit.
    public var startRetries: Int? = 5
    public var startTime: TimeSpan = .seconds(1)
    public var stopSignal: Int32 = Signals.term
    public var stopDelay: TimeSpan = .zero
    /// nil: the global stop timeout.
    public var stopTimeout: TimeSpan? = nil
    public var after: [String] = []
    public var requires: [String] = []
    public var critical = false
    public var onFatal: FatalPolicy = .ignore
    public var stdout: OutputMode? = nil
    public var stderr: OutputMode? = nil
    /// Readiness and health checks, hooks, watchdog, pidfile (Config/ProbeConfig.swift).
    public var lifecycle = LifecycleConfig()
    /// The `--` program of the command line: its exit ends the container with its code.
    public var isMain = false
    /// Set for `[tasks.NAME]`: runs when due, never restarted.
    public var task: TaskSettings? = nil
    /// Only run inside this time window.
    public var window: ServiceWindow? = nil

    public init(name: String, command: [String]) {
        self.name = name
        self.command = command
    }

    public static func == (a: ServiceConfig, b: ServiceConfig) -> Bool {
        a.name == b.name && a.command == b.command && a.kind == b.kind && a.workdir == b.workdir
            && a.environment.map { $0.name + "=" + $0.value } == b.environment.map { $0.name + "=" + $0.value }
            && a.envFile == b.envFile && a.user == b.user && a.group == b.group && a.umask == b.umask
            && a.rlimits == b.rlimits && a.cpuAffinity == b.cpuAffinity && a.noNewPrivileges == b.noNewPrivileges
            && a.instances == b.instances && a.restart == b.restart && a.successExitCodes == b.successExitCodes
            && a.backoff == b.backoff && a.startRetries == b.startRetries && a.startTime == b.startTime
            && a.stopSignal == b.stopSignal && a.stopDelay == b.stopDelay
            && a.stopTimeout == b.stopTimeout && a.after == b.after && a.requires == b.requires
            && a.critical == b.critical && a.onFatal == b.onFatal && a.stdout == b.stdout && a.stderr == b.stderr
            && a.isMain == b.isMain && a.task == b.task && a.window == b.window
            && a.lifecycle == b.lifecycle
    }
}

/// What a scheduled task runs on, and how runs relate to each other.
public struct TaskSettings: Sendable, Equatable {
    /// nil: runs only when chained or asked (`initctl run`).
    public var schedule: Schedule? = nil
    /// As written: "*/5 * * * *", "every 1h", "at 23:59 on mon-fri".
    public var scheduleText = "manual"
    /// `@reboot`: once when swinit starts.
    public var atBoot = false
    /// A zone name ("Europe/Berlin"); nil: TZ, else UTC.
    public var timezone: String? = nil
    public var jitter: TimeSpan = .zero
    public var overlap: OverlapPolicy = .skip
    /// A run taking longer is stopped (stop signal, stop timeout, SIGKILL).
    public var timeout: TimeSpan? = nil
    /// On shutdown, let a running run finish instead of stopping it.
    public var waitOnShutdown = false
    public var onSuccess: [String] = []
    public var onFailure: [String] = []
    public init() {}
}

/// When a run is due while the previous one still runs.
public enum OverlapPolicy: String, Sendable, Equatable, CaseIterable {
    /// Drop the new run (supercronic's behaviour).
    case skip
    /// Run it when the current one ends (at most one waits).
    case queue
    /// Stop the current run, then start the new one.
    case replace
}

/// Daily hours in which a service runs: started at `start`, stopped at `stop`.
public struct ServiceWindow: Sendable, Equatable {
    public var start: TimeOfDay
    public var stop: TimeOfDay
    /// Days on which the window opens.
    public var days: DaySet = .all
    public var timezone: String? = nil
    public init(start: TimeOfDay, stop: TimeOfDay) {
        self.start = start
        self.stop = stop
    }
}

/// Settings that apply to swinit as a whole.
public struct GlobalSettings: Sendable, Equatable {
    public var stopTimeout: TimeSpan = .seconds(10)
    /// How long leftover processes get between SIGTERM and SIGKILL at the end.
    public var grace: TimeSpan = .seconds(2)
    public var stdout: OutputMode = .prefix
    public var stderr: OutputMode = .prefix
    public var logTimestamps = false
    public var verbosity = 0
    public var controlDir: String? = nil
    public var controlGroup: String? = nil
    public var reloadOnHangup = true
    /// Default on-exit/on-restart/on-fatal/on-unhealthy commands (`[events]`).
    public var events: [HookEvent: HookCommand] = [:]
    public init() {}
}

/// A whole configuration: global settings and services in file order.
public struct Configuration: Sendable, Equatable {
    public var settings = GlobalSettings()
    public var services: [ServiceConfig] = []
    /// Time zones the tasks and windows name, read by the runtime ("" is the default zone).
    public var zones: [String: TimeZoneRules] = [:]
    public init() {}

    /// The rules for a zone name (nil: the default zone); UTC when unknown.
    public func zone(_ name: String?) -> TimeZoneRules { Configuration.zone(name, in: zones) }

    /// A zone from a table built by `TimeZones.resolve`: the named one, else the default, else UTC.
    public static func zone(_ name: String?, in zones: [String: TimeZoneRules]) -> TimeZoneRules {
        zones[name ?? ""] ?? zones[""] ?? .utc
    }

    /// Every zone name used by tasks and windows.
    public var zoneNames: [String] {
        var names: [String] = []
        for s in services {
            for name in [s.task?.timezone, s.window?.timezone] { if let name, !names.contains(name) { names.append(name) } }
        }
        return names
    }

    public func service(named name: String) -> ServiceConfig? { services.first { $0.name == name } }
}
