import Testing
@testable import InitCore

// Readiness, health, watchdog, hooks, events and pid files, driven with the fake clock.

private extension FakeWorld {
    /// The lifecycle actions (for `name`) among `actions`.
    func lifecycle(_ actions: [Action], _ name: String) -> [LifecycleAction] {
        actions.compactMap { if case .lifecycle(let id, let a) = $0, id == self.id(name) { return a } else { return nil } }
    }

    /// The serial of the one probe among `actions`.
    func probeSerial(_ actions: [Action], _ name: String) -> Int? {
        for case .probe(let serial, _, _) in lifecycle(actions, name) { return serial }
        return nil
    }

    /// The hook runs among `actions`: (serial, event, record).
    func hooks(_ actions: [Action], _ name: String) -> [(serial: Int, event: HookEvent, record: EventRecord?)] {
        lifecycle(actions, name).compactMap { if case .runHook(let s, let e, _, let r) = $0 { return (s, e, r) } else { return nil } }
    }

    mutating func report(_ name: String, _ event: LifecycleEvent) -> [Action] {
        send(.lifecycle(id(name), event))
    }

    func unit(_ name: String) -> Unit { supervisor.units.first { $0.name == name }! }
}

private func ready(_ check: ProbeCheck, timeout: TimeSpan = .seconds(10), interval: TimeSpan = .seconds(1)) -> ReadinessConfig {
    var r = ReadinessConfig(check: check)
    r.timeout = timeout
    r.interval = interval
    return r
}

private let tcp = ProbeCheck.tcp(host: "127.0.0.1", port: 5432)

@Suite("Readiness: starting until ready")
struct ReadinessStateTests {
    @Test("a tcp-ready db stays starting, and a web that requires it waits until the probe passes")
    func dependantsWaitForReadiness() {
        var world = FakeWorld([
            service("db") { $0.lifecycle.ready = ready(tcp) },
            service("web") { $0.requires = ["db"] },
        ])
        let boot = world.send(.boot)
        #expect(world.state("db") == "starting")
        #expect(world.state("web") == "waiting")
        #expect(!world.unit("db").ready)
        let first = world.probeSerial(boot, "db")!
        #expect(world.lifecycle(boot, "db") == [.probe(serial: first, tcp, timeout: .seconds(1))])

        let failed = world.report("db", .probed(serial: first, .failed("connection refused")))
        #expect(failed.isEmpty)
        #expect(world.unit("db").lastProbeFailure == "connection refused")
        #expect(world.supervisor.nextDeadline == world.now + .seconds(1))

        let (_, retry) = world.fireNextDeadline()
        let second = world.probeSerial(retry, "db")!
        #expect(second != first)
        let passed = world.report("db", .probed(serial: second, .passed))
        #expect(world.state("db") == "running")
        #expect(world.unit("db").ready)
        #expect(passed == [.spawn(world.id("web"))])
    }

    @Test("a probe that does not answer within its attempt timeout is cancelled and counts as failed")
    func probeTimeout() {
        var world = FakeWorld([service("db") { $0.lifecycle.ready = ready(tcp, interval: .milliseconds(500)) }])
        let serial = world.probeSerial(world.send(.boot), "db")!
        let (waited, actions) = world.fireNextDeadline()
        #expect(waited == .seconds(1), "an attempt may take the interval, at least 1s")
        #expect(world.lifecycle(actions, "db") == [.cancelProbe(serial: serial)])
        #expect(world.unit("db").lastProbeFailure == "timed out after 1s")
        // A late answer for the cancelled probe changes nothing.
        #expect(world.report("db", .probed(serial: serial, .passed)).isEmpty)
        #expect(world.state("db") == "starting")
    }

    @Test("not ready by ready-timeout: the stop signal goes out and the exit restarts it under the policy")
    func readyTimeoutRestarts() {
        var world = FakeWorld([service("db") { $0.lifecycle.ready = ready(.notify, timeout: .seconds(5)); $0.backoff.initial = .seconds(2) }])
        world.send(.boot)
        let pid = world.pid("db")!
        let (waited, actions) = world.fireNextDeadline()
        #expect(waited == .seconds(5))
        #expect(actions == [.kill(.group(pid), signal: Signals.term), .kill(.group(pid), signal: Signals.cont)])
        #expect(world.state("db") == "stopping")
        let exit = world.exit("db", .exited(0))
        #expect(exit.isEmpty)
        #expect(world.state("db") == "backoff", "a clean exit after the stop still counts as a failed start")
        #expect(world.unit("db").restarts == 1)
        let (delay, respawn) = world.fireNextDeadline()
        #expect(delay == .seconds(2))
        #expect(respawn == [.spawn(world.id("db"))])
        #expect(world.state("db") == "starting")
    }

