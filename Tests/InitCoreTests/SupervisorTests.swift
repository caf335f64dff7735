import Testing
@testable import InitCore

/// Drives a Supervisor with a fake clock and a fake pid allocator.
struct FakeWorld {
    var supervisor: Supervisor
    var now = Instant(nanoseconds: 1_000_000_000)
    var nextPid: Int32 = 100
    /// Every action, without log lines.
    var log: [Action] = []

    init(_ services: [ServiceConfig], settings: GlobalSettings = GlobalSettings(), policy: SignalPolicy = SignalPolicy()) {
        var config = Configuration()
        config.services = services
        config.settings = settings
        supervisor = Supervisor(configuration: config, policy: policy)
    }

    /// Handles an event and performs spawns as the runtime would (feeding `.spawned` back).
    @discardableResult
    mutating func send(_ event: Event) -> [Action] {
        var out: [Action] = []
        var queue = [event]
        while !queue.isEmpty {
            let e = queue.removeFirst()
            for action in supervisor.handle(e, at: now) {
                if case .log = action { continue }
                out.append(action)
                if case .spawn(let id) = action {
                    nextPid += 1
                    queue.append(.spawned(id, pid: nextPid))
                }
            }
        }
        log += out
        return out
    }

    /// A control command, with its spawns fed back like `send`.
    mutating func perform(_ command: ControlCommand) -> (CommandOutcome, [Action]) {
        let (outcome, actions) = supervisor.perform(command, at: now)
        var out: [Action] = []
        for action in actions {
            if case .log = action { continue }
            out.append(action)
            if case .spawn(let id) = action {
                nextPid += 1
                out += send(.spawned(id, pid: nextPid))
            }
        }
        return (outcome, out)
    }

    mutating func advance(to t: Instant) -> [Action] {
        now = t
        return send(.tick)
    }

    /// Moves the clock to the next deadline and ticks.
    mutating func fireNextDeadline() -> (TimeSpan, [Action]) {
        let deadline = supervisor.nextDeadline!
        let waited = deadline - now
        return (waited, advance(to: deadline))
    }

    mutating func wait(_ span: TimeSpan) { now = now + span }

    func pid(_ name: String) -> Int32? { supervisor.units.first { $0.name == name }?.state.pid }
    func state(_ name: String) -> String { supervisor.units.first { $0.name == name }!.state.name }
    func id(_ name: String) -> UnitID { supervisor.units.first { $0.name == name }!.id }

    mutating func exit(_ name: String, _ status: WaitStatus) -> [Action] {
        send(.childExited(pid: pid(name)!, status))
    }
}

func service(_ name: String, _ configure: (inout ServiceConfig) -> Void = { _ in }) -> ServiceConfig {
    var s = ServiceConfig(name: name, command: ["/bin/" + name])
    configure(&s)
    return s
}

@Suite("Supervisor: restarts and backoff")
struct RestartTests {
    @Test("a crashing service restarts after 1, 2, 4 … 60 seconds, and the delay resets after it stayed up")
    func backoffDoublesUpToTheMaximumAndResets() {
        var world = FakeWorld([service("app") { $0.startRetries = nil }])
        world.send(.boot)
        var delays: [TimeSpan] = []
        for _ in 0..<9 {
            world.wait(.seconds(2))       // up longer than start-time: not a quick failure
            _ = world.exit("app", .exited(1))
            #expect(world.state("app") == "backoff")
            let (waited, actions) = world.fireNextDeadline()
            delays.append(waited)
            #expect(actions == [.spawn(world.id("app"))])
        }
        #expect(delays.map { $0.nanoseconds / 1_000_000_000 } == [1, 2, 4, 8, 16, 32, 60, 60, 60])

        world.wait(.seconds(30))          // stayed up for backoff-reset
        _ = world.exit("app", .exited(1))
        let (waited, _) = world.fireNextDeadline()
        #expect(waited == .seconds(1))
    }

