/// How signals and exit codes are treated, from the command line.
public struct SignalPolicy: Sendable, Equatable {
    /// Received signal → signal to forward; 0 drops it (dumb-init's `--rewrite`).
    public var rewrite: [Int32: Int32] = [:]
    /// Forward to the main program's whole process group (default) or to it alone.
    public var toGroup = true
    /// Exit codes of the main program reported as 0 (tini's `-e`).
    public var exitCodesAsSuccess: Set<Int32> = []
    /// Resume a main program stopped by Ctrl-Z/SIGTTIN/SIGTTOU: a container has no job
    /// control shell to do it, and a stopped main program would hang it.
    public var resumeTerminalStops = true

    public init() {}

    /// The signal to forward for `signal`, or nil to drop it.
    public func translate(_ signal: Int32) -> Int32? {
        guard let target = rewrite[signal] else { return signal }
        return target == 0 ? nil : target
    }
}

/// The whole supervision policy as a pure state machine: events in, actions out.
///
/// ```swift
/// var supervisor = Supervisor(configuration: config, policy: SignalPolicy())
/// let actions = supervisor.handle(.boot, at: now)        // [.spawn(0), …]
/// ```
/// Deadlines are derived from the state (`nextDeadline`); when it passes the runtime sends
/// `.tick`. Nothing here reads a clock or makes a syscall.
public struct Supervisor: Sendable {
    public internal(set) var units: [Unit]
    public internal(set) var settings: GlobalSettings
    public let policy: SignalPolicy
    public internal(set) var phase: Phase = .booting
    /// The most verbose level the runtime shows (-v: info, -vv: debug); tests see everything.
    public var logLevel: LogLevel = .debug
    /// Bumped by every call that may change state: the runtime republishes status only then.
    public internal(set) var generation: UInt64 = 0
    /// The code swinit will exit with, once something has decided it.
    public internal(set) var exitCode: Int32? = nil
    var unitByPid: [Int32: UnitID] = [:]
    /// The main program's stop signal in a shutdown asked for by a signal.
    var shutdownSignal: Int32? = nil
    /// Time zone rules for tasks and windows.
    var zones: [String: TimeZoneRules]
    /// Wall-clock seconds at boot: `every` schedules count from here.
    var startWall: Int64 = 0

    /// Where swinit as a whole is.
    public enum Phase: Sendable, Equatable {
        case booting
        case running
        /// Stopping units in reverse dependency order.
        case shuttingDown
        /// Units are down; leftover processes got `signal`; at `deadline` the next step.
        case sweeping(signal: Int32, deadline: Instant)
        case finished
    }

    public init(configuration: Configuration, policy: SignalPolicy = SignalPolicy()) {
        self.settings = configuration.settings
        self.policy = policy
        self.zones = configuration.zones
        self.units = []
        for service in configuration.services { addUnits(for: service) }
        linkDependencies()
    }

    /// Appends the units of a service: one, or one per instance ("web.0" …).
    mutating func addUnits(for service: ServiceConfig, replacing old: [UnitID] = []) {
        let names = service.instances <= 1 ? [(service.name, nil as Int?)] : (0..<service.instances).map { ("\(service.name).\($0)", Optional($0)) }
        for (index, (name, instance)) in names.enumerated() {
            var unit = Unit(id: units.count, name: name, instance: instance, config: service)
            unit.replaces = index < old.count ? old[index] : old.last
            units.append(unit)
        }
    }

    /// Resolves after/requires names to the current (not retired) units.
    mutating func linkDependencies() {
        let live = units.filter { !$0.retired }
        func ids(_ names: [String]) -> [UnitID] { live.filter { names.contains($0.config.name) }.map(\.id) }
        for index in units.indices where !units[index].retired {
            let config = units[index].config
            units[index].waitsFor = ids(config.after + config.requires)
            units[index].requiredUnits = ids(config.requires)
        }
    }