    @Test("ready-timeout failures are quick failures: start-retries makes the unit fatal")
    func readyTimeoutsGoFatal() {
        var world = FakeWorld([service("db") {
            $0.lifecycle.ready = ready(.notify, timeout: .seconds(1)); $0.backoff.initial = .zero; $0.startRetries = 1
        }])
        world.send(.boot)
        for _ in 0..<2 {
            _ = world.fireNextDeadline()
            _ = world.exit("db", .signaled(15, coreDumped: false))
        }
        #expect(world.state("db") == "fatal")
    }

    @Test("with restart = never a unit not ready in time ends exited")
    func readyTimeoutWithoutRestart() {
        var world = FakeWorld([service("db") { $0.lifecycle.ready = ready(.notify, timeout: .seconds(1)); $0.restart = .never }])
        world.send(.boot)
        _ = world.fireNextDeadline()
        _ = world.exit("db", .signaled(15, coreDumped: false))
        #expect(world.state("db") == "exited")
    }

    @Test("a crash while starting restarts like any crash, and the readiness clock starts over")
    func crashWhileStarting() {
        var world = FakeWorld([service("db") { $0.lifecycle.ready = ready(.notify, timeout: .seconds(10)); $0.backoff.initial = .zero }])
        world.send(.boot)
        world.wait(.seconds(8))
        _ = world.exit("db", .exited(3))
        #expect(world.state("db") == "starting")
        #expect(world.supervisor.nextDeadline == world.now + .seconds(10))
    }

    @Test("exec probes are helper processes: exit 0 is ready, and a hanging one is killed at its timeout")
    func execProbe() {
        let check = ProbeCheck.exec(["pg_isready"])
        var world = FakeWorld([service("db") { $0.lifecycle.ready = ready(check, interval: .seconds(2)) }])
        let serial = world.probeSerial(world.send(.boot), "db")!
        world.report("db", .helperStarted(serial: serial, .success(500)))
        let (_, kill) = world.fireNextDeadline()
        #expect(kill == [.kill(.group(500), signal: Signals.kill)])
        _ = world.send(.childExited(pid: 500, .signaled(9, coreDumped: false)))
        #expect(world.unit("db").lastProbeFailure == "command timed out after 2s")
        let (_, retry) = world.fireNextDeadline()
        let next = world.probeSerial(retry, "db")!
        world.report("db", .helperStarted(serial: next, .success(501)))
        _ = world.send(.childExited(pid: 501, .exited(0)))
        #expect(world.state("db") == "running")
    }
}

@Suite("Readiness: sd_notify and the notification fd")
struct NotifyTests {
    @Test("READY=1 from the main process, its group or a descendant counts; from anyone else it does not")
    func senderMustBelongToTheService() {
        var world = FakeWorld([
            service("a") { $0.lifecycle.ready = ready(.notify) },
            service("b") { $0.lifecycle.ready = ready(.notify) },
        ])
        world.send(.boot)
        let a = world.pid("a")!, b = world.pid("b")!
        // b's process writes to a's socket: ignored.
        world.report("a", .notified(NotifyMessage(sender: b, lineage: [b, 1], processGroup: b, text: "READY=1")))
        #expect(world.state("a") == "starting")
        // A grandchild of a that left a's process group: still a's.
        world.report("a", .notified(NotifyMessage(sender: 900, lineage: [900, 899, a, 1], processGroup: 900, text: "READY=1\nSTATUS=up")))
        #expect(world.state("a") == "running")
        #expect(world.unit("a").statusText == "up")
        // A member of b's process group.
        world.report("b", .notified(NotifyMessage(sender: 950, lineage: [950, 1], processGroup: b, text: "READY=1")))
        #expect(world.state("b") == "running")
    }