    @Test("a service that dies before start-time start-retries+1 times in a row goes fatal")
    func quickDeathsMakeAServiceFatal() {
        var world = FakeWorld([service("flaky") { $0.startRetries = 2; $0.backoff.initial = .zero }])
        world.send(.boot)
        for _ in 0..<2 {
            let actions = world.exit("flaky", .exited(1))
            #expect(actions == [.spawn(world.id("flaky"))], "backoff 0 restarts at once")
        }
        let last = world.exit("flaky", .exited(1))
        #expect(last.isEmpty)
        #expect(world.state("flaky") == "fatal")
        #expect(world.supervisor.nextDeadline == nil)
    }

    @Test("a long run between quick deaths resets the count")
    func aLongRunResetsQuickFailures() {
        var world = FakeWorld([service("svc") { $0.startRetries = 1; $0.backoff.initial = .zero }])
        world.send(.boot)
        _ = world.exit("svc", .exited(1))       // quick 1
        world.wait(.seconds(5))
        _ = world.exit("svc", .exited(1))       // not quick: count back to 0
        _ = world.exit("svc", .exited(1))       // quick 1
        #expect(world.state("svc") == "running")
        _ = world.exit("svc", .exited(1))       // quick 2 > 1
        #expect(world.state("svc") == "fatal")
    }

    @Test("restart policies", arguments: [
        (RestartPolicy.always, WaitStatus.exited(0), "running"),
        (.always, .exited(1), "running"),
        (.onFailure, .exited(0), "exited"),
        (.onFailure, .exited(1), "running"),
        (.onFailure, .signaled(9, coreDumped: false), "running"),
        (.never, .exited(1), "exited"),
        (.never, .exited(0), "exited"),
    ])
    func restartPolicy(policy: RestartPolicy, status: WaitStatus, expected: String) {
        var world = FakeWorld([service("s") { $0.restart = policy; $0.backoff.initial = .zero }])
        world.send(.boot)
        world.wait(.seconds(5))
        _ = world.exit("s", status)
        #expect(world.state("s") == expected)
    }

    @Test("success-exit-codes make an exit a success for on-failure")
    func successExitCodes() {
        var world = FakeWorld([service("s") { $0.restart = .onFailure; $0.successExitCodes = [0, 3] }])
        world.send(.boot)
        _ = world.exit("s", .exited(3))
        #expect(world.state("s") == "exited")
    }

    @Test("a program that cannot be run counts as a quick failure and goes fatal after its retries")
    func spawnFailuresGoFatal() {
        var world = FakeWorld([service("missing") { $0.startRetries = 1; $0.backoff.initial = .zero }])
        var config = Configuration()
        config.services = [service("missing") { $0.startRetries = 1; $0.backoff.initial = .zero }]
        var supervisor = Supervisor(configuration: config)
        let failure = SpawnFailure(step: "exec", errno: 2, reason: "No such file or directory", notFound: true)
        #expect(supervisor.handle(.boot, at: world.now).filter(\.isNotLog) == [.spawn(0)])
        // Even with backoff 0, a start that ran no process waits a moment: no busy loop.
        #expect(supervisor.handle(.spawnFailed(0, failure), at: world.now).filter(\.isNotLog) == [])
        #expect(supervisor.nextDeadline == world.now + Supervisor.minimumRetry)
        #expect(supervisor.handle(.tick, at: world.now + Supervisor.minimumRetry).filter(\.isNotLog) == [.spawn(0)])
        #expect(supervisor.handle(.spawnFailed(0, failure), at: world.now).filter(\.isNotLog) == [])
        #expect(supervisor.units[0].state == .fatal(.exited(127)))
        world.send(.boot)
    }
}

@Suite("Supervisor: dependencies")
struct DependencyTests {
    @Test("services start in dependency order, independent ones at once")
    func startOrder() {
        var world = FakeWorld([
            service("web") { $0.requires = ["db"]; $0.after = ["migrate"] },
            service("migrate") { $0.kind = .oneshot; $0.restart = .onFailure },
            service("db"),
            service("cache"),
        ])
        let boot = world.send(.boot)
        #expect(boot == [.spawn(world.id("migrate")), .spawn(world.id("db")), .spawn(world.id("cache"))])
        #expect(world.state("web") == "waiting", "a running oneshot is not done yet")
        let afterMigrate = world.exit("migrate", .exited(0))
        #expect(afterMigrate == [.spawn(world.id("web"))])
    }