    /// The earliest time something is due, or nil when only an event can change anything.
    /// Kept up to date by `handle`, `perform` and `reload` (every change goes through them): a
    /// stored value, so the runtime reads it on every turn of its loop without copying the
    /// supervisor to call a getter.
    public internal(set) var nextDeadline: Instant? = nil

    func earliestDeadline() -> Instant? {
        var earliest: Instant? = nil
        func consider(_ t: Instant) { if earliest == nil || t < earliest! { earliest = t } }
        // By index: `for unit in units` would copy (retain and release) every unit on every
        // turn of the event loop.
        for id in units.indices {
            switch units[id].state {
            case .backoff(let until): consider(until)
            case .draining(_, _, let signalAt): consider(signalAt)
            case .stopping(_, _, let killAt?): consider(killAt)
            case .stopping(_, _, nil): if let t = units[id].abandonAt { consider(t) }
            case .running(_, let since):
                if let timeout = units[id].config.task?.timeout, !units[id].timedOut { consider(since + timeout) }
            default: break
            }
            if let next = units[id].nextRun { consider(next) }
            if let change = units[id].nextWindowChange { consider(change) }
            if let t = units[id].life.deadline { consider(t) }
        }
        if case .sweeping(_, let deadline) = phase { consider(deadline) }
        return earliest
    }

    /// The unit of the main (`--`) program, if any.
    public var mainUnit: UnitID? { units.first { $0.config.isMain }?.id }

    /// Handles one event and returns what to do, in order.
    public mutating func handle(_ event: Event, at now: Instant) -> [Action] {
        generation &+= 1
        defer { nextDeadline = earliestDeadline() }
        var out: [Action] = []
        switch event {
        case .boot:
            if phase == .booting {
                phase = .running
                startWall = now.wallSeconds
                bootSchedules(now: now, &out)
            }
        case .spawned(let id, let pid):
            guard units[id].state == .spawning else { preconditionFailure("spawned \(units[id].name) while \(units[id].state.name)") }
            units[id].state = spawnedState(id, pid: pid, now: now)
            unitByPid[pid] = id
            if units[id].config.task != nil {
                units[id].runs += 1
                units[id].lastRunStart = now
                units[id].timedOut = false
            }
            log(&out, units[id].config.isMain ? .info : .notice, "\(units[id].name) started (pid \(pid))")
            processStarted(id, now: now, &out)
        case .spawnFailed(let id, let failure):
            let restarts = units[id].restarts
            spawnFailed(id, failure, now: now, &out)
            processEnded(id, pid: nil, status: .exited(failure.exitCode), reason: failure.reason, restartsBefore: restarts, now: now, &out)
        case .childExited(let pid, let status):
            if let id = unitByPid.removeValue(forKey: pid) {
                let restarts = units[id].restarts
                // A stop swinit began because the unit failed (readiness, health, watchdog).
                let reason = units[id].life.failure?.reason
                unitExited(id, status, now: now, &out)
                processEnded(id, pid: pid, status: status, reason: reason, restartsBefore: restarts, now: now, &out)
            } else {
                helperExited(pid: pid, status, now: now, &out)
            }
        case .childStopped(let pid, let signal):
            if let id = unitByPid[pid], units[id].config.isMain, policy.resumeTerminalStops,
               [Signals.tstp, Signals.ttin, Signals.ttou].contains(signal) {
                log(&out, .notice, "\(units[id].name) was stopped by SIG\(Signals.name(signal)); resuming it (no job control in a container)")
                out.append(.kill(target(of: pid), signal: Signals.cont))
            }
        case .noChildrenLeft:
            if case .sweeping = phase { finish(&out) }
        case .signal(let signal):
            received(signal, now: now, &out)
        case .tick:
            tick(now: now, &out)
        case .lifecycle(let id, let event):
            lifecycleEvent(id, event, now: now, &out)
        }
        advance(now: now, &out)
        return out
    }

    // MARK: Starting

