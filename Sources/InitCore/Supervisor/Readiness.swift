/// Readiness, health, watchdog, hooks and pid files: the part of the policy that runs beside a
/// unit's main process. Every deadline here is a field of `UnitLife`, so `nextDeadline` sees it
/// and `lifecycleTick` consumes it (clears or moves it forward — a deadline left in the past
/// would spin the loop).
///
/// A unit with `ready` (or `pidfile`) goes `spawning → starting → running`; dependants wait for
/// `running`. Failing to get ready by `ready-timeout`, a missed watchdog and an unhealthy
/// service with `on-unhealthy = "restart"` stop the unit as a failure: its exit then goes
/// through the restart policy like a crash.

/// How a service's health check stands.
public enum HealthStatus: String, Sendable, Equatable {
    /// Not checked yet since the service became ready.
    case starting
    case healthy
    case unhealthy
}

/// A process or probe a unit runs besides its main process, tracked until it ends.
struct Helper: Sendable, Equatable {
    enum Purpose: Sendable, Equatable {
        case readyProbe, healthProbe
        case hook(HookEvent)
        /// A probe whose result no longer matters, killed and awaiting its exit.
        case discarded
    }

    var serial: Int
    var purpose: Purpose
    /// Set once an exec probe or hook is running.
    var pid: Int32? = nil
    /// Killed (or cancelled) at this time; once killed, forgotten at this time.
    var deadline: Instant
    var timeout: TimeSpan
    var killed = false
    /// Why it was killed, when not for its timeout.
    var killedBecause: String? = nil
}

/// A stop swinit started because the unit failed: its exit goes through the restart policy.
struct FailureStop: Sendable, Equatable {
    /// Counts as a failed start (a quick failure), not as a crash after a run.
    var quick: Bool
    var reason: String
}

/// The lifecycle bookkeeping of one unit. Deadlines are nil when nothing is due.
struct UnitLife: Sendable, Equatable {
    var serial = 0
    var helpers: [Helper] = []
    /// When the current process was spawned (kept across a pid-file adoption).
    var spawnedAt: Instant? = nil
    /// Starting: not ready by then is a failed start.
    var readyBy: Instant? = nil
    var nextReadyProbe: Instant? = nil
    var health: HealthStatus? = nil
    var healthSince: Instant? = nil
    var nextHealthProbe: Instant? = nil
    var healthFailures = 0
    var watchdogBy: Instant? = nil
    var statusText: String? = nil
    var lastProbeFailure: String? = nil
    var failure: FailureStop? = nil
    /// Draining for a pre-stop hook: the stop signal goes out when it ends, not before this.
    var preStopSerial: Int? = nil
    var drainUntil: Instant? = nil
    /// A stop-command ran instead of the stop signal; the signal follows at the stop timeout.
    var signalAfterStopCommand: Int32? = nil
    /// Pid file: the launcher exited 0 and the daemon is being looked for.
    var pidFileSerial: Int? = nil
    var pidFileAttempts = 0
    var nextPidFileRead: Instant? = nil
    var daemonAdopted = false

    /// The earliest lifecycle deadline.
    /// Without building arrays: the runtime asks on every turn of its loop, for every unit.
    var deadline: Instant? {
        var earliest: Instant? = nil
        func consider(_ t: Instant?) {
            if let t, earliest.map({ t < $0 }) ?? true { earliest = t }
        }
        consider(readyBy)
        consider(nextReadyProbe)
        consider(nextHealthProbe)
        consider(watchdogBy)
        consider(nextPidFileRead)
        for helper in helpers { consider(helper.deadline) }
        return earliest
    }

    mutating func nextSerial() -> Int {
        serial += 1
        return serial
    }
}

extension UnitState {
    /// The pid and start time while the main process runs and no stop has begun.
    public var started: (pid: Int32, since: Instant)? {
        switch self {
        case .starting(let pid, let since), .running(let pid, let since): return (pid, since)
        default: return nil
        }
    }
}

extension Unit {
    /// Ready: running, and its readiness check (if any) passed.
    public var ready: Bool {
        if case .running = state { return true }
        return false
    }