    @Test("a failed oneshot is retried and dependants wait for its success")
    func oneshotGating() {
        var world = FakeWorld([
            service("migrate") { $0.kind = .oneshot; $0.restart = .onFailure; $0.backoff.initial = .seconds(1) },
            service("web") { $0.after = ["migrate"] },
        ])
        world.send(.boot)
        #expect(world.exit("migrate", .exited(1)).isEmpty)
        #expect(world.state("web") == "waiting")
        let (_, retry) = world.fireNextDeadline()
        #expect(retry == [.spawn(world.id("migrate"))])
        #expect(world.exit("migrate", .exited(0)) == [.spawn(world.id("web"))])
    }

    @Test("after is ordering only: a fatal dependency lets the dependant start; requires does not")
    func afterVersusRequiresOnFatal() {
        var world = FakeWorld([
            service("dep") { $0.kind = .oneshot; $0.restart = .onFailure; $0.startRetries = 0 },
            service("orderly") { $0.after = ["dep"] },
            service("needy") { $0.requires = ["dep"] },
        ])
        world.send(.boot)
        let actions = world.exit("dep", .exited(1))
        #expect(world.state("dep") == "fatal")
        #expect(actions == [.spawn(world.id("orderly"))])
        #expect(world.state("needy") == "waiting")
    }

    @Test("when a required service stops, its dependants are stopped and start again once it is back")
    func requiresPropagation() {
        var world = FakeWorld([
            service("db") { $0.backoff.initial = .seconds(1) },
            service("web") { $0.requires = ["db"] },
        ])
        world.send(.boot)
        let webPid = world.pid("web")!
        world.wait(.seconds(5))
        let crash = world.exit("db", .exited(1))
        #expect(crash == [.kill(.group(webPid), signal: Signals.term), .kill(.group(webPid), signal: Signals.cont)])
        #expect(world.state("web") == "stopping")
        _ = world.exit("web", .exited(0))
        #expect(world.state("web") == "waiting")
        let (_, restart) = world.fireNextDeadline()
        #expect(restart == [.spawn(world.id("db")), .spawn(world.id("web"))])
    }

    @Test("instances are separate units named NAME.N")
    func instances() {
        var world = FakeWorld([service("worker") { $0.instances = 3 }])
        let boot = world.send(.boot)
        #expect(boot.count == 3)
        #expect(world.supervisor.units.map(\.name) == ["worker.0", "worker.1", "worker.2"])
        #expect(world.supervisor.units.map(\.instance) == [0, 1, 2])
    }
}