    /// Starts whatever may start, or stops whatever may stop, after any event.
    mutating func advance(now: Instant, _ out: inout [Action]) {
        switch phase {
        case .booting, .finished, .sweeping:
            return
        case .running:
            for id in units.indices where units[id].state == .waiting && units[id].wanted && units[id].config.task == nil && !units[id].retired
                && units[id].windowOpen && dependenciesAllow(id) {
                spawn(id, &out)
            }
        case .shuttingDown:
            for id in units.indices where units[id].state.pid != nil && !isStopping(id) && !dependantsAlive(id)
                && !(units[id].config.task?.waitOnShutdown ?? false) {
                beginStop(id, signal: stopSignal(for: id), now: now, &out)
            }
            if units.allSatisfy({ !$0.state.isAlive && $0.helpersIdle }) {
                phase = .sweeping(signal: Signals.term, deadline: now + settings.grace)
                out.append(.sweep(signal: Signals.term))
            }
        }
    }

    /// `after` waits until each dependency is up or has given up; `requires` needs it up.
    func dependenciesAllow(_ id: UnitID) -> Bool {
        let unit = units[id]
        if let old = unit.replaces, units[old].state.isAlive { return false }
        for dep in unit.waitsFor {
            let other = units[dep]
            if other.isUp { continue }
            if other.hasGivenUp && !unit.requiredUnits.contains(dep) { continue }
            return false
        }
        return true
    }

    mutating func spawn(_ id: UnitID, _ out: inout [Action]) {
        // Once per start: a chain and a queued run may both ask for the same task.
        guard units[id].state != .spawning else { return }
        units[id].state = .spawning
        if startPreStart(id, &out) { return }
        out.append(.spawn(id))
    }

    mutating func spawnFailed(_ id: UnitID, _ failure: SpawnFailure, now: Instant, _ out: inout [Action]) {
        let unit = units[id]
        let program = unit.config.command.first ?? ""
        log(&out, .error, "\(unit.config.isMain ? "" : unit.name + ": ")cannot run '\(program)': \(failure.reason)")
        let status = WaitStatus.exited(failure.exitCode)
        if unit.config.isMain {
            units[id].state = .fatal(status)
            units[id].lastExit = status
            beginShutdown(code: failure.exitCode, &out)
            return
        }
        // Counts as a death at once, before start-time.
        units[id].lastExit = status
        crashed(id, status, uptime: .zero, now: now, noProcessRan: true, &out)
    }

    // MARK: Exits

    mutating func unitExited(_ id: UnitID, _ status: WaitStatus, now: Instant, _ out: inout [Action]) {
        let unit = units[id]
        units[id].lastExit = status
        if awaitDaemon(id, status, now: now, &out) { return }
        switch unit.state {
        case .draining(_, let since, _), .stopping(_, let since, _):
            if unit.config.task != nil {
                taskFinished(id, status, runtime: now - since, now: now, &out)
                return
            }
            if let failure = takeFailureStop(id) {
                crashed(id, status, uptime: failure.quick ? .zero : now - since, now: now, failed: true, &out)
                stopDependants(of: id, now: now, &out)
                return
            }
            // We asked for it. A unit stopped because a requirement went down waits to start again.
            units[id].state = unit.wanted ? .waiting : .stopped
            log(&out, unit.config.isMain ? .info : .notice, "\(unit.name) stopped (\(status))")
            if unit.config.isMain { mainEnded(status, &out) }
            stopDependants(of: id, now: now, &out)
            return
        case .running(_, let since), .starting(_, let since):
            if unit.config.task != nil {
                taskFinished(id, status, runtime: now - since, now: now, &out)
                return
            }
            crashed(id, status, uptime: now - since, now: now, &out)
            stopDependants(of: id, now: now, &out)
        default:
            preconditionFailure("exit of \(unit.name) while \(unit.state.name)")
        }
    }

    /// A unit ended without being asked to: restart it, or let it rest, by its policy.
    /// How long a unit's process may go unreaped after SIGKILL before the unit is given up.
    static let killGrace = TimeSpan.seconds(5)