    @Test("STATUS= is kept; the notification fd's newline counts only for fd checks")
    func statusAndDescriptor() {
        var world = FakeWorld([
            service("s6") { $0.lifecycle.ready = ready(.descriptor(3)) },
            service("sd") { $0.lifecycle.ready = ready(.notify) },
        ])
        world.send(.boot)
        world.report("sd", .notified(NotifyMessage(sender: nil, text: "READY=1")))
        #expect(world.state("sd") == "starting", "READY=1 must come through the notify socket")
        world.report("s6", .notified(NotifyMessage(sender: nil, text: "READY=1")))
        #expect(world.state("s6") == "running")
        let sd = world.pid("sd")!
        world.report("sd", .notified(NotifyMessage(sender: sd, lineage: [sd], text: "STATUS=loading 40%")))
        #expect(world.unit("sd").statusText == "loading 40%")
    }

    @Test("MAINPID= from the new main process moves supervision to it")
    func mainPid() {
        var world = FakeWorld([service("d") { $0.lifecycle.ready = ready(.notify) }])
        world.send(.boot)
        let old = world.pid("d")!
        // Not swinit's child (a shell's, which reaps it): refused, swinit would never see it die.
        world.report("d", .notified(NotifyMessage(sender: 700, lineage: [700, old], text: "MAINPID=700", senderIsChild: false)))
        #expect(world.pid("d") == old)
        world.report("d", .notified(NotifyMessage(sender: 700, lineage: [700, 1], processGroup: old, text: "MAINPID=700\nREADY=1", senderIsChild: true)))
        #expect(world.pid("d") == 700)
        #expect(world.state("d") == "running")
        #expect(world.send(.childExited(pid: old, .exited(0))).isEmpty, "the old main process is no longer the service")
        #expect(world.state("d") == "running")
    }

    @Test("the watchdog restarts a service that stops sending WATCHDOG=1")
    func watchdog() {
        var world = FakeWorld([service("w") { $0.lifecycle.ready = ready(.notify); $0.lifecycle.watchdog = .seconds(3); $0.backoff.initial = .zero }])
        world.send(.boot)
        let pid = world.pid("w")!
        world.report("w", .notified(NotifyMessage(sender: pid, lineage: [pid], text: "READY=1")))
        #expect(world.supervisor.nextDeadline == world.now + .seconds(3))
        world.wait(.seconds(2))
        world.report("w", .notified(NotifyMessage(sender: pid, lineage: [pid], text: "WATCHDOG=1")))
        #expect(world.supervisor.nextDeadline == world.now + .seconds(3))
        let (_, actions) = world.fireNextDeadline()
        #expect(actions.first == .kill(.group(pid), signal: Signals.term))
        _ = world.exit("w", .signaled(15, coreDumped: false))
        #expect(world.state("w") == "starting", "restarted")
        #expect(world.unit("w").restarts == 1)
    }
}

@Suite("Health checks")
struct HealthTests {
    func world(_ policy: UnhealthyPolicy = .restart, startPeriod: TimeSpan = .zero) -> FakeWorld {
        var health = HealthConfig(check: .http(HTTPTarget(host: "127.0.0.1", port: 80, path: "/")))
        health.interval = .seconds(10)
        health.timeout = .seconds(2)
        health.retries = 3
        health.startPeriod = startPeriod
        health.onUnhealthy = policy
        return FakeWorld([service("web") { $0.lifecycle.health = health; $0.backoff.initial = .zero }],
                         settings: { var s = GlobalSettings(); s.events[.unhealthy] = HookCommand(command: ["alert"]); return s }())
    }

    /// Fires the next health probe and answers it.
    func check(_ world: inout FakeWorld, passes: Bool) -> [Action] {
        let (_, actions) = world.fireNextDeadline()
        guard let serial = world.probeSerial(actions, "web") else { Issue.record("no probe"); return [] }
        return world.report("web", .probed(serial: serial, passes ? .passed : .failed("answered HTTP 500")))
    }

    @Test("retries consecutive failures make the service unhealthy: on-unhealthy runs and it restarts")
    func unhealthyRestarts() {
        var world = world()
        world.send(.boot)
        #expect(world.unit("web").health == .starting)
        _ = check(&world, passes: true)
        #expect(world.unit("web").health == .healthy)
        let pid = world.pid("web")!
        _ = check(&world, passes: false)
        _ = check(&world, passes: false)
        #expect(world.unit("web").health == .healthy, "two failures of three")
        let third = check(&world, passes: false)
        let hooks = world.hooks(third, "web")
        #expect(hooks.map(\.event) == [.unhealthy])
        #expect(hooks.first?.record?.reason == "answered HTTP 500")
        #expect(hooks.first?.record?.pid == pid)
        #expect(third.contains(.kill(.group(pid), signal: Signals.term)))
        _ = world.exit("web", .signaled(15, coreDumped: false))
        #expect(world.state("web") == "running")
        #expect(world.unit("web").health == .starting)
    }