@Suite("Supervisor: shutdown")
struct ShutdownTests {
    @Test("SIGTERM stops services in reverse dependency order, then sweeps, then exits 0")
    func orderedShutdown() {
        var world = FakeWorld([
            service("db"),
            service("web") { $0.requires = ["db"] },
            service("other"),
        ])
        world.send(.boot)
        let web = world.pid("web")!, db = world.pid("db")!, other = world.pid("other")!
        let term = world.send(.signal(Signals.term))
        #expect(term == [
            .kill(.group(web), signal: Signals.term), .kill(.group(web), signal: Signals.cont),
            .kill(.group(other), signal: Signals.term), .kill(.group(other), signal: Signals.cont),
        ], "db outlives web; independent services stop in parallel")
        #expect(world.exit("web", .exited(0)) == [.kill(.group(db), signal: Signals.term), .kill(.group(db), signal: Signals.cont)])
        #expect(world.exit("other", .exited(0)).isEmpty)
        #expect(world.exit("db", .exited(0)) == [.sweep(signal: Signals.term)])
        #expect(world.send(.noChildrenLeft) == [.exit(code: 0)])
    }

    @Test("a service that ignores its stop signal is SIGKILLed at its stop timeout")
    func stopTimeoutEscalates() {
        var world = FakeWorld([service("stubborn") { $0.stopTimeout = .seconds(3) }])
        world.send(.boot)
        let pid = world.pid("stubborn")!
        world.send(.signal(Signals.term))
        let (waited, actions) = world.fireNextDeadline()
        #expect(waited == .seconds(3))
        #expect(actions == [.kill(.group(pid), signal: Signals.kill)])
        #expect(world.supervisor.nextDeadline == world.now + Supervisor.killGrace, "after SIGKILL, a bounded wait for the exit")
        // A process that is never reaped (uninterruptible sleep) does not hold the shutdown forever.
        let (_, gaveUp) = world.fireNextDeadline()
        #expect(gaveUp == [.sweep(signal: Signals.term)])
        #expect(world.state("stubborn") == "stopped")
    }

    @Test("stop-delay holds the stop signal back")
    func stopDelay() {
        var world = FakeWorld([service("lb") { $0.stopDelay = .seconds(5) }])
        world.send(.boot)
        let pid = world.pid("lb")!
        #expect(world.send(.signal(Signals.term)).isEmpty)
        let (waited, actions) = world.fireNextDeadline()
        #expect(waited == .seconds(5))
        #expect(actions == [.kill(.group(pid), signal: Signals.term), .kill(.group(pid), signal: Signals.cont)])
    }

    @Test("a second SIGTERM kills everything at once")
    func secondSignalKills() {
        var world = FakeWorld([service("a"), service("b")])
        world.send(.boot)
        world.send(.signal(Signals.term))
        let again = world.send(.signal(Signals.int))
        #expect(again == [.kill(.group(world.pid("a")!), signal: Signals.kill), .kill(.group(world.pid("b")!), signal: Signals.kill)])
    }

    @Test("a critical service's exit ends the container with its code")
    func criticalExit() {
        var world = FakeWorld([service("job") { $0.critical = true; $0.restart = .never }, service("side")])
        world.send(.boot)
        let side = world.pid("side")!
        let actions = world.exit("job", .exited(5))
        #expect(actions == [.kill(.group(side), signal: Signals.term), .kill(.group(side), signal: Signals.cont)])
        _ = world.exit("side", .exited(0))
        #expect(world.send(.noChildrenLeft) == [.exit(code: 5)])
    }

    @Test("on-fatal = shutdown ends the container with the failing code")
    func fatalShutdown() {
        var world = FakeWorld([service("db") { $0.startRetries = 0; $0.onFatal = .shutdown }])
        world.send(.boot)
        #expect(world.exit("db", .signaled(11, coreDumped: true)) == [.sweep(signal: Signals.term)])
        #expect(world.send(.noChildrenLeft) == [.exit(code: 139)])
    }

    @Test("leftover processes get the grace, then SIGKILL, then swinit exits anyway")
    func sweepEscalates() {
        var settings = GlobalSettings()
        settings.grace = .seconds(2)
        var world = FakeWorld([service("a")], settings: settings)
        world.send(.boot)
        world.send(.signal(Signals.term))
        #expect(world.exit("a", .exited(0)) == [.sweep(signal: Signals.term)])
        let (grace, kill) = world.fireNextDeadline()
        #expect(grace == .seconds(2))
        #expect(kill == [.sweep(signal: Signals.kill)])
        let (_, exit) = world.fireNextDeadline()
        #expect(exit == [.exit(code: 0)])
    }
}

@Suite("Supervisor: the main program")
struct MainProgramTests {
    static func main(_ configure: (inout ServiceConfig) -> Void = { _ in }) -> ServiceConfig {
        service("app") { $0.isMain = true; $0.restart = .never; $0.critical = true; $0.startRetries = nil; configure(&$0) }
    }