    /// The pause before retrying a start that failed without running a process.
    static let minimumRetry = TimeSpan.milliseconds(100)

    mutating func crashed(_ id: UnitID, _ status: WaitStatus, uptime: TimeSpan, now: Instant, failed: Bool = false,
                          noProcessRan: Bool = false, _ out: inout [Action]) {
        let config = units[id].config
        let name = units[id].name
        if config.isMain {
            units[id].state = .exited(status)
            log(&out, .info, "\(name) \(status)")
            mainEnded(status, &out)
            return
        }
        let success = !failed && config.succeeded(status)
        let restart: Bool
        switch config.restart {
        case .always: restart = !(config.kind == .oneshot && success)
        case .onFailure: restart = !success
        case .never: restart = false
        }
        guard restart, phase == .running, units[id].wanted else {
            units[id].state = .exited(status)
            log(&out, success ? .notice : .warning, "\(name) \(status)")
            if config.critical && !(config.kind == .oneshot && success) {
                log(&out, .notice, "\(name) is critical: shutting down")
                beginShutdown(code: status.shellCode, &out)
            }
            return
        }
        units[id].quickFailures = uptime < config.startTime ? units[id].quickFailures + 1 : 0
        if let retries = config.startRetries, units[id].quickFailures > retries {
            units[id].state = .fatal(status)
            log(&out, .error, "\(name) \(status); gave up after \(units[id].quickFailures) quick exits in a row (start-retries = \(retries))")
            if config.critical || config.onFatal == .shutdown {
                beginShutdown(code: status.shellCode == 0 ? 1 : status.shellCode, &out)
            }
            return
        }
        if uptime >= config.backoff.resetAfter { units[id].nextDelay = config.backoff.initial }
        var delay = units[id].nextDelay
        units[id].nextDelay = config.backoff.next(after: delay)
        units[id].restarts += 1
        // A start that failed before any process ran (spawn error, pre-start hook) fails again at
        // once: retrying without a pause would spin PID 1. Give it a moment even with backoff 0.
        if delay == .zero && uptime == .zero && (failed || noProcessRan) { delay = Supervisor.minimumRetry }
        if delay == .zero {
            log(&out, .notice, "\(name) \(status); restarting")
            spawnWhenAllowed(id, &out)
        } else {
            log(&out, .notice, "\(name) \(status); restarting in \(delay)")
            units[id].state = .backoff(until: now + delay)
        }
    }

    mutating func spawnWhenAllowed(_ id: UnitID, _ out: inout [Action]) {
        if dependenciesAllow(id) { spawn(id, &out) } else { units[id].state = .waiting }
    }

    /// The main program ended: its code becomes the container's.
    mutating func mainEnded(_ status: WaitStatus, _ out: inout [Action]) {
        var code = status.shellCode
        if policy.exitCodesAsSuccess.contains(code) { code = 0 }
        beginShutdown(code: code, &out)
    }

    /// Units that require `id` go down with it (and come back once it is up again).
    mutating func stopDependants(of id: UnitID, now: Instant, _ out: inout [Action]) {
        guard phase == .running else { return }
        for other in units.indices where units[other].requiredUnits.contains(id) {
            if units[other].state.pid != nil, !isStopping(other) {
                log(&out, .notice, "stopping \(units[other].name): it requires \(units[id].name)")
                beginStop(other, signal: units[other].config.stopSignal, now: now, &out)
            } else if case .backoff = units[other].state {
                units[other].state = .waiting
            }
        }
    }

    // MARK: Stopping

    func isStopping(_ id: UnitID) -> Bool {
        switch units[id].state {
        case .draining, .stopping: return true
        default: return false
        }
    }

    /// A unit still alive that waits for `id`: `id` must outlive it.
    func dependantsAlive(_ id: UnitID) -> Bool {
        units.contains { $0.waitsFor.contains(id) && $0.state.isAlive }
    }