    /// Health check status; nil without a health check or while not running.
    public var health: HealthStatus? { life.health }

    /// The last `STATUS=` the service sent through sd_notify.
    public var statusText: String? { life.statusText }

    /// Why the last readiness or health probe failed.
    public var lastProbeFailure: String? { life.lastProbeFailure }

    /// Its probes, hooks and event commands have all ended.
    var helpersIdle: Bool { life.helpers.isEmpty }

    /// The unit is not `running` until its readiness check passes (or its daemon is adopted).
    var needsReadiness: Bool { config.lifecycle.ready != nil || config.lifecycle.pidFile != nil }
}

extension Supervisor {
    /// How often the pid file is read after the launcher exits, and how many times.
    static let pidFileRetryInterval = TimeSpan.milliseconds(100)
    static let pidFileAttempts = 50
    /// A helper killed at its timeout is forgotten if its exit does not arrive by then.
    static let helperKillGrace = TimeSpan.seconds(5)

    /// The state for a freshly spawned process.
    func spawnedState(_ id: UnitID, pid: Int32, now: Instant) -> UnitState {
        units[id].needsReadiness ? .starting(pid: pid, since: now) : .running(pid: pid, since: now)
    }

    // MARK: Events

    /// A `.lifecycle` event.
    mutating func lifecycleEvent(_ id: UnitID, _ event: LifecycleEvent, now: Instant, _ out: inout [Action]) {
        switch event {
        case .helperStarted(let serial, let result):
            guard let index = units[id].life.helpers.firstIndex(where: { $0.serial == serial }) else { return }
            switch result {
            case .success(let pid):
                units[id].life.helpers[index].pid = pid
                units[id].life.helpers[index].deadline = now + units[id].life.helpers[index].timeout
            case .failure(let failure):
                let helper = units[id].life.helpers.remove(at: index)
                helperFinished(id, helper, status: .exited(failure.exitCode), detail: "cannot run: \(failure.reason)", now: now, &out)
            }
        case .probed(let serial, let outcome):
            guard let index = units[id].life.helpers.firstIndex(where: { $0.serial == serial }) else { return }
            let helper = units[id].life.helpers.remove(at: index)
            switch outcome {
            case .passed: probeFinished(id, helper.purpose, failure: nil, now: now, &out)
            case .failed(let reason): probeFinished(id, helper.purpose, failure: reason, now: now, &out)
            }
        case .notified(let message):
            notified(id, message, now: now, &out)
        case .pidFile(let serial, let outcome):
            pidFileRead(id, serial: serial, outcome, now: now, &out)
        }
    }

    /// A process we reaped that is no unit's main process: maybe a probe or hook.
    mutating func helperExited(pid: Int32, _ status: WaitStatus, now: Instant, _ out: inout [Action]) {
        for id in units.indices {
            guard let index = units[id].life.helpers.firstIndex(where: { $0.pid == pid }) else { continue }
            let helper = units[id].life.helpers.remove(at: index)
            let detail = helper.killed ? helper.killedBecause ?? "timed out after \(helper.timeout)" : "\(status)"
            helperFinished(id, helper, status: status, detail: detail, now: now, &out)
            return
        }
    }

    mutating func helperFinished(_ id: UnitID, _ helper: Helper, status: WaitStatus, detail: String, now: Instant, _ out: inout [Action]) {
        let ok = !helper.killed && status == .exited(0)
        switch helper.purpose {
        case .readyProbe, .healthProbe:
            probeFinished(id, helper.purpose, failure: ok ? nil : "command \(detail)", now: now, &out)
        case .hook(let event):
            if !ok { log(&out, .warning, "\(units[id].name): \(event.key) command \(detail)") }
            hookFinished(id, event, serial: helper.serial, ok: ok, status: helper.killed ? .signaled(Signals.kill, coreDumped: false) : status, now: now, &out)
        case .discarded:
            break
        }
    }

    // MARK: Spawn and readiness

