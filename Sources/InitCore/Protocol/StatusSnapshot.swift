/// One unit (a service instance) as `initctl status` and `status.json` show it.
public struct UnitStatus: Sendable, Equatable {
    /// "web", or "web.1" for an instance.
    public var name: String
    /// The service it is an instance of.
    public var service: String
    public var instance: Int?
    /// "simple" or "oneshot".
    public var kind: String
    /// The `--` program of the command line.
    public var isMain: Bool
    public var critical: Bool
    /// `UnitState.name`: waiting, starting, running, backoff, stopping, exited, stopped, fatal.
    public var state: String
    public var pid: Int32?
    /// Time since the process started, while there is one.
    public var uptimeMilliseconds: Int64?
    public var restarts: Int
    public var lastExit: WaitStatus?
    /// Up as dependants see it: running, or a one-shot that exited with a success code.
    public var up: Bool
    /// Until the next start, in backoff.
    public var retryInMilliseconds: Int64?
    /// nil: no readiness check defined (running counts as ready).
    public var ready: Bool?
    /// nil: no health check defined; else "starting", "healthy" or "unhealthy".
    public var health: String?
    /// The last `STATUS=` the service sent (sd_notify).
    public var statusText: String? = nil
    /// Why the last readiness or health probe failed.
    public var probeFailure: String? = nil
    /// Tasks: the schedule as written, when the next run is due, how long the last one took.
    public var schedule: String? = nil
    public var nextRunInMilliseconds: Int64? = nil
    public var lastRunMilliseconds: Int64? = nil

    public init(name: String, service: String, instance: Int? = nil, kind: String = "simple", isMain: Bool = false,
                critical: Bool = false, state: String, pid: Int32? = nil, uptimeMilliseconds: Int64? = nil, restarts: Int = 0,
                lastExit: WaitStatus? = nil, up: Bool = false, retryInMilliseconds: Int64? = nil, ready: Bool? = nil, health: String? = nil) {
        self.name = name
        self.service = service
        self.instance = instance
        self.kind = kind
        self.isMain = isMain
        self.critical = critical
        self.state = state
        self.pid = pid
        self.uptimeMilliseconds = uptimeMilliseconds
        self.restarts = restarts
        self.lastExit = lastExit
        self.up = up
        self.retryInMilliseconds = retryInMilliseconds
        self.ready = ready
        self.health = health
    }
}

/// swinit and all its units at one moment: the body of a `status` reply and of `status.json`.
public struct StatusSnapshot: Sendable, Equatable {
    public var version: String
    public var pid: Int32
    /// "pid:[4026531836]": lets initctl tell whether it sees the same pids (for CPU/RSS).
    public var pidNamespace: String?
    /// booting, running, shutting-down, sweeping, finished.
    public var phase: String
    public var uptimeMilliseconds: Int64
    /// Wall clock when this was taken, for readers of status.json.
    public var generatedUnixMilliseconds: Int64
    public var units: [UnitStatus]

    public init(version: String, pid: Int32, pidNamespace: String?, phase: String, uptimeMilliseconds: Int64,
                generatedUnixMilliseconds: Int64, units: [UnitStatus]) {
        self.version = version
        self.pid = pid
        self.pidNamespace = pidNamespace
        self.phase = phase
        self.uptimeMilliseconds = uptimeMilliseconds
        self.generatedUnixMilliseconds = generatedUnixMilliseconds
        self.units = units
    }