    func stopSignal(for id: UnitID) -> Int32 {
        if units[id].config.isMain, let signal = shutdownSignal { return signal }
        return units[id].config.stopSignal
    }

    func stopTimeout(for id: UnitID) -> TimeSpan {
        units[id].config.stopTimeout ?? settings.stopTimeout
    }

    func target(of pid: Int32) -> KillTarget {
        policy.toGroup ? .group(pid) : .process(pid)
    }

    func groupTarget(_ id: UnitID, pid: Int32) -> KillTarget {
        units[id].config.isMain ? target(of: pid) : .group(pid)
    }

    mutating func beginStop(_ id: UnitID, signal: Int32, now: Instant, _ out: inout [Action]) {
        guard case let (pid, since)? = units[id].state.started else { return }
        if beginPreStop(id, pid: pid, since: since, now: now, &out) { return }
        let delay = units[id].config.stopDelay
        if delay > .zero {
            units[id].state = .draining(pid: pid, since: since, signalAt: now + delay)
            log(&out, .info, "\(units[id].name): stop signal in \(delay)")
        } else {
            sendStop(id, pid: pid, since: since, signal: signal, now: now, &out)
        }
    }

    mutating func sendStop(_ id: UnitID, pid: Int32, since: Instant, signal: Int32, now: Instant, _ out: inout [Action]) {
        if sendStopCommand(id, pid: pid, since: since, signal: signal, now: now, &out) { return }
        let target = groupTarget(id, pid: pid)
        out.append(.kill(target, signal: signal))
        // A stopped process would not act on the signal until continued.
        if signal != Signals.kill && signal != Signals.cont { out.append(.kill(target, signal: Signals.cont)) }
        units[id].state = .stopping(pid: pid, since: since, killAt: now + stopTimeout(for: id))
    }

    /// Everything goes down, in reverse dependency order; then leftovers; then exit.
    mutating func beginShutdown(code: Int32?, _ out: inout [Action]) {
        if exitCode == nil, let code { exitCode = code }
        guard phase == .running || phase == .booting else { return }
        phase = .shuttingDown
        for id in units.indices {
            units[id].wanted = false
            units[id].nextRun = nil
            units[id].nextWindowChange = nil
            units[id].queuedRun = false
            switch units[id].state {
            case .waiting, .backoff: units[id].state = .stopped
            default: break
            }
        }
    }

    /// Everything is down and reaped.
    mutating func finish(_ out: inout [Action]) {
        phase = .finished
        out.append(.exit(code: exitCode ?? 0))
    }

    // MARK: Signals