    /// Runs the pre-start hook instead of spawning, when there is one. The unit stays
    /// `spawning`; the spawn follows when the hook succeeds.
    mutating func startPreStart(_ id: UnitID, _ out: inout [Action]) -> Bool {
        guard units[id].config.lifecycle.hooks[.preStart] != nil else { return false }
        // The deadline is set from the start event's time: `spawn` has no clock.
        return runHook(id, .preStart, record: nil, now: nil, &out)
    }

    /// The main process is up (from `.spawned`): start the readiness clock and checks.
    mutating func processStarted(_ id: UnitID, now: Instant, _ out: inout [Action]) {
        var life = units[id].life
        life.spawnedAt = now
        life.daemonAdopted = false
        life.pidFileSerial = nil
        life.nextPidFileRead = nil
        life.pidFileAttempts = 0
        life.failure = nil
        life.signalAfterStopCommand = nil
        life.statusText = nil
        life.readyBy = units[id].config.lifecycle.ready.map { now + $0.timeout }
        units[id].life = life
        if units[id].needsReadiness {
            if units[id].config.lifecycle.pidFile == nil { startReadyProbes(id, now: now, &out) }
        } else {
            becameReady(id, now: now, &out)
        }
    }

    mutating func startReadyProbes(_ id: UnitID, now: Instant, _ out: inout [Action]) {
        guard let ready = units[id].config.lifecycle.ready else {
            becameReady(id, now: now, &out)
            return
        }
        if ready.check.isPolled { probe(id, .readyProbe, now: now, &out) }
    }

    mutating func probe(_ id: UnitID, _ purpose: Helper.Purpose, now: Instant, _ out: inout [Action]) {
        let check: ProbeCheck
        let timeout: TimeSpan
        switch purpose {
        case .readyProbe:
            guard let ready = units[id].config.lifecycle.ready else { return }
            (check, timeout) = (ready.check, ready.attemptTimeout)
            units[id].life.nextReadyProbe = nil
        case .healthProbe:
            guard let health = units[id].config.lifecycle.health else { return }
            (check, timeout) = (health.check, health.timeout)
            units[id].life.nextHealthProbe = nil
        case .hook, .discarded:
            return
        }
        let serial = units[id].life.nextSerial()
        units[id].life.helpers.append(Helper(serial: serial, purpose: purpose, deadline: now + timeout, timeout: timeout))
        out.append(.lifecycle(id, .probe(serial: serial, check, timeout: timeout)))
    }

    mutating func probeFinished(_ id: UnitID, _ purpose: Helper.Purpose, failure: String?, now: Instant, _ out: inout [Action]) {
        if let failure { units[id].life.lastProbeFailure = failure }
        switch purpose {
        case .readyProbe:
            guard case .starting = units[id].state, let ready = units[id].config.lifecycle.ready else { return }
            if failure == nil {
                becameReady(id, now: now, &out)
            } else {
                log(&out, .debug, "\(units[id].name): not ready yet (\(failure!))")
                units[id].life.nextReadyProbe = now + ready.interval
            }
        case .healthProbe:
            healthResult(id, failure: failure, now: now, &out)
        case .hook, .discarded:
            break
        }
    }

    /// starting → running: dependants may start; post-start, health and watchdog begin.
    mutating func becameReady(_ id: UnitID, now: Instant, _ out: inout [Action]) {
        guard case let (pid, since)? = units[id].state.started else { return }
        let wasStarting = units[id].state != .running(pid: pid, since: since)
        units[id].state = .running(pid: pid, since: since)
        units[id].life.readyBy = nil
        units[id].life.nextReadyProbe = nil
        cancelProbes(id, .readyProbe, &out)
        if wasStarting { log(&out, .notice, "\(units[id].name) is ready") }
        let lifecycle = units[id].config.lifecycle
        if lifecycle.hooks[.postStart] != nil { _ = runHook(id, .postStart, record: nil, now: now, &out) }
        if let health = lifecycle.health {
            units[id].life.health = .starting
            units[id].life.healthSince = now
            units[id].life.healthFailures = 0
            units[id].life.nextHealthProbe = now + health.interval
        }
        if let watchdog = lifecycle.watchdog { units[id].life.watchdogBy = now + watchdog }
    }

    // MARK: Health

