/// What a control client asks of the supervisor.
public enum ControlCommand: Sendable, Equatable {
    case start([String])
    case stop([String])
    case restart([String])
    case signal(String, Int32)
    case shutdown(exitCode: Int32?)
    /// Run a task (or a oneshot service) now.
    case run(String)
}

/// The answer to a `ControlCommand`: a message for the client, and whether it worked.
public struct CommandOutcome: Sendable, Equatable {
    public var ok: Bool
    public var message: String
    public static func ok(_ m: String) -> CommandOutcome { CommandOutcome(ok: true, message: m) }
    public static func failed(_ m: String) -> CommandOutcome { CommandOutcome(ok: false, message: m) }
}

extension Supervisor {
    /// Units named by `name`: a service (all its instances) or one instance ("web.1").
    public func units(named name: String) -> [UnitID] {
        let exact = units.filter { !$0.retired && $0.name == name }.map(\.id)
        if !exact.isEmpty { return exact }
        return units.filter { !$0.retired && $0.config.name == name }.map(\.id)
    }

    /// "no service named 'wbe'; did you mean 'web'?"
    public func unknownName(_ name: String) -> String {
        let names = Array(Set(units.map(\.config.name) + units.map(\.name))).sorted()
        let hint = Spelling.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
        return "no service named '\(name)'\(hint)"
    }

    /// Carries out a control command; its actions go to the runtime like `handle`'s.
    public mutating func perform(_ command: ControlCommand, at now: Instant) -> (CommandOutcome, [Action]) {
        generation &+= 1
        defer { nextDeadline = earliestDeadline() }
        var out: [Action] = []
        let outcome: CommandOutcome
        switch command {
        case .start(let names), .stop(let names), .restart(let names):
            var ids: [UnitID] = []
            for name in names {
                let found = units(named: name)
                if found.isEmpty { return (.failed(unknownName(name)), []) }
                ids += found
            }
            guard phase == .running else { return (.failed("swinit is shutting down"), []) }
            var done: [String] = []
            for id in ids {
                switch command {
                case .start: if startUnit(id, &out) { done.append(units[id].name) }
                case .stop: if stopUnit(id, now: now, &out) { done.append(units[id].name) }
                default: restartUnit(id, now: now, &out); done.append(units[id].name)
                }
            }
            let verb = command == .start(names) ? "starting" : command == .stop(names) ? "stopping" : "restarting"
            outcome = .ok(done.isEmpty ? "nothing to do" : "\(verb) \(done.joined(separator: ", "))")
        case .signal(let name, let signal):
            let ids = units(named: name)
            if ids.isEmpty { return (.failed(unknownName(name)), []) }
            var sent: [String] = []
            for id in ids {
                guard let pid = units[id].state.pid else { continue }
                out.append(.kill(groupTarget(id, pid: pid), signal: signal))
                sent.append("\(units[id].name) (pid \(pid))")
            }
            outcome = sent.isEmpty ? .failed("\(name) is not running") : .ok("sent SIG\(Signals.name(signal)) to \(sent.joined(separator: ", "))")
        case .run(let name):
            let ids = units(named: name)
            if ids.isEmpty { return (.failed(unknownName(name)), []) }
            guard phase == .running else { return (.failed("swinit is shutting down"), []) }
            var said: [String] = []
            for id in ids {
                if units[id].config.task != nil {
                    said.append(triggerRun(id, now: now, &out))
                } else if units[id].config.kind == .oneshot {
                    restartUnit(id, now: now, &out)
                    said.append("running \(units[id].name)")
                } else {
                    return (.failed("\(name) is a service, not a task or oneshot: use restart"), [])
                }
            }
            outcome = .ok(said.joined(separator: "; "))
        case .shutdown(let code):
            guard phase == .running || phase == .booting else { return (.ok("already shutting down"), []) }
            log(&out, .notice, "shutdown requested\(code.map { " (exit code \($0))" } ?? "")")
            beginShutdown(code: code ?? 0, &out)
            outcome = .ok("shutting down")
        }
        advance(now: now, &out)
        return (outcome, out)
    }

    /// Wants it up again; it starts when its dependencies allow. False when already up.
    mutating func startUnit(_ id: UnitID, _ out: inout [Action]) -> Bool {
        units[id].wanted = true
        units[id].quickFailures = 0
        units[id].nextDelay = units[id].config.backoff.initial
        switch units[id].state {
        case .stopped, .exited, .fatal, .backoff:
            units[id].state = .waiting
            return true
        case .waiting:
            return true
        default:
            return false
        }
    }

    /// Stops it for good (until started); dependants that require it follow.
    mutating func stopUnit(_ id: UnitID, now: Instant, _ out: inout [Action]) -> Bool {
        units[id].wanted = false
        switch units[id].state {
        case .running, .starting:
            beginStop(id, signal: units[id].config.stopSignal, now: now, &out)
            return true
        case .waiting, .backoff:
            units[id].state = .stopped
            return true
        default:
            return false
        }
    }

    /// Stops it if running; it starts again as soon as it is down.
    mutating func restartUnit(_ id: UnitID, now: Instant, _ out: inout [Action]) {
        _ = startUnit(id, &out)
        if units[id].state.started != nil {
            units[id].restarts += 1
            beginStop(id, signal: units[id].config.stopSignal, now: now, &out)
        }
    }
}
