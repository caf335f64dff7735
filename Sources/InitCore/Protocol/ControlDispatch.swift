/// How swinit answers a verb, decided without touching anything: the runtime carries it out.
public enum ControlPlan: Sendable, Equatable {
    /// A supervisor command (`Supervisor.perform`).
    case command(ControlCommand)
    /// A status snapshot of these units (all when empty): needs the clocks.
    case status(names: [String])
    /// The runtime's reload hook.
    case reload
    /// The runtime's log hook (the output ring).
    case logs(LogQuery)
    /// The answer is already known.
    case reply(ControlReply)
}

extension Supervisor {
    /// Turns a verb into a plan: names are resolved here, so a typo gets "did you mean".
    public func plan(_ verb: ControlVerb) -> ControlPlan {
        switch verb {
        case .status(let names):
            return .status(names: names)
        case .start(let names, let all):
            return .command(.start(all ? supervisedServices : names))
        case .stop(let names, let all):
            return .command(.stop(all ? supervisedServices : names))
        case .restart(let names, let all):
            return .command(.restart(all ? supervisedServices : names))
        case .signal(let name, let signal):
            return .command(.signal(name, signal))
        case .run(let task):
            let ids = units(named: task)
            guard let first = ids.first else { return .reply(.failed(unknownName(task))) }
            guard units[first].config.kind == .oneshot || units[first].config.task != nil else {
                return .reply(.failed("'\(task)' is a long-running service, not a task or oneshot; use 'initctl restart \(task)'"))
            }
            if units[first].config.task == nil, ids.contains(where: { units[$0].state.isAlive }) { return .reply(.failed("\(task) is already running")) }
            return .command(.run(task))
        case .reload:
            return .reload
        case .logs(let query):
            if units(named: query.name).isEmpty { return .reply(.failed(unknownName(query.name))) }
            return .logs(query)
        case .shutdown(let code):
            return .command(.shutdown(exitCode: code))
        case .graph:
            var configs: [ServiceConfig] = []
            for unit in units where !configs.contains(where: { $0.name == unit.config.name }) { configs.append(unit.config) }
            return .reply(ControlReply(ok: true, message: "", dot: DependencyGraph(configs).dot(configs)))
        }
    }

    /// Every service but the `--` program, whose stop would end the container: what `--all` means.
    public var supervisedServices: [String] {
        var names: [String] = []
        for unit in units where !unit.config.isMain && !names.contains(unit.config.name) { names.append(unit.config.name) }
        return names
    }
}