    mutating func healthResult(_ id: UnitID, failure: String?, now: Instant, _ out: inout [Action]) {
        guard case .running(let pid, _) = units[id].state, let health = units[id].config.lifecycle.health,
              units[id].life.failure == nil else { return }
        let name = units[id].name
        units[id].life.nextHealthProbe = now + health.interval
        guard let failure else {
            if units[id].life.health == .unhealthy { log(&out, .notice, "\(name) is healthy again") }
            units[id].life.health = .healthy
            units[id].life.healthFailures = 0
            return
        }
        if let since = units[id].life.healthSince, now < since + health.startPeriod {
            log(&out, .debug, "\(name): health check failed in its start period (\(failure))")
            return
        }
        units[id].life.healthFailures += 1
        let failures = units[id].life.healthFailures
        log(&out, .info, "\(name): health check failed (\(failures)/\(health.retries)): \(failure)")
        guard failures >= health.retries, units[id].life.health != .unhealthy else { return }
        units[id].life.health = .unhealthy
        let record = eventRecord(id, .unhealthy, pid: pid, status: nil, reason: failure)
        _ = runHook(id, .unhealthy, record: record, now: now, &out)
        switch health.onUnhealthy {
        case .report:
            log(&out, .warning, "\(name) is unhealthy: \(failure)")
        case .restart:
            log(&out, .warning, "\(name) is unhealthy: \(failure); restarting it")
            failStop(id, FailureStop(quick: false, reason: "unhealthy"), now: now, &out)
        }
    }

    // MARK: Failure stops

    /// Stops the unit because it failed (not ready, watchdog, unhealthy): its exit then goes
    /// through the restart policy as a failure.
    mutating func failStop(_ id: UnitID, _ failure: FailureStop, now: Instant, _ out: inout [Action]) {
        guard units[id].state.started != nil else { return }
        units[id].life.failure = failure
        stopChecks(id, &out)
        beginStop(id, signal: units[id].config.stopSignal, now: now, &out)
    }

    /// A stop we began for a failure: take it (once) for the exit.
    mutating func takeFailureStop(_ id: UnitID) -> FailureStop? {
        defer { units[id].life.failure = nil }
        return units[id].life.failure
    }

    /// No more readiness, health or watchdog for the current process.
    mutating func stopChecks(_ id: UnitID, _ out: inout [Action]) {
        units[id].life.readyBy = nil
        units[id].life.nextReadyProbe = nil
        units[id].life.nextHealthProbe = nil
        units[id].life.watchdogBy = nil
        cancelProbes(id, .readyProbe, &out)
        cancelProbes(id, .healthProbe, &out)
    }

    /// Drops probes in flight: socket ones are cancelled, exec ones killed (their exit is ignored).
    mutating func cancelProbes(_ id: UnitID, _ purpose: Helper.Purpose, _ out: inout [Action]) {
        for helper in units[id].life.helpers where helper.purpose == purpose {
            if let pid = helper.pid {
                if !helper.killed { out.append(.kill(.group(pid), signal: Signals.kill)) }
            } else {
                out.append(.lifecycle(id, .cancelProbe(serial: helper.serial)))
            }
        }
        // An exec probe stays tracked until reaped, so shutdown waits for it.
        units[id].life.helpers = units[id].life.helpers.compactMap { helper in
            guard helper.purpose == purpose else { return helper }
            guard helper.pid != nil else { return nil }
            var dropped = helper
            dropped.purpose = .discarded
            dropped.killed = true
            return dropped
        }
    }

    // MARK: Exits

    /// The launcher of a pidfile service exited 0: look for its daemon instead of restarting.
    mutating func awaitDaemon(_ id: UnitID, _ status: WaitStatus, now: Instant, _ out: inout [Action]) -> Bool {
        guard let path = units[id].config.lifecycle.pidFile, !units[id].life.daemonAdopted,
              units[id].state.started != nil, status == .exited(0) else { return false }
        units[id].state = .spawning
        units[id].life.pidFileAttempts = 0
        stopChecks(id, &out)
        log(&out, .info, "\(units[id].name): launcher exited; reading \(path)")
        readPidFile(id, now: now, &out)
        return true
    }