    mutating func received(_ signal: Int32, now: Instant, _ out: inout [Action]) {
        let main = mainUnit
        let terminating = signal == Signals.term || signal == Signals.int
        switch phase {
        case .booting, .running:
            if terminating && policy.translate(signal) == nil {
                log(&out, .info, "dropped SIG\(Signals.name(signal)) (rewritten to 0)")
                return
            }
            if terminating {
                log(&out, .info, "received SIG\(Signals.name(signal)): shutting down")
                if main != nil {
                    // The main program's code stays the container's; it gets the (rewritten) signal.
                    shutdownSignal = policy.translate(signal) ?? Signals.term
                    beginShutdown(code: nil, &out)
                } else {
                    beginShutdown(code: 0, &out)
                }
                return
            }
        case .shuttingDown, .sweeping:
            if terminating {
                log(&out, .notice, "received SIG\(Signals.name(signal)) again: killing everything now")
                for id in units.indices {
                    switch units[id].state {
                    case .running(let pid, let since), .starting(let pid, let since), .draining(let pid, let since, _), .stopping(let pid, let since, _):
                        out.append(.kill(.group(pid), signal: Signals.kill))
                        units[id].state = .stopping(pid: pid, since: since, killAt: nil)
                        units[id].abandonAt = now + Supervisor.killGrace
                    default:
                        break
                    }
                    // Its hooks and exec probes too: a pre-stop hook that hangs must not hold
                    // the shutdown until its own timeout.
                    for index in units[id].life.helpers.indices {
                        guard let pid = units[id].life.helpers[index].pid, !units[id].life.helpers[index].killed else { continue }
                        out.append(.kill(.group(pid), signal: Signals.kill))
                        units[id].life.helpers[index].killed = true
                        units[id].life.helpers[index].killedBecause = "killed: SIG\(Signals.name(signal)) again while stopping"
                        units[id].life.helpers[index].deadline = now + Supervisor.helperKillGrace
                    }
                }
                if case .sweeping = phase {
                    phase = .sweeping(signal: Signals.kill, deadline: now + .seconds(1))
                    out.append(.sweep(signal: Signals.kill))
                }
                return
            }
        case .finished:
            return
        }
        if signal == Signals.hup && mainUnit == nil && phase == .running {
            if settings.reloadOnHangup {
                log(&out, .notice, "received SIGHUP: reloading the configuration")
                out.append(.reloadConfiguration)
            } else {
                log(&out, .info, "ignored SIGHUP (reload-on-hup = false)")
            }
            return
        }
        guard let forwarded = policy.translate(signal) else {
            log(&out, .debug, "dropped SIG\(Signals.name(signal)) (rewritten to 0)")
            return
        }
        if let main, let pid = units[main].state.pid {
            log(&out, .debug, "forwarding SIG\(Signals.name(forwarded)) to \(units[main].name) (pid \(pid))")
            out.append(.kill(target(of: pid), signal: forwarded))
        } else {
            log(&out, .debug, "ignored SIG\(Signals.name(signal)): no main program to forward it to")
        }
    }

    // MARK: Deadlines

    mutating func tick(now: Instant, _ out: inout [Action]) {
        lifecycleTick(now: now, &out)
        tickSchedules(now: now, &out)
        for id in units.indices {
            switch units[id].state {
            case .backoff(let until) where until <= now:
                if phase == .running && units[id].wanted { spawnWhenAllowed(id, &out) } else { units[id].state = .stopped }
            case .draining(let pid, let since, let signalAt) where signalAt <= now:
                sendStop(id, pid: pid, since: since, signal: stopSignal(for: id), now: now, &out)
            case .stopping(let pid, let since, let killAt?) where killAt <= now:
                log(&out, .warning, "\(units[id].name) did not stop within \(stopTimeout(for: id)): sending SIGKILL")
                out.append(.kill(.group(pid), signal: Signals.kill))
                units[id].state = .stopping(pid: pid, since: since, killAt: nil)
                units[id].abandonAt = now + Supervisor.killGrace
            case .stopping(let pid, _, nil) where units[id].abandonAt.map { $0 <= now } == true:
                // Not reaped long after SIGKILL (uninterruptible sleep, or not our child): the
                // unit is given up as gone, so shutdown and restarts do not wait forever.
                log(&out, .error, "\(units[id].name): pid \(pid) still not reaped \(Supervisor.killGrace) after SIGKILL; giving up on it")
                unitByPid.removeValue(forKey: pid)
                units[id].abandonAt = nil
                units[id].state = units[id].wanted ? .waiting : .stopped
                stopDependants(of: id, now: now, &out)
            default:
                break
            }
        }
        if case .sweeping(let signal, let deadline) = phase, deadline <= now {
            if signal == Signals.kill {
                log(&out, .warning, "some processes could not be reaped after SIGKILL; exiting anyway")
                finish(&out)
            } else {
                log(&out, .warning, "leftover processes did not exit within \(settings.grace): sending SIGKILL")
                phase = .sweeping(signal: Signals.kill, deadline: now + .seconds(1))
                out.append(.sweep(signal: Signals.kill))
            }
        }
    }

    /// Emits a message the runtime will show; one it would not show is never built.
    func log(_ out: inout [Action], _ level: LogLevel, _ message: @autoclosure () -> String) {
        guard level <= logLevel else { return }
        out.append(.log(level, message()))
    }
}