    @Test("a success resets the failure count")
    func successResets() {
        var world = world()
        world.send(.boot)
        for passes in [false, false, true, false, false] { _ = check(&world, passes: passes) }
        #expect(world.unit("web").health == .healthy)
    }

    @Test("on-unhealthy = report keeps it running, and it becomes healthy again")
    func report() {
        var world = world(.report)
        world.send(.boot)
        for _ in 0..<3 { _ = check(&world, passes: false) }
        #expect(world.unit("web").health == .unhealthy)
        #expect(world.state("web") == "running")
        let fourth = check(&world, passes: false)
        #expect(world.hooks(fourth, "web").isEmpty, "on-unhealthy runs once per episode")
        _ = check(&world, passes: true)
        #expect(world.unit("web").health == .healthy)
    }

    @Test("failures within start-period do not count")
    func startPeriod() {
        var world = world(startPeriod: .seconds(25))
        world.send(.boot)
        for _ in 0..<2 { _ = check(&world, passes: false) }          // at 10s and 20s
        #expect(world.unit("web").health == .starting)
        for _ in 0..<2 { _ = check(&world, passes: false) }          // 30s, 40s: two counted
        #expect(world.unit("web").health == .starting)
        _ = check(&world, passes: false)
        #expect(world.unit("web").health == .unhealthy)
    }
}

@Suite("Hooks and events")
struct HookTests {
    @Test("pre-start runs before the spawn; success spawns, failure is retried under the restart policy")
    func preStart() {
        var world = FakeWorld([service("app") { $0.lifecycle.hooks[.preStart] = HookCommand(command: ["migrate"], timeout: .seconds(5)); $0.backoff.initial = .seconds(1) }])
        let boot = world.send(.boot)
        let hook = world.hooks(boot, "app")
        #expect(hook.map(\.event) == [.preStart])
        #expect(world.state("app") == "starting")
        world.report("app", .helperStarted(serial: hook[0].serial, .success(300)))
        _ = world.send(.childExited(pid: 300, .exited(1)))
        #expect(world.state("app") == "backoff")
        let (_, retry) = world.fireNextDeadline()
        let again = world.hooks(retry, "app")
        #expect(again.map(\.event) == [.preStart])
        world.report("app", .helperStarted(serial: again[0].serial, .success(301)))
        let spawned = world.send(.childExited(pid: 301, .exited(0)))
        #expect(spawned == [.spawn(world.id("app"))])
        #expect(world.state("app") == "running")
    }

    @Test("a hook that hangs is killed at its timeout; a hanging pre-start is a failed start")
    func hangingHookIsKilled() {
        var world = FakeWorld([service("app") { $0.lifecycle.hooks[.preStart] = HookCommand(command: ["sleep", "inf"], timeout: .seconds(5)); $0.restart = .never }])
        let hook = world.hooks(world.send(.boot), "app")[0]
        world.report("app", .helperStarted(serial: hook.serial, .success(300)))
        let (waited, kill) = world.fireNextDeadline()
        #expect(waited == .seconds(5))
        #expect(kill == [.kill(.group(300), signal: Signals.kill)])
        _ = world.send(.childExited(pid: 300, .signaled(9, coreDumped: false)))
        #expect(world.state("app") == "exited")
    }

    @Test("stop-command replaces the stop signal; the signal follows at the stop timeout, then SIGKILL")
    func stopCommand() {
        var world = FakeWorld([service("db") { $0.lifecycle.hooks[.stopCommand] = HookCommand(command: ["db-ctl", "stop"]); $0.stopTimeout = .seconds(4) }])
        world.send(.boot)
        let pid = world.pid("db")!
        let (_, stop) = world.supervisor.perform(.stop(["db"]), at: world.now)
        #expect(stop.filter(\.isNotLog).map { if case .lifecycle(_, .runHook(_, let e, let c, _)) = $0 { return "\(e.rawValue) \(c)" } else { return "\($0)" } } == ["stop [\"db-ctl\", \"stop\"]"])
        let (waited, signal) = world.fireNextDeadline()
        #expect(waited == .seconds(4))
        #expect(signal == [.kill(.group(pid), signal: Signals.term), .kill(.group(pid), signal: Signals.cont)])
        let (_, kill) = world.fireNextDeadline()
        #expect(kill == [.kill(.group(pid), signal: Signals.kill)])
    }

