/// `initctl reload` and SIGHUP: apply a new configuration as a difference.
extension Supervisor {
    /// Starts new services, stops removed ones, restarts only those whose definition changed,
    /// and leaves the rest untouched (same processes). The caller validated `configuration`.
    public mutating func reload(_ configuration: Configuration, at now: Instant) -> (CommandOutcome, [Action]) {
        var out: [Action] = []
        guard phase == .running else { return (.failed("swinit is shutting down"), []) }
        generation &+= 1
        defer { nextDeadline = earliestDeadline() }
        settings = configuration.settings
        zones = configuration.zones
        var added: [String] = [], removed: [String] = [], changed: [String] = []
        let current = Dictionary(grouping: units.filter { !$0.retired }, by: { $0.config.name })
        for (name, old) in current.sorted(by: { $0.key < $1.key }) {
            let replacement = configuration.service(named: name)
            if replacement == old[0].config { continue }
            for unit in old { retire(unit.id, now: now, &out) }
            if let replacement {
                changed.append(name)
                addUnits(for: replacement, replacing: old.map(\.id))
            } else {
                removed.append(name)
            }
        }
        for service in configuration.services where current[service.name] == nil {
            added.append(service.name)
            addUnits(for: service)
        }
        linkDependencies()
        for id in units.indices where !units[id].retired && units[id].config.task != nil && units[id].nextRun == nil {
            scheduleNext(id, now: now)
        }
        for id in units.indices where !units[id].retired && units[id].config.window != nil && units[id].nextWindowChange == nil {
            updateWindow(id, now: now, &out)
        }
        advance(now: now, &out)
        var parts: [String] = []
        if !added.isEmpty { parts.append("added \(added.joined(separator: ", "))") }
        if !removed.isEmpty { parts.append("removed \(removed.joined(separator: ", "))") }
        if !changed.isEmpty { parts.append("restarted \(changed.joined(separator: ", ")) (changed)") }
        let summary = parts.isEmpty ? "reloaded: nothing changed" : "reloaded: " + parts.joined(separator: "; ")
        log(&out, .notice, summary)
        return (.ok(summary), out)
    }

    /// Takes a unit out of service: it stops if running and is never started again.
    mutating func retire(_ id: UnitID, now: Instant, _ out: inout [Action]) {
        units[id].retired = true
        units[id].wanted = false
        units[id].nextRun = nil
        units[id].nextWindowChange = nil
        switch units[id].state {
        case .running, .starting: beginStop(id, signal: units[id].config.stopSignal, now: now, &out)
        case .waiting, .backoff: units[id].state = .stopped
        default: break
        }
    }
}