    mutating func readPidFile(_ id: UnitID, now: Instant, _ out: inout [Action]) {
        guard let path = units[id].config.lifecycle.pidFile else { return }
        let serial = units[id].life.nextSerial()
        units[id].life.pidFileSerial = serial
        units[id].life.nextPidFileRead = nil
        units[id].life.pidFileAttempts += 1
        out.append(.lifecycle(id, .readPidFile(serial: serial, path: path)))
    }

    mutating func pidFileRead(_ id: UnitID, serial: Int, _ outcome: PidFileOutcome, now: Instant, _ out: inout [Action]) {
        guard units[id].life.pidFileSerial == serial, units[id].state == .spawning else { return }
        units[id].life.pidFileSerial = nil
        let name = units[id].name
        switch outcome {
        case .found(let pid) where unitByPid[pid] != nil || units.contains(where: { $0.life.helpers.contains { $0.pid == pid } }):
            // A stale pid file naming another unit's process or a helper: not this daemon.
            log(&out, .error, "\(name): the pid file names pid \(pid), which is not this service's daemon")
            let restarts = units[id].restarts
            units[id].lastExit = .exited(0)
            crashed(id, .exited(0), uptime: .zero, now: now, failed: true, &out)
            processEnded(id, pid: nil, status: nil, reason: "the pid file names pid \(pid), which is not this service's daemon",
                         restartsBefore: restarts, now: now, &out)
        case .found(let pid):
            units[id].life.daemonAdopted = true
            unitByPid[pid] = id
            units[id].state = .starting(pid: pid, since: units[id].life.spawnedAt ?? now)
            // The ready deadline still counts from the launcher's start: a daemon whose check
            // never passes fails its start instead of staying `starting` forever.
            units[id].life.readyBy = units[id].config.lifecycle.ready.map { (units[id].life.spawnedAt ?? now) + $0.timeout }
            log(&out, .notice, "\(name): supervising daemon pid \(pid)")
            if !units[id].wanted || units[id].retired || phase != .running {
                // Stopped, retired or shut down while the pid file was read: stop it now.
                beginStop(id, signal: units[id].config.stopSignal, now: now, &out)
                return
            }
            startReadyProbes(id, now: now, &out)
        case .failed(let reason):
            if units[id].life.pidFileAttempts < Supervisor.pidFileAttempts {
                units[id].life.nextPidFileRead = now + Supervisor.pidFileRetryInterval
                return
            }
            log(&out, .error, "\(name): no daemon to supervise: \(reason)")
            let restarts = units[id].restarts
            units[id].lastExit = .exited(0)
            crashed(id, .exited(0), uptime: .zero, now: now, failed: true, &out)
            processEnded(id, pid: nil, status: nil, reason: "no daemon to supervise: \(reason)", restartsBefore: restarts, now: now, &out)
        }
    }

    /// After a main process ended (or a start failed): checks stop, event hooks run. `reason`:
    /// why, when the exit status alone does not say (a failed start, a readiness or health
    /// failure); the events' `reason` field.
    mutating func processEnded(_ id: UnitID, pid: Int32?, status: WaitStatus?, reason: String? = nil, restartsBefore: Int,
                               now: Instant, _ out: inout [Action]) {
        // A launcher handing over to its daemon has not ended the service.
        if units[id].state == .spawning && units[id].life.pidFileSerial != nil { return }
        stopChecks(id, &out)
        units[id].life.health = nil
        units[id].life.healthFailures = 0
        units[id].life.daemonAdopted = false
        units[id].life.preStopSerial = nil
        units[id].life.drainUntil = nil
        units[id].life.signalAfterStopCommand = nil
        if pid != nil {
            _ = runHook(id, .exit, record: eventRecord(id, .exit, pid: pid, status: status, reason: reason), now: now, &out)
            if units[id].config.lifecycle.hooks[.postStop] != nil { _ = runHook(id, .postStop, record: nil, now: now, &out) }
        }
        if units[id].restarts > restartsBefore {
            _ = runHook(id, .restart, record: eventRecord(id, .restart, pid: pid, status: status, reason: reason), now: now, &out)
        }
        if case .fatal = units[id].state {
            // Giving up after retries, or at once (the main program, start-retries = 0 met).
            var why = reason
            if let retries = units[id].config.startRetries, units[id].quickFailures > 0 {
                let gaveUp = "gave up after \(units[id].quickFailures) quick exits in a row (start-retries = \(retries))"
                why = reason.map { $0 + "; " + gaveUp } ?? gaveUp
            }
            _ = runHook(id, .fatal, record: eventRecord(id, .fatal, pid: pid, status: status, reason: why), now: now, &out)
        }
    }