    @Test("pre-stop runs before the stop signal, which goes out when it ends")
    func preStop() {
        var world = FakeWorld([service("web") { $0.lifecycle.hooks[.preStop] = HookCommand(command: ["drain"]) }])
        world.send(.boot)
        let pid = world.pid("web")!
        let (_, stop) = world.supervisor.perform(.stop(["web"]), at: world.now)
        let serial = stop.compactMap { if case .lifecycle(_, .runHook(let s, .preStop, _, _)) = $0 { return s } else { return nil } }.first!
        #expect(!stop.contains(.kill(.group(pid), signal: Signals.term)))
        world.report("web", .helperStarted(serial: serial, .success(400)))
        let after = world.send(.childExited(pid: 400, .exited(0)))
        #expect(after.first == .kill(.group(pid), signal: Signals.term))
    }

    @Test("a second SIGTERM during shutdown kills a hanging pre-stop hook too, and the stop goes on")
    func secondSignalKillsHooks() {
        var world = FakeWorld([service("web") { $0.lifecycle.hooks[.preStop] = HookCommand(command: ["drain"], timeout: .seconds(600)) }])
        world.send(.boot)
        let pid = world.pid("web")!
        let stop = world.send(.signal(Signals.term))
        let serial = stop.compactMap { if case .lifecycle(_, .runHook(let s, .preStop, _, _)) = $0 { return s } else { return nil } }.first!
        world.report("web", .helperStarted(serial: serial, .success(400)))
        let again = world.send(.signal(Signals.term))
        #expect(again.contains(.kill(.group(pid), signal: Signals.kill)))
        #expect(again.contains(.kill(.group(400), signal: Signals.kill)), "\(again)")
        _ = world.send(.childExited(pid: 400, .signaled(Signals.kill, coreDumped: false)))
        _ = world.send(.childExited(pid: pid, .signaled(Signals.kill, coreDumped: false)))
        #expect(world.send(.noChildrenLeft).contains(.exit(code: 0)))
    }

    @Test("every exit runs on-exit with its record; a restart adds on-restart, giving up on-fatal; post-stop follows exits")
    func eventHooks() {
        var settings = GlobalSettings()
        for event in [HookEvent.exit, .restart, .fatal] { settings.events[event] = HookCommand(command: ["notify-\(event.rawValue)"]) }
        var world = FakeWorld([service("app") {
            $0.startRetries = 1; $0.backoff.initial = .zero
            $0.lifecycle.hooks[.postStop] = HookCommand(command: ["cleanup"])
            $0.lifecycle.hooks[.exit] = HookCommand(command: ["own-exit"])
        }], settings: settings)
        world.send(.boot)
        let pid = world.pid("app")!
        let first = world.exit("app", .exited(2))
        let hooks = world.hooks(first, "app")
        #expect(hooks.map(\.event) == [.exit, .postStop, .restart])
        #expect(world.lifecycle(first, "app").contains { if case .runHook(_, .exit, ["own-exit"], _) = $0 { return true } else { return false } },
                "the service's own on-exit wins over the global one")
        let record = hooks[0].record!
        #expect(record == EventRecord(service: "app", unit: "app", instance: nil, event: .exit, pid: pid, status: .exited(2), restarts: 1, reason: nil))
        let second = world.exit("app", .signaled(9, coreDumped: false))
        #expect(world.hooks(second, "app").map(\.event) == [.exit, .postStop, .fatal])
        #expect(world.hooks(second, "app").last?.record?.status == .signaled(9, coreDumped: false))
    }

    @Test("events say why when the status does not: a readiness failure, and giving up")
    func eventReasons() {
        var settings = GlobalSettings()
        for event in [HookEvent.exit, .restart, .fatal] { settings.events[event] = HookCommand(command: ["notify-\(event.rawValue)"]) }
        var world = FakeWorld([service("db") {
            $0.lifecycle.ready = ready(.notify, timeout: .seconds(5)); $0.startRetries = 0; $0.backoff.initial = .zero
        }], settings: settings)
        world.send(.boot)
        _ = world.fireNextDeadline()                       // not ready: stopped
        let hooks = world.hooks(world.exit("db", .exited(0)), "db")
        #expect(hooks.map(\.event) == [.exit, .fatal])
        #expect(hooks[0].record?.reason == "not ready within 5s")
        #expect(hooks[1].record?.reason == "not ready within 5s; gave up after 1 quick exits in a row (start-retries = 0)")
        // A plain crash: the exit status says it all.
        var plain = FakeWorld([service("app") { $0.backoff.initial = .zero }], settings: settings)
        plain.send(.boot)
        #expect(plain.hooks(plain.exit("app", .exited(3)), "app").map(\.record?.reason) == [nil, nil])
    }

    @Test("shutdown waits for hooks still running (bounded by their timeouts)")
    func shutdownWaitsForHooks() {
        var world = FakeWorld([service("app") { $0.lifecycle.hooks[.postStop] = HookCommand(command: ["cleanup"], timeout: .seconds(3)) }])
        world.send(.boot)
        world.send(.signal(Signals.term))
        let exit = world.exit("app", .signaled(15, coreDumped: false))
        let hook = world.hooks(exit, "app")[0]
        #expect(!exit.contains(.sweep(signal: Signals.term)))
        world.report("app", .helperStarted(serial: hook.serial, .success(600)))
        let done = world.send(.childExited(pid: 600, .exited(0)))
        #expect(done.contains(.sweep(signal: Signals.term)))
    }
}