    @Test("the main program's exit code is the container's", arguments: [
        (WaitStatus.exited(0), Int32(0)), (.exited(42), 42), (.exited(255), 255),
        (.signaled(9, coreDumped: false), 137), (.signaled(15, coreDumped: false), 143),
    ])
    func exitCodePassesThrough(status: WaitStatus, code: Int32) {
        var world = FakeWorld([Self.main()])
        world.send(.boot)
        #expect(world.exit("app", status) == [.sweep(signal: Signals.term)])
        #expect(world.send(.noChildrenLeft) == [.exit(code: code)])
    }

    @Test("-e maps listed codes to 0")
    func exitCodeMapping() {
        var policy = SignalPolicy()
        policy.exitCodesAsSuccess = [143]
        var world = FakeWorld([Self.main()], policy: policy)
        world.send(.boot)
        _ = world.exit("app", .signaled(15, coreDumped: false))
        #expect(world.send(.noChildrenLeft) == [.exit(code: 0)])
    }

    @Test("signals are forwarded to the group, rewritten, or to the child alone")
    func forwarding() {
        var policy = SignalPolicy()
        policy.rewrite = [Signals.usr1: Signals.usr2, Signals.hup: 0]
        var world = FakeWorld([Self.main()], policy: policy)
        world.send(.boot)
        let pid = world.pid("app")!
        #expect(world.send(.signal(Signals.winch)) == [.kill(.group(pid), signal: Signals.winch)])
        #expect(world.send(.signal(Signals.usr1)) == [.kill(.group(pid), signal: Signals.usr2)])
        #expect(world.send(.signal(Signals.hup)).isEmpty)

        var single = SignalPolicy()
        single.toGroup = false
        var alone = FakeWorld([Self.main()], policy: single)
        alone.send(.boot)
        #expect(alone.send(.signal(Signals.quit)) == [.kill(.process(alone.pid("app")!), signal: Signals.quit)])
    }

    @Test("-r TERM:0 drops SIGTERM: no shutdown, nothing sent (review find)")
    func droppedTerm() {
        var policy = SignalPolicy()
        policy.rewrite = [Signals.term: 0]
        var world = FakeWorld([Self.main()], policy: policy)
        world.send(.boot)
        #expect(world.send(.signal(Signals.term)).isEmpty)
        #expect(world.supervisor.phase == .running)
    }

    @Test("SIGTERM is forwarded as the (rewritten) stop signal and the code stays the program's")
    func termination() {
        var policy = SignalPolicy()
        policy.rewrite = [Signals.term: Signals.quit]
        var world = FakeWorld([Self.main()], policy: policy)
        world.send(.boot)
        let pid = world.pid("app")!
        #expect(world.send(.signal(Signals.term)) == [.kill(.group(pid), signal: Signals.quit), .kill(.group(pid), signal: Signals.cont)])
        _ = world.exit("app", .exited(3))
        #expect(world.send(.noChildrenLeft) == [.exit(code: 3)])
    }

    @Test("a main program that cannot be run exits 127 or 126")
    func spawnFailure() {
        var world = FakeWorld([Self.main()])
        var supervisor = world.supervisor
        _ = supervisor.handle(.boot, at: world.now)
        let notFound = SpawnFailure(step: "exec", errno: 2, reason: "No such file or directory", notFound: true)
        #expect(supervisor.handle(.spawnFailed(0, notFound), at: world.now).filter(\.isNotLog) == [.sweep(signal: Signals.term)])
        #expect(supervisor.handle(.noChildrenLeft, at: world.now).filter(\.isNotLog) == [.exit(code: 127)])
        world.send(.boot)
    }

    @Test("a main program stopped by Ctrl-Z is resumed; one stopped by SIGSTOP is left alone")
    func terminalStops() {
        var world = FakeWorld([Self.main()])
        world.send(.boot)
        let pid = world.pid("app")!
        #expect(world.send(.childStopped(pid: pid, signal: Signals.tstp)) == [.kill(.group(pid), signal: Signals.cont)])
        #expect(world.send(.childStopped(pid: pid, signal: Signals.stop)).isEmpty)
    }