    /// Takes the snapshot from the supervisor's state. Pure: the clocks are inputs.
    public static func capture(_ supervisor: Supervisor, now: Instant, startedAt: Instant, wallMilliseconds: Int64,
                               pid: Int32, pidNamespace: String?) -> StatusSnapshot {
        // Units a reload retired stay listed only while their process is still going.
        let units = supervisor.units.filter { !$0.retired || $0.state.isAlive }.map { unit -> UnitStatus in
            let config = unit.config
            var status = UnitStatus(
                name: unit.name, service: config.name, instance: unit.instance, kind: config.task != nil ? "task" : config.kind.rawValue,
                isMain: config.isMain, critical: config.critical, state: unit.stateName, pid: unit.state.pid,
                restarts: unit.restarts, lastExit: unit.lastExit)
            if config.lifecycle.ready != nil || config.lifecycle.pidFile != nil { status.ready = unit.ready }
            status.health = unit.health?.rawValue
            status.statusText = unit.statusText
            status.probeFailure = unit.lastProbeFailure
            if let task = config.task {
                status.schedule = task.atBoot ? "@reboot" : task.scheduleText
                status.nextRunInMilliseconds = unit.nextRun.map { max(0, ($0 - now).millisecondsRoundedUp) }
                status.lastRunMilliseconds = unit.lastRunDuration.map { $0.nanoseconds / 1_000_000 }
            }
            switch unit.state {
            case .starting(_, let since):
                status.uptimeMilliseconds = max(0, (now - since).nanoseconds / 1_000_000)
            case .running(_, let since):
                status.uptimeMilliseconds = max(0, (now - since).nanoseconds / 1_000_000)
                status.up = config.kind == .simple && config.task == nil
            case .draining(_, let since, _), .stopping(_, let since, _):
                status.uptimeMilliseconds = max(0, (now - since).nanoseconds / 1_000_000)
            case .backoff(let until):
                status.retryInMilliseconds = max(0, (until - now).millisecondsRoundedUp)
            case .exited(let exit):
                if case .exited(let code) = exit, config.kind == .oneshot { status.up = config.successExitCodes.contains(code) }
            default:
                break
            }
            return status
        }
        return StatusSnapshot(
            version: Version.string, pid: pid, pidNamespace: pidNamespace, phase: phaseName(supervisor.phase),
            uptimeMilliseconds: max(0, (now - startedAt).nanoseconds / 1_000_000),
            generatedUnixMilliseconds: wallMilliseconds, units: units)
    }

    /// The word for a supervisor phase.
    public static func phaseName(_ phase: Supervisor.Phase) -> String {
        switch phase {
        case .booting: return "booting"
        case .running: return "running"
        case .shuttingDown: return "shutting-down"
        case .sweeping: return "sweeping"
        case .finished: return "finished"
        }
    }

    /// What changes only with a state change (no clocks): status.json is rewritten when it differs.
    public var changeKey: String {
        var key = phase
        for u in units {
            key += "|\(u.name) \(u.state) \(u.pid ?? 0) \(u.restarts) \(u.lastExit.map { "\($0.shellCode)" } ?? "-") \(u.ready.map { "\($0)" } ?? "-") \(u.health ?? "-") \(u.statusText ?? "-")"
        }
        return key
    }

    /// Only the units named (a service name selects all its instances); the names not found.
    public func selecting(_ names: [String]) -> (StatusSnapshot, missing: [String]) {
        if names.isEmpty { return (self, []) }
        var copy = self
        var missing: [String] = []
        var chosen: [UnitStatus] = []
        for name in names {
            let exact = units.filter { $0.name == name }
            let found = exact.isEmpty ? units.filter { $0.service == name } : exact
            if found.isEmpty { missing.append(name) }
            for unit in found where !chosen.contains(where: { $0.name == unit.name }) { chosen.append(unit) }
        }
        copy.units = chosen
        return (copy, missing)
    }

    // MARK: JSON

    /// The snapshot as a JSON object (docs/PROTOCOL.md, "status").
    public var json: JSONValue {
        .object([
            JSONMember("version", .string(version)),
            JSONMember("pid", .int(Int64(pid))),
            JSONMember("pid_namespace", pidNamespace.map { .string($0) } ?? .null),
            JSONMember("phase", .string(phase)),
            JSONMember("uptime_ms", .int(uptimeMilliseconds)),
            JSONMember("generated_unix_ms", .int(generatedUnixMilliseconds)),
            JSONMember("units", .array(units.map { $0.json })),
        ])
    }

    /// Reads a snapshot back; nil when a required field is missing or of the wrong type.
    public init?(json: JSONValue) {
        guard let version = json["version"]?.string, let pid = json["pid"]?.int, let phase = json["phase"]?.string,
              let uptime = json["uptime_ms"]?.int, let generated = json["generated_unix_ms"]?.int,
              let list = json["units"]?.array else { return nil }
        var units: [UnitStatus] = []
        for item in list {
            guard let unit = UnitStatus(json: item) else { return nil }
            units.append(unit)
        }
        self.init(version: version, pid: Int32(clamping: pid), pidNamespace: json["pid_namespace"]?.string, phase: phase,
                  uptimeMilliseconds: uptime, generatedUnixMilliseconds: generated, units: units)
    }
}