@Suite("Pid files")
struct PidFileTests {
    @Test("the launcher exits 0, the pid file is read until it names an adopted daemon, which is then the service")
    func daemonIsAdopted() {
        var world = FakeWorld([
            service("d") { $0.lifecycle.pidFile = "/run/d.pid"; $0.backoff.initial = .zero },
            service("web") { $0.requires = ["d"] },
        ])
        world.send(.boot)
        #expect(world.state("d") == "starting")
        let read = world.exit("d", .exited(0))
        guard case .readPidFile(let serial, "/run/d.pid")? = world.lifecycle(read, "d").first else { Issue.record("no read"); return }
        #expect(world.hooks(read, "d").isEmpty, "the launcher's exit is not the service's")
        world.report("d", .pidFile(serial: serial, .failed("no such file")))
        let (waited, again) = world.fireNextDeadline()
        #expect(waited == .milliseconds(100))
        guard case .readPidFile(let next, _)? = world.lifecycle(again, "d").first else { Issue.record("no retry"); return }
        let adopted = world.report("d", .pidFile(serial: next, .found(4242)))
        #expect(world.pid("d") == 4242)
        #expect(world.state("d") == "running")
        #expect(adopted == [.spawn(world.id("web"))])
        // The daemon dies: the service restarts (the launcher runs again).
        let died = world.exit("d", .signaled(9, coreDumped: false))
        #expect(died.contains(.spawn(world.id("d"))))
    }

    @Test("no daemon after the bounded retries is a failed start")
    func noDaemon() {
        var world = FakeWorld([service("d") { $0.lifecycle.pidFile = "/run/d.pid"; $0.restart = .never }])
        world.send(.boot)
        var actions = world.exit("d", .exited(0))
        for _ in 0..<Supervisor.pidFileAttempts {
            guard case .readPidFile(let serial, _)? = world.lifecycle(actions, "d").first else { Issue.record("no read"); return }
            world.report("d", .pidFile(serial: serial, .failed("no such file")))
            if world.supervisor.nextDeadline == nil { break }
            actions = world.fireNextDeadline().1
        }
        #expect(world.state("d") == "exited")
    }
}

@Suite("Event records and config")
struct LifecycleFormatTests {
    @Test("an event record is one JSON line with every field")
    func json() {
        let record = EventRecord(service: "web", unit: "web.1", instance: 1, event: .exit, pid: 42, status: .signaled(9, coreDumped: false), restarts: 3, reason: "a \"quoted\"\nline")
        #expect(record.json(unixSeconds: 1_767_323_045, stderr: Array("oops".utf8)) ==
            #"{"service":"web","unit":"web.1","instance":1,"event":"exit","time":"2026-01-02T03:04:05Z","unix_time":1767323045,"pid":42,"exit_code":null,"signal":"SIGKILL","restarts":3,"reason":"a \"quoted\"\nline","stderr_base64":"b29wcw=="}"# + "\n")
    }

