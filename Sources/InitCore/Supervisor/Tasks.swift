/// Scheduled tasks and service windows: when runs are due, overlap, timeouts and chains.
/// Wall-clock times come from `Instant.wallSeconds`; deadlines are monotonic, recomputed from
/// the wall clock at every scheduling, so a missed run is made up at most once.
extension Supervisor {
    /// At boot: `@reboot` tasks run, every task gets its first due time, windows are evaluated.
    mutating func bootSchedules(now: Instant, _ out: inout [Action]) {
        for id in units.indices {
            if let task = units[id].config.task {
                if task.atBoot { spawn(id, &out) }
                scheduleNext(id, now: now)
            }
            if units[id].config.window != nil { updateWindow(id, now: now, &out) }
        }
    }

    /// Sets `nextRun` from the schedule, strictly after the current wall time.
    mutating func scheduleNext(_ id: UnitID, now: Instant) {
        guard let task = units[id].config.task, let schedule = task.schedule else {
            units[id].nextRun = nil
            return
        }
        let zone = Configuration.zone(task.timezone, in: zones)
        let start = startWall
        // A deterministic spread per task in 0...jitter: the same name always lands the same.
        var jitter: Int64 = 0
        if case .every(_, let j) = schedule, j > 0 {
            var h: UInt64 = 1469598103934665603
            for b in units[id].name.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
            jitter = Int64(h % UInt64(j + 1))
        }
        if let next = schedule.next(after: now.wallSeconds, start: start, in: zone, jitter: jitter) {
            units[id].nextRun = now.atWall(next)
        } else {
            units[id].nextRun = nil
        }
    }

    /// Due runs, run timeouts and window edges.
    mutating func tickSchedules(now: Instant, _ out: inout [Action]) {
        // Run timeouts hold in every phase: a task left to finish at shutdown (on-shutdown =
        // "wait") is still stopped when it overruns, and its deadline never stays in the past.
        for id in units.indices {
            if let since = units[id].state.started?.since, let timeout = units[id].config.task?.timeout,
               !units[id].timedOut, since + timeout <= now {
                log(&out, .warning, "\(units[id].name) ran longer than its timeout (\(timeout)): stopping it")
                units[id].timedOut = true
                if case .running(let pid, let since) = units[id].state {
                    sendStop(id, pid: pid, since: since, signal: units[id].config.stopSignal, now: now, &out)
                } else {
                    beginStop(id, signal: units[id].config.stopSignal, now: now, &out)
                }
            }
        }
        guard phase == .running else { return }
        for id in units.indices {
            if let due = units[id].nextRun, due <= now {
                log(&out, .info, "\(units[id].name): scheduled run is due")
                triggerRun(id, now: now, &out)
                scheduleNext(id, now: now)
            }
            if let change = units[id].nextWindowChange, change <= now { updateWindow(id, now: now, &out) }
        }
    }

    /// A run is wanted now (schedule, chain or request); the overlap policy decides if the
    /// current run blocks it. Returns what happened, for `initctl run`.
    @discardableResult
    mutating func triggerRun(_ id: UnitID, now: Instant, _ out: inout [Action]) -> String {
        let name = units[id].name
        switch units[id].state {
        case .waiting, .exited, .stopped, .fatal:
            spawn(id, &out)
            return "started \(name)"
        case .running, .starting, .spawning, .draining, .stopping:
            switch units[id].config.task?.overlap ?? .skip {
            case .skip:
                log(&out, .notice, "\(name): a run is due but the previous one still runs: skipped (overlap = skip)")
                return "\(name) is still running: run skipped (overlap = skip)"
            case .queue:
                units[id].queuedRun = true
                return "\(name) is still running: run queued"
            case .replace:
                units[id].queuedRun = true
                if units[id].state.started != nil {
                    log(&out, .notice, "\(name): a run is due: stopping the previous one (overlap = replace)")
                    beginStop(id, signal: units[id].config.stopSignal, now: now, &out)
                }
                return "replacing the running \(name)"
            }
        case .backoff:
            units[id].state = .waiting
            spawn(id, &out)
            return "started \(name)"
        }
    }

    /// A run ended: record it, start the chained tasks, then any queued run.
    mutating func taskFinished(_ id: UnitID, _ status: WaitStatus, runtime: TimeSpan, now: Instant, _ out: inout [Action]) {
        let config = units[id].config
        let success = config.succeeded(status) && !units[id].timedOut
        units[id].lastRunDuration = runtime
        log(&out, success ? .notice : .warning, "\(units[id].name) \(units[id].timedOut ? "timed out, " : "")\(status) after \(runtime.approximate)")
        guard phase == .running else {
            units[id].state = .stopped
            return
        }
        units[id].state = .waiting
        let next = success ? config.task?.onSuccess ?? [] : config.task?.onFailure ?? []
        for name in next {
            for other in units(named: name) {
                log(&out, .info, "\(units[id].name) \(success ? "succeeded" : "failed"): running \(units[other].name)")
                triggerRun(other, now: now, &out)
            }
        }
        if units[id].queuedRun {
            units[id].queuedRun = false
            spawn(id, &out)
        }
    }

    /// Opens or closes a service's window, and finds when it next changes.
    mutating func updateWindow(_ id: UnitID, now: Instant, _ out: inout [Action]) {
        guard let window = units[id].config.window else { return }
        let zone = Configuration.zone(window.timezone, in: zones)
        let wall = now.wallSeconds
        let open = Supervisor.isOpen(window, atUnix: wall, zone: zone)
        let nextStart = Schedule.at(times: [window.start], days: window.days).next(after: wall, start: wall, in: zone)
        let nextStop = Schedule.at(times: [window.stop], days: .all).next(after: wall, start: wall, in: zone)
        units[id].nextWindowChange = (open ? nextStop : nextStart).map { now.atWall($0) }
        if open == units[id].windowOpen { return }
        units[id].windowOpen = open
        if open {
            log(&out, .notice, "\(units[id].name): its window opens")
        } else {
            log(&out, .notice, "\(units[id].name): its window closes")
            switch units[id].state {
            case .running, .starting: beginStop(id, signal: units[id].config.stopSignal, now: now, &out)
            case .backoff: units[id].state = .waiting
            default: break
            }
        }
    }

    /// Inside the window at this instant: after `start` on one of `days` and before the next
    /// `stop` (a window may run past midnight: 22:00–06:00).
    static func isOpen(_ window: ServiceWindow, atUnix t: Int64, zone: TimeZoneRules) -> Bool {
        let local = t + Int64(zone.offset(atUnix: t))
        let secondOfDay = Int(((local % 86_400) + 86_400) % 86_400)
        let weekday = CivilTime.weekday(local)
        let start = window.start.secondsOfDay, stop = window.stop.secondsOfDay
        if start < stop {
            return window.days.contains(weekday) && secondOfDay >= start && secondOfDay < stop
        }
        if secondOfDay >= start { return window.days.contains(weekday) }
        return secondOfDay < stop && window.days.contains((weekday + 6) % 7)
    }
}