    // MARK: Stopping

    /// Runs the pre-stop hook before the stop signal, when there is one (draining meanwhile).
    mutating func beginPreStop(_ id: UnitID, pid: Int32, since: Instant, now: Instant, _ out: inout [Action]) -> Bool {
        guard let hook = units[id].config.lifecycle.hooks[.preStop], units[id].life.preStopSerial == nil else { return false }
        stopChecks(id, &out)
        guard runHook(id, .preStop, record: nil, now: now, &out) else { return false }
        units[id].life.preStopSerial = units[id].life.serial
        let delay = units[id].config.stopDelay
        units[id].life.drainUntil = now + delay
        // A backstop only: the hook's own timeout normally ends it first.
        units[id].state = .draining(pid: pid, since: since, signalAt: now + max(delay, hook.timeout + .seconds(1)))
        log(&out, .info, "\(units[id].name): running pre-stop")
        return true
    }

    /// Runs the stop-command instead of the stop signal; the signal follows at the stop timeout.
    mutating func sendStopCommand(_ id: UnitID, pid: Int32, since: Instant, signal: Int32, now: Instant, _ out: inout [Action]) -> Bool {
        guard signal != Signals.kill, units[id].config.lifecycle.hooks[.stopCommand] != nil,
              units[id].life.signalAfterStopCommand == nil,
              runHook(id, .stopCommand, record: nil, now: now, &out) else { return false }
        units[id].life.signalAfterStopCommand = signal
        units[id].state = .stopping(pid: pid, since: since, killAt: now + stopTimeout(for: id))
        return true
    }

    mutating func hookFinished(_ id: UnitID, _ event: HookEvent, serial: Int, ok: Bool, status: WaitStatus, now: Instant, _ out: inout [Action]) {
        switch event {
        case .preStart:
            guard units[id].state == .spawning else { return }
            if phase != .running || !units[id].wanted {
                units[id].state = units[id].wanted ? .waiting : .stopped
            } else if ok {
                out.append(.spawn(id))
            } else {
                log(&out, .warning, "\(units[id].name): pre-start failed (\(status)); not starting it")
                let restarts = units[id].restarts
                units[id].lastExit = status
                crashed(id, status, uptime: .zero, now: now, failed: true, &out)
                processEnded(id, pid: nil, status: status, reason: "pre-start failed (\(status))", restartsBefore: restarts, now: now, &out)
            }
        case .preStop:
            guard units[id].life.preStopSerial == serial else { return }
            units[id].life.preStopSerial = nil
            guard case .draining(let pid, let since, _) = units[id].state else { return }
            let until = units[id].life.drainUntil ?? now
            if until <= now {
                sendStop(id, pid: pid, since: since, signal: stopSignal(for: id), now: now, &out)
            } else {
                units[id].state = .draining(pid: pid, since: since, signalAt: until)
            }
        default:
            break
        }
    }

    /// Starts a hook or event command if one is configured; the global `[events]` is the
    /// default for event hooks. `now` nil: the deadline is set when it starts.
    @discardableResult
    mutating func runHook(_ id: UnitID, _ event: HookEvent, record: EventRecord?, now: Instant?, _ out: inout [Action]) -> Bool {
        guard let hook = units[id].config.lifecycle.hooks[event] ?? (event.isEvent ? settings.events[event] : nil) else { return false }
        let serial = units[id].life.nextSerial()
        // Until the runtime reports the start, the deadline is provisional (see helperStarted).
        let deadline = (now ?? Instant(nanoseconds: Int64.max)) + hook.timeout
        units[id].life.helpers.append(Helper(serial: serial, purpose: .hook(event), deadline: deadline, timeout: hook.timeout))
        out.append(.lifecycle(id, .runHook(serial: serial, event, hook.command, record: record)))
        return true
    }