    @Test("base64", arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64(input: String, expected: String) {
        #expect(Base64.encode(Array(input.utf8)) == expected)
    }

    @Test("the readiness, health, hook and event keys decode")
    func decode() {
        let loaded = ConfigLoader.load(bytes: Array("""
            [events]
            on-fatal = "page-me"
            [services.db]
            command = "db"
            ready = { tcp = "localhost:5432" }
            ready-timeout = "30s"
            ready-interval = "250ms"
            health = { http = "http://127.0.0.1:8080/healthz", interval = "5s", timeout = "1s", retries = 2, start-period = "1m", on-unhealthy = "report" }
            watchdog = "30s"
            pre-start = { command = "migrate --all", timeout = "2m" }
            stop-command = ["db-ctl", "stop"]
            events = { on-exit = ["log-exit"] }
            [services.beat]
            command = "beat"
            ready = { fd = 3 }
            start-timeout = "45s"
            health = { file-age = { path = "/run/beat", max-age = "30s" } }
            pidfile = "/run/beat.pid"
            """.utf8), file: "t.toml", environment: [:])
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        let db = loaded.configuration.service(named: "db")!.lifecycle
        #expect(db.ready?.check == .tcp(host: "127.0.0.1", port: 5432))
        #expect(db.ready?.timeout == .seconds(30))
        #expect(db.ready?.interval == .milliseconds(250))
        #expect(db.health?.check == .http(HTTPTarget(host: "127.0.0.1", port: 8080, path: "/healthz")))
        #expect(db.health?.retries == 2)
        #expect(db.health?.startPeriod == .seconds(60))
        #expect(db.health?.onUnhealthy == .report)
        #expect(db.watchdog == .seconds(30))
        #expect(db.hooks[.preStart] == HookCommand(command: ["migrate", "--all"], timeout: .seconds(120)))
        #expect(db.hooks[.stopCommand]?.command == ["db-ctl", "stop"])
        #expect(db.hooks[.exit]?.command == ["log-exit"])
        #expect(loaded.configuration.settings.events[.fatal]?.command == ["page-me"])
        let beat = loaded.configuration.service(named: "beat")!.lifecycle
        #expect(beat.ready?.check == .descriptor(3))
        #expect(beat.ready?.timeout == .seconds(45), "start-timeout is ready-timeout")
        #expect(beat.health?.check == .fileAge(path: "/run/beat", maxAge: .seconds(30)))
        #expect(beat.pidFile == "/run/beat.pid")
    }

    @Test("bad readiness and health configs are reported", arguments: [
        ("ready = { tcp = \"db:5432\" }", "not an IPv4 address"),
        ("ready = { http = \"https://x/\" }", "https is not supported"),
        ("ready = { tcp = \"1.2.3.4:1\", file = \"/x\" }", "more than one check"),
        ("ready = {}", "needs one of"),
        ("ready = { fd = 1 }", "out of range"),
        ("ready = { file-age = { path = \"/x\", max-age = \"1s\" } }", "unknown key 'file-age'"),
        ("health = { notify = true }", "unknown key 'notify'"),
        ("health = { exec = \"true\", retries = 0 }", "out of range"),
        ("health = { exec = \"true\", on-unhealthy = \"panic\" }", "is not one of"),
        ("health = { file-age = { path = \"/x\" } }", "missing key 'max-age'"),
        ("ready-timeout = \"5s\"", "has no effect without 'ready'"),
        ("ready = { fd = 3 }\nready-timeout = \"5s\"\nstart-timeout = \"5s\"", "another name for 'ready-timeout'"),
        ("pre-start = 3", "expected a command"),
        ("events = { on-exitt = \"x\" }", "did you mean 'on-exit'"),
        ("type = \"oneshot\"\nready = { notify = true }", "not type = \"oneshot\""),
    ])
    func invalid(snippet: String, message: String) {
        let loaded = ConfigLoader.load(bytes: Array("[services.s]\ncommand = \"s\"\n\(snippet)\n".utf8), file: "t.toml", environment: [:])
        #expect(loaded.errors.contains { $0.message.contains(message) }, "\(loaded.errors.map(\.message))")
    }

    @Test("start-timeout without ready is a warning: earlier versions accepted it")
    func startTimeoutAlone() {
        let loaded = ConfigLoader.load(bytes: Array("[services.s]\ncommand = \"s\"\nstart-timeout = \"5s\"\n".utf8), file: "t.toml", environment: [:])
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        #expect(loaded.warnings.contains { $0.message.contains("has no effect without 'ready'") }, "\(loaded.warnings)")
    }
}