extension UnitStatus {
    /// The unit as a JSON object.
    public var json: JSONValue {
        func optional(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
        return .object([
            JSONMember("name", .string(name)),
            JSONMember("service", .string(service)),
            JSONMember("instance", optional(instance.map(Int64.init))),
            JSONMember("kind", .string(kind)),
            JSONMember("main", .bool(isMain)),
            JSONMember("critical", .bool(critical)),
            JSONMember("state", .string(state)),
            JSONMember("pid", optional(pid.map(Int64.init))),
            JSONMember("uptime_ms", optional(uptimeMilliseconds)),
            JSONMember("restarts", .int(Int64(restarts))),
            JSONMember("last_exit", lastExit.map(UnitStatus.exitJSON) ?? .null),
            JSONMember("up", .bool(up)),
            JSONMember("retry_in_ms", optional(retryInMilliseconds)),
            JSONMember("ready", ready.map { .bool($0) } ?? .null),
            JSONMember("health", health.map { .string($0) } ?? .null),
            JSONMember("status_text", statusText.map { .string($0) } ?? .null),
            JSONMember("probe_failure", probeFailure.map { .string($0) } ?? .null),
            JSONMember("schedule", schedule.map { .string($0) } ?? .null),
            JSONMember("next_run_in_ms", optional(nextRunInMilliseconds)),
            JSONMember("last_run_ms", optional(lastRunMilliseconds)),
        ])
    }

    /// {"code":1} or {"signal":"KILL","number":9,"core_dumped":false}.
    static func exitJSON(_ status: WaitStatus) -> JSONValue {
        switch status {
        case .exited(let code):
            return .object([JSONMember("code", .int(Int64(code)))])
        case .signaled(let signal, let core):
            return .object([JSONMember("signal", .string(Signals.name(signal))), JSONMember("number", .int(Int64(signal))),
                            JSONMember("core_dumped", .bool(core))])
        }
    }

    /// Reads a unit back; nil when malformed.
    public init?(json: JSONValue) {
        guard let name = json["name"]?.string, let service = json["service"]?.string, let state = json["state"]?.string,
              let restarts = json["restarts"]?.int else { return nil }
        var exit: WaitStatus? = nil
        if let e = json["last_exit"], !e.isNull {
            if let code = e["code"]?.int {
                exit = .exited(Int32(clamping: code))
            } else if let number = e["number"]?.int {
                exit = .signaled(Int32(clamping: number), coreDumped: e["core_dumped"]?.bool ?? false)
            } else {
                return nil
            }
        }
        self.init(name: name, service: service, instance: json["instance"]?.int.map { Int($0) }, kind: json["kind"]?.string ?? "simple",
                  isMain: json["main"]?.bool ?? false, critical: json["critical"]?.bool ?? false, state: state,
                  pid: json["pid"]?.int.map { Int32(clamping: $0) }, uptimeMilliseconds: json["uptime_ms"]?.int,
                  restarts: Int(restarts), lastExit: exit, up: json["up"]?.bool ?? false,
                  retryInMilliseconds: json["retry_in_ms"]?.int, ready: json["ready"]?.bool, health: json["health"]?.string)
        statusText = json["status_text"]?.string
        probeFailure = json["probe_failure"]?.string
        schedule = json["schedule"]?.string
        nextRunInMilliseconds = json["next_run_in_ms"]?.int
        lastRunMilliseconds = json["last_run_ms"]?.int
    }

    /// What the NOTE column says: a task's schedule and runs, the service's STATUS= text, or
    /// why its last probe failed.
    public var note: String {
        var parts: [String] = []
        if let schedule { parts.append(schedule) }
        if let next = nextRunInMilliseconds { parts.append("next in \(StatusTable.age(next))") }
        if let last = lastRunMilliseconds { parts.append("last took \(StatusTable.age(last))") }
        if let statusText { parts.append(statusText) }
        if let probeFailure { parts.append("probe: " + probeFailure) }
        return parts.isEmpty ? "-" : parts.joined(separator: "; ")
    }
}