    func eventRecord(_ id: UnitID, _ event: HookEvent, pid: Int32?, status: WaitStatus?, reason: String?) -> EventRecord {
        let unit = units[id]
        return EventRecord(service: unit.config.name, unit: unit.name, instance: unit.instance, event: event,
                           pid: pid, status: status, restarts: unit.restarts, reason: reason)
    }

    // MARK: Notifications

    mutating func notified(_ id: UnitID, _ message: NotifyMessage, now: Instant, _ out: inout [Action]) {
        let name = units[id].name
        guard case let (pid, since)? = units[id].state.started ?? stoppingPid(id) else {
            log(&out, .debug, "\(name): notification while \(units[id].state.name) ignored")
            return
        }
        if let sender = message.sender {
            // One service must not be able to speak for another: the sender is the main
            // process, in its process group, or below it.
            guard sender == pid || message.processGroup == pid || message.lineage.contains(pid) else {
                log(&out, .warning, "\(name): ignored a notification from pid \(sender), which is not part of the service")
                return
            }
        }
        let check = units[id].config.lifecycle.ready?.check
        for (key, value) in message.assignments {
            switch key {
            case "READY" where value == "1":
                // READY=1 counts from the channel the config chose, not from both.
                let trusted = message.sender == nil ? check?.isDescriptor == true : check == .notify
                if trusted, case .starting = units[id].state, units[id].config.lifecycle.pidFile == nil || units[id].life.daemonAdopted {
                    becameReady(id, now: now, &out)
                }
            case "STATUS":
                units[id].life.statusText = value
            case "WATCHDOG":
                if value == "1", let watchdog = units[id].config.lifecycle.watchdog, units[id].life.watchdogBy != nil {
                    units[id].life.watchdogBy = now + watchdog
                } else if value == "trigger", units[id].state.started != nil {
                    log(&out, .warning, "\(name) asked for a watchdog restart")
                    failStop(id, FailureStop(quick: false, reason: "watchdog"), now: now, &out)
                }
            case "STOPPING" where value == "1":
                log(&out, .info, "\(name) is stopping")
                units[id].life.watchdogBy = nil
                units[id].life.nextHealthProbe = nil
            case "MAINPID":
                guard let newPid = Int32(value), newPid > 1, newPid != pid else { continue }
                // Only the process itself may claim to be the main one: a pid we cannot
                // relate to the service is not trusted.
                guard newPid == message.sender else {
                    log(&out, .warning, "\(name): ignored MAINPID=\(newPid) sent by pid \(message.sender.map { "\($0)" } ?? "?")")
                    continue
                }
                // swinit learns of a main process's death only by reaping it: one that is not
                // its child (a daemon's child of a shell that reaps it) would look alive forever.
                guard message.senderIsChild, unitByPid[newPid] == nil else {
                    log(&out, .warning, "\(name): ignored MAINPID=\(newPid): not a child of swinit (daemons must double-fork so swinit adopts them, or use pidfile)")
                    continue
                }
                unitByPid.removeValue(forKey: pid)
                unitByPid[newPid] = id
                units[id].state = units[id].state.withPid(newPid, since: since)
                log(&out, .info, "\(name): main pid is now \(newPid)")
            default:
                break
            }
        }
    }

    func stoppingPid(_ id: UnitID) -> (Int32, Instant)? {
        switch units[id].state {
        case .draining(let pid, let since, _), .stopping(let pid, let since, _): return (pid, since)
        default: return nil
        }
    }

    // MARK: Deadlines