    @Test("orphans reaped by swinit change nothing")
    func orphansAreIgnored() {
        var world = FakeWorld([Self.main()])
        world.send(.boot)
        #expect(world.send(.childExited(pid: 9999, .exited(0))).isEmpty)
        #expect(world.send(.noChildrenLeft).isEmpty, "only meaningful while sweeping")
        #expect(world.state("app") == "running")
    }

    @Test("an idle supervisor has no deadline: the loop sleeps without a timeout")
    func idleHasNoDeadline() {
        var world = FakeWorld([Self.main(), service("a"), service("b")])
        world.send(.boot)
        #expect(world.supervisor.nextDeadline == nil)
    }
}

extension Action {
    var isNotLog: Bool {
        if case .log = self { return false }
        return true
    }
}

@Suite("Supervisor: tasks")
struct TaskTests {
    static func task(_ name: String, _ schedule: Schedule?, _ configure: (inout TaskSettings) -> Void = { _ in }) -> ServiceConfig {
        var s = service(name) { $0.restart = .never; $0.startRetries = nil }
        var t = TaskSettings()
        t.schedule = schedule
        configure(&t)
        s.task = t
        return s
    }

    static let start = Instant(nanoseconds: 5_000_000_000, wallNanoseconds: 1_767_225_600_000_000_000) // 2026-01-01T00:00:00Z

    @Test("an every-1s task runs once a second")
    func everySecond() {
        var world = FakeWorld([Self.task("tick", .every(seconds: 1, jitterSeconds: 0))])
        world.now = Self.start
        #expect(world.send(.boot).isEmpty)
        for _ in 0..<3 {
            let (waited, actions) = world.fireNextDeadline()
            #expect(waited == .seconds(1))
            #expect(actions == [.spawn(0)])
            _ = world.exit("tick", .exited(0))
            #expect(world.supervisor.units[0].stateName == "scheduled")
        }
        #expect(world.supervisor.units[0].runs == 3)
    }

    @Test("overlap: skip drops, queue runs after, replace stops the running one")
    func overlap() {
        for policy in [OverlapPolicy.skip, .queue, .replace] {
            var world = FakeWorld([Self.task("slow", .every(seconds: 1, jitterSeconds: 0)) { $0.overlap = policy }])
            world.now = Self.start
            world.send(.boot)
            _ = world.fireNextDeadline()                // first run starts
            let pid = world.pid("slow")!
            let (_, second) = world.fireNextDeadline()  // due again while running
            switch policy {
            case .skip, .queue: #expect(second.isEmpty)
            case .replace: #expect(second == [.kill(.group(pid), signal: Signals.term), .kill(.group(pid), signal: Signals.cont)])
            }
            let end = world.exit("slow", .exited(0))
            #expect(end == (policy == .skip ? [] : [.spawn(0)]), "\(policy)")
        }
    }

    @Test("chains: A → B on success, A → C on failure")
    func chains() {
        let world0 = FakeWorld([
            Self.task("a", nil) { $0.onSuccess = ["b"]; $0.onFailure = ["c"] },
            Self.task("b", nil), Self.task("c", nil),
        ])
        var world = world0
        world.now = Self.start
        world.send(.boot)
        #expect(world.supervisor.nextDeadline == nil, "manual tasks never wake the loop")
        let (outcome, start) = world.perform(.run("a"))
        #expect(outcome.ok && start == [.spawn(0)])
        #expect(world.exit("a", .exited(0)) == [.spawn(world.id("b"))])
        _ = world.perform(.run("a"))
        #expect(world.exit("a", .exited(1)) == [.spawn(world.id("c"))])
        #expect(world.perform(.run("nope")).0 == .failed("no service named 'nope'"))
    }

