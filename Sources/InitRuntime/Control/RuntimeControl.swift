import Glibc
import InitCore

/// The runtime's side of the control channel: requests become supervisor commands (or hook
/// calls), replies go back through the channel, status.json follows every state change.
extension Runtime {
    /// Creates the control directory and its request FIFO. A failure is logged, not fatal:
    /// the container runs on without initctl.
    public func openControl(_ settings: ControlSettings) {
        guard let directory = ControlDirectory.prepare(settings, console: console) else { return }
        do {
            control = try ControlChannel(directory: directory, loop: loop, console: console, startedAt: monotonicNow())
            console.log(.info, "control channel: \(directory.path)/\(ControlLimits.requestFIFO)")
            publishStatus()
        } catch {
            console.log(.warning, "control channel: \(error.description)")
        }
    }

    /// Answers every request waiting in the request FIFO.
    func serveControlRequests() {
        guard let control else { return }
        let now = monotonicNow()
        for request in control.receive(at: now) {
            switch request.verb {
            case .failure(let error):
                if let reply = request.reply {
                    control.send(.failed(error.message), to: reply, at: now)
                } else {
                    control.report(now, "dropped a malformed request: \(error.message)")
                }
            case .success(let verb):
                let reply = answer(verb, at: now)
                if let name = request.reply { control.send(reply, to: name, at: monotonicNow()) }
            }
        }
    }

    /// Carries out one verb and says how it went.
    func answer(_ verb: ControlVerb, at now: Instant) -> ControlReply {
        switch supervisor.plan(verb) {
        case .reply(let reply):
            return reply
        case .status(let names):
            let (selected, missing) = statusSnapshot(at: now).selecting(names)
            if let name = missing.first { return .failed(supervisor.unknownName(name)) }
            return ControlReply(ok: true, message: "", status: selected)
        case .command(let command):
            let (outcome, actions) = supervisor.perform(command, at: now)
            for action in actions { perform(action) }
            return ControlReply(ok: outcome.ok, message: outcome.message)
        case .reload:
            let (ok, message) = reloadRequested()
            return ControlReply(ok: ok, message: message)
        case .logs(let query):
            // One ring per unit, and lines carry no time to merge them by: ask per instance.
            let ids = supervisor.units(named: query.name)
            if ids.count > 1 {
                let names = ids.map { supervisor.units[$0].name }
                return .failed("\(query.name) has \(ids.count) instances, each with its own output: ask for one of \(names.joined(separator: ", "))")
            }
            guard let slice = recentLines(unit: query.name, count: query.count, after: query.after) else {
                return .failed("\(query.name) writes straight to swinit's output (stdout/stderr = \"inherit\"): swinit keeps no copy of it")
            }
            return ControlReply(ok: true, message: "", logs: slice)
        }
    }

    /// The status as initctl and status.json show it, with the readiness hook's columns.
    func statusSnapshot(at now: Instant) -> StatusSnapshot {
        let wall = wallClockNow()
        return StatusSnapshot.capture(
            supervisor, now: now, startedAt: control?.startedAt ?? now,
            wallMilliseconds: wall.seconds * 1000 + Int64(wall.nanoseconds / 1_000_000),
            pid: getpid(), pidNamespace: control?.pidNamespace)
    }

    /// Rewrites status.json when the state changed (cheap to call after every event).
    func publishStatus() {
        guard let control, writesStatusFile, supervisor.generation != publishedGeneration else { return }
        publishedGeneration = supervisor.generation
        let now = monotonicNow()
        control.publish(statusSnapshot(at: now), at: now)
    }

    // MARK: Hooks the rest of swinit fills in

    /// `initctl reload` (like SIGHUP): re-read the config and apply the difference.
    /// Returns whether it worked and a message for the client.
    func reloadRequested() -> (ok: Bool, message: String) {
        let outcome = reloadConfiguration()
        return (outcome.ok, outcome.message)
    }

    /// `initctl logs`: up to `count` lines of `unit`'s output, the last ones, or those from
    /// sequence number `after` on (`-f`). nil while no output ring exists.
    func recentLines(unit: String, count: Int, after: UInt64?) -> LogSlice? {
        guard let output, let id = supervisor.units(named: unit).first, output.keepsOutput(of: id) else { return nil }
        let appended = output.appendedLines(unit: id)
        guard let after else { return LogSlice(lines: output.recentLines(unit: id, count: count), next: appended) }
        let (lines, _) = output.lines(unit: id, after: min(after, appended))
        let missed = appended > after ? appended - after : 0
        return LogSlice(lines: lines, next: appended, dropped: missed > UInt64(lines.count) ? missed - UInt64(lines.count) : 0)
    }

}