    /// Consumes every lifecycle deadline that has passed; runs before the core's own `tick`.
    mutating func lifecycleTick(now: Instant, _ out: inout [Action]) {
        for id in units.indices {
            helperDeadlines(id, now: now, &out)
            let name = units[id].name
            if let t = units[id].life.readyBy, t <= now {
                units[id].life.readyBy = nil
                if case .starting = units[id].state, let ready = units[id].config.lifecycle.ready {
                    let last = units[id].life.lastProbeFailure.map { " (last check: \($0))" } ?? ""
                    log(&out, .warning, "\(name) was not ready within \(ready.timeout)\(last)")
                    failStop(id, FailureStop(quick: true, reason: "not ready within \(ready.timeout)"), now: now, &out)
                }
            }
            if let t = units[id].life.nextReadyProbe, t <= now {
                units[id].life.nextReadyProbe = nil
                if case .starting = units[id].state, phase == .running { probe(id, .readyProbe, now: now, &out) }
            }
            if let t = units[id].life.nextHealthProbe, t <= now {
                units[id].life.nextHealthProbe = nil
                if case .running = units[id].state, phase == .running { probe(id, .healthProbe, now: now, &out) }
            }
            if let t = units[id].life.watchdogBy, t <= now {
                units[id].life.watchdogBy = nil
                if units[id].state.started != nil, let watchdog = units[id].config.lifecycle.watchdog {
                    log(&out, .warning, "\(name): no WATCHDOG=1 for \(watchdog); restarting it")
                    failStop(id, FailureStop(quick: false, reason: "watchdog timeout"), now: now, &out)
                }
            }
            if let t = units[id].life.nextPidFileRead, t <= now {
                units[id].life.nextPidFileRead = nil
                if units[id].state == .spawning { readPidFile(id, now: now, &out) }
            }
            if let signal = units[id].life.signalAfterStopCommand, case .stopping(let pid, let since, let killAt?) = units[id].state, killAt <= now {
                units[id].life.signalAfterStopCommand = nil
                log(&out, .warning, "\(name) outlived its stop-command by \(stopTimeout(for: id)): sending SIG\(Signals.name(signal))")
                let target = groupTarget(id, pid: pid)
                out.append(.kill(target, signal: signal))
                if signal != Signals.cont { out.append(.kill(target, signal: Signals.cont)) }
                units[id].state = .stopping(pid: pid, since: since, killAt: now + stopTimeout(for: id))
            }
        }
    }

    /// Kills helpers past their timeout; forgets killed ones whose exit never came.
    mutating func helperDeadlines(_ id: UnitID, now: Instant, _ out: inout [Action]) {
        var index = 0
        while index < units[id].life.helpers.count {
            let helper = units[id].life.helpers[index]
            guard helper.deadline <= now else { index += 1; continue }
            if let pid = helper.pid, !helper.killed {
                if case .hook(let event) = helper.purpose {
                    log(&out, .warning, "\(units[id].name): \(event.key) command did not finish within \(helper.timeout): killing it")
                } else {
                    log(&out, .info, "\(units[id].name): probe did not finish within \(helper.timeout): killing it")
                }
                out.append(.kill(.group(pid), signal: Signals.kill))
                units[id].life.helpers[index].killed = true
                units[id].life.helpers[index].deadline = now + Supervisor.helperKillGrace
                index += 1
                continue
            }
            units[id].life.helpers.remove(at: index)
            if helper.purpose == .discarded { continue }
            if helper.pid == nil, helper.purpose == .readyProbe || helper.purpose == .healthProbe {
                out.append(.lifecycle(id, .cancelProbe(serial: helper.serial)))
                probeFinished(id, helper.purpose, failure: "timed out after \(helper.timeout)", now: now, &out)
            } else {
                var killed = helper
                killed.killed = true
                helperFinished(id, killed, status: .signaled(Signals.kill, coreDumped: false), detail: "did not exit after SIGKILL", now: now, &out)
            }
        }
    }
}

extension UnitState {
    /// The same state with another main pid (sd_notify MAINPID=).
    func withPid(_ pid: Int32, since: Instant) -> UnitState {
        switch self {
        case .starting: return .starting(pid: pid, since: since)
        case .running: return .running(pid: pid, since: since)
        case .draining(_, _, let signalAt): return .draining(pid: pid, since: since, signalAt: signalAt)
        case .stopping(_, _, let killAt): return .stopping(pid: pid, since: since, killAt: killAt)
        default: return self
        }
    }
}

extension ProbeCheck {
    var isDescriptor: Bool {
        if case .descriptor = self { return true }
        return false
    }
}