    @Test("a run longer than its timeout is stopped and counts as a failure")
    func timeout() {
        var world = FakeWorld([
            Self.task("t", .every(seconds: 60, jitterSeconds: 0)) { $0.timeout = .seconds(5); $0.onFailure = ["alarm"] },
            Self.task("alarm", nil),
        ])
        world.now = Self.start
        world.send(.boot)
        _ = world.fireNextDeadline()
        let pid = world.pid("t")!
        let (waited, stop) = world.fireNextDeadline()
        #expect(waited == .seconds(5))
        #expect(stop == [.kill(.group(pid), signal: Signals.term), .kill(.group(pid), signal: Signals.cont)])
        #expect(world.exit("t", .exited(0)) == [.spawn(world.id("alarm"))], "a timed-out run failed, whatever its code")
    }

    @Test("a task chained to itself runs once more, not twice at once (review find)")
    func selfChain() {
        var world = FakeWorld([Self.task("t", .every(seconds: 1, jitterSeconds: 0)) { $0.overlap = .queue; $0.onSuccess = ["t"] }])
        world.now = Self.start
        world.send(.boot)
        _ = world.fireNextDeadline()
        _ = world.fireNextDeadline()                       // due again while running: queued
        #expect(world.exit("t", .exited(0)) == [.spawn(0)], "the chain and the queue start one run")
    }

    @Test("a task left running at shutdown is still stopped at its timeout, and the loop does not spin (review find)")
    func timeoutDuringShutdown() {
        var world = FakeWorld([Self.task("long", .every(seconds: 1, jitterSeconds: 0)) { $0.waitOnShutdown = true; $0.timeout = .seconds(5) }])
        world.now = Self.start
        world.send(.boot)
        _ = world.fireNextDeadline()
        let pid = world.pid("long")!
        #expect(world.send(.signal(Signals.term)).isEmpty, "it may finish")
        let (waited, stop) = world.fireNextDeadline()
        #expect(waited == .seconds(5))
        #expect(stop == [.kill(.group(pid), signal: Signals.term), .kill(.group(pid), signal: Signals.cont)])
        #expect(world.supervisor.nextDeadline! > world.now, "no deadline left in the past")
    }

    @Test("a missed run is made up once, not in a burst")
    func missedRunsCollapse() {
        var world = FakeWorld([Self.task("hourly", .every(seconds: 3600, jitterSeconds: 0))])
        world.now = Self.start
        world.send(.boot)
        // The machine slept for 5 hours: the loop wakes once, late.
        let late = world.advance(to: world.now + .seconds(5 * 3600 + 10))
        #expect(late == [.spawn(0)])
        let next = world.supervisor.units[0].nextRun!
        #expect(next.wallSeconds == Self.start.wallSeconds + 6 * 3600)
    }

    @Test("on shutdown a running task is stopped, unless it says wait")
    func shutdownWaits() {
        var world = FakeWorld([
            Self.task("stop", .every(seconds: 1, jitterSeconds: 0)),
            Self.task("wait", .every(seconds: 1, jitterSeconds: 0)) { $0.waitOnShutdown = true },
        ])
        world.now = Self.start
        world.send(.boot)
        _ = world.fireNextDeadline()
        let term = world.send(.signal(Signals.term))
        #expect(term == [.kill(.group(world.pid("stop")!), signal: Signals.term), .kill(.group(world.pid("stop")!), signal: Signals.cont)])
        #expect(world.supervisor.nextDeadline != nil)
        _ = world.exit("stop", .signaled(15, coreDumped: false))
        #expect(world.exit("wait", .exited(0)) == [.sweep(signal: Signals.term)])
    }

    @Test("a windowed service starts at the window's start and stops at its end")
    func windows() throws {
        var s = service("office")
        s.window = ServiceWindow(start: try Schedule.parseTimeOfDay("08:00"), stop: try Schedule.parseTimeOfDay("18:00"))
        var world = FakeWorld([s])
        world.now = Self.start.atWall(1_767_254_400)      // 2026-01-01T08:00:00Z... minus: set to 07:00
        world.now = world.now + TimeSpan.seconds(-3600)
        #expect(world.send(.boot).isEmpty)
        #expect(world.supervisor.units[0].stateName == "waiting for window")
        let (toOpen, open) = world.fireNextDeadline()
        #expect(toOpen == .seconds(3600))
        #expect(open == [.spawn(0)])
        let pid = world.pid("office")!
        let (toClose, close) = world.fireNextDeadline()
        #expect(toClose == .seconds(10 * 3600))
        #expect(close == [.kill(.group(pid), signal: Signals.term), .kill(.group(pid), signal: Signals.cont)])
        _ = world.exit("office", .exited(0))
        #expect(world.supervisor.units[0].stateName == "waiting for window")
    }

    @Test("windows across midnight and on given days", arguments: [
        ("22:00", "06:00", DaySet.all, "2026-01-01T23:00:00Z", true),
        ("22:00", "06:00", DaySet.all, "2026-01-01T05:59:00Z", true),
        ("22:00", "06:00", DaySet.all, "2026-01-01T12:00:00Z", false),
        ("08:00", "18:00", DaySet(weekdays: [1, 2, 3, 4, 5]), "2026-01-03T12:00:00Z", false),  // a Saturday
        ("08:00", "18:00", DaySet(weekdays: [1, 2, 3, 4, 5]), "2026-01-02T12:00:00Z", true),   // a Friday
        ("22:00", "06:00", DaySet(weekdays: [5]), "2026-01-03T03:00:00Z", true),               // Friday night, Saturday morning
    ])
    func windowMembership(start: String, stop: String, days: DaySet, at: String, open: Bool) throws {
        var w = ServiceWindow(start: try Schedule.parseTimeOfDay(start), stop: try Schedule.parseTimeOfDay(stop))
        w.days = days
        #expect(Supervisor.isOpen(w, atUnix: try CivilTime.parseRFC3339(at).unixSeconds, zone: .utc) == open)
    }
}

@Suite("Supervisor: reload")
struct ReloadTests {
    @Test("reload adds, removes and restarts changed services, and leaves unchanged ones running")
    func reloadAppliesTheDifference() {
        var world = FakeWorld([service("same"), service("gone"), service("edit")])
        world.send(.boot)
        let same = world.pid("same")!, gone = world.pid("gone")!, edit = world.pid("edit")!
        var config = Configuration()
        config.services = [service("same"), service("edit") { $0.command = ["/bin/edit", "--v2"] }, service("new")]
        let (outcome, actions) = world.supervisor.reload(config, at: world.now)
        #expect(outcome == .ok("reloaded: added new; removed gone; restarted edit (changed)"))
        let kills = actions.filter(\.isNotLog)
        #expect(kills.contains(.kill(.group(gone), signal: Signals.term)))
        #expect(kills.contains(.kill(.group(edit), signal: Signals.term)))
        #expect(!kills.contains { if case .kill(.group(same), _) = $0 { return true } else { return false } })
        #expect(kills.contains(.spawn(world.supervisor.units.first { $0.name == "new" && !$0.retired }!.id)))
        #expect(world.pid("same") == same, "an unchanged service keeps its process")
        // The changed one starts again only once its old process is gone.
        let replacement = world.supervisor.units.last { $0.name == "edit" }!.id
        #expect(world.supervisor.units[replacement].state == .waiting)
        world.log = []
        _ = world.send(.childExited(pid: edit, .exited(0)))
        #expect(world.log == [.spawn(replacement)])
        #expect(world.supervisor.units[replacement].config.command == ["/bin/edit", "--v2"])
        _ = world.send(.childExited(pid: gone, .exited(0)))
        #expect(world.supervisor.units(named: "gone").isEmpty)
    }

    @Test("reloading the same configuration changes nothing")
    func reloadUnchanged() {
        let services = [service("a"), service("b") { $0.requires = ["a"] }]
        var world = FakeWorld(services)
        world.send(.boot)
        var config = Configuration()
        config.services = services
        let (outcome, actions) = world.supervisor.reload(config, at: world.now)
        #expect(outcome == .ok("reloaded: nothing changed"))
        #expect(actions.filter(\.isNotLog).isEmpty)
    }
}
