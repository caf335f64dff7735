import Testing
@testable import InitCore

// The control protocol's pure half: JSON, request and reply lines, the reply-path rule, status
// snapshots and their rendering, check verdicts, initctl's command line, /proc parsing.

@Suite("Protocol: JSON")
struct JSONTests {
    @Test("values survive an encode/parse round trip", arguments: [
        JSONValue.null, .bool(true), .bool(false), .int(0), .int(-42), .int(Int64.max), .int(Int64.min),
        .double(1.5), .double(-0.25), .string(""), .string("plain"), .string("quote \" backslash \\ slash /"),
        .string("line\nfeed\ttab\r\u{01}\u{1F}\u{7F}"), .string("ünïcødé ✓ 😀"),
        .array([]), .array([.int(1), .string("two"), .null]),
        .object([]), .object([JSONMember("a", .int(1)), JSONMember("b", .array([.object([JSONMember("c", .bool(false))])]))]),
    ])
    func roundTrip(value: JSONValue) throws {
        let text = value.encoded()
        #expect(try JSONValue.parse(Array(text.utf8)) == value, "\(text)")
    }

    @Test("escapes are decoded, surrogate pairs included")
    func escapes() throws {
        let value = try JSONValue.parse(Array(#" "a\u0041\n\/\ud83d\ude00" "#.utf8))
        #expect(value == .string("aA\n/😀"))
    }

    @Test("control characters are written as escapes, never raw")
    func controlCharactersEscaped() {
        #expect(JSONValue.string("\u{00}\u{1B}x\n").encoded() == #""\u0000\u001bx\n""#)
    }

    @Test("malformed JSON is refused with an offset", arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "\"unterminated", "\"bad \\q escape\"",
        "\"lone \\ud800\"", "\"\\udc00\"", "01", "1.", "-", "1e", "tru", "nul", "[1 2]", "{} {}", "\"tab\tinside\"",
        "\"\\u12\"", "123abc", "[" + String(repeating: "[", count: 100) + "]",
    ])
    func malformed(text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xff, 0xfe, 0x22]) }
    }

    @Test("nesting deeper than the limit is refused, not recursed into")
    func depthLimit() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.self) { try JSONValue.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 5) + String(repeating: "]", count: 5)
        _ = try JSONValue.parse(Array(fine.utf8), maxDepth: 5)
    }
}

@Suite("Protocol: requests")
struct RequestTests {
    @Test("every verb survives line() and parse()", arguments: [
        ControlVerb.status(names: []), .status(names: ["web", "worker.1"]),
        .start(names: ["web"], all: false), .start(names: [], all: true),
        .stop(names: ["a", "b"], all: false), .restart(names: [], all: true),
        .signal(name: "web", signal: 1), .signal(name: "web", signal: 64),
        .run(task: "migrate"), .reload, .graph,
        .logs(LogQuery(name: "web", count: 50)), .logs(LogQuery(name: "web", count: 10_000, after: 1234)),
        .shutdown(exitCode: nil), .shutdown(exitCode: 0), .shutdown(exitCode: 255),
    ])
    func roundTrip(verb: ControlVerb) {
        let line = ControlRequest(reply: "reply.12.1", verb: verb).line()
        #expect(line.hasSuffix("\n"))
        #expect(line.utf8.count < ControlLimits.requestBytes)
        let parsed = ControlRequest.parse(Array(line.utf8.dropLast()))
        #expect(parsed.reply == "reply.12.1")
        #expect(parsed.verb == .success(verb))
    }

    @Test("a request without a reply FIFO is still understood (fire and forget)")
    func noReply() {
        let parsed = ControlRequest.parse(Array(#"{"verb":"shutdown"}"#.utf8))
        #expect(parsed.reply == nil)
        #expect(parsed.verb == .success(.shutdown(exitCode: nil)))
    }

    @Test("malformed requests are refused with a reason, the reply FIFO kept when readable", arguments: [
        (#"garbage"#, false, "not JSON"),
        (#"[1,2]"#, false, "not a JSON object"),
        (#"{"reply":7,"verb":"status"}"#, false, "'reply' must be a string"),
        (#"{"reply":"reply.1"}"#, true, "no 'verb'"),
        (#"{"reply":"reply.1","verb":"stats"}"#, true, "did you mean 'status'"),
        (#"{"reply":"reply.1","verb":"status","v":2}"#, true, "unsupported protocol version"),
        (#"{"reply":"reply.1","verb":"start"}"#, true, "needs service names"),
        (#"{"reply":"reply.1","verb":"start","names":["a"],"all":true}"#, true, "not both"),
        (#"{"reply":"reply.1","verb":"stop","names":"web"}"#, true, "list of strings"),
        (#"{"reply":"reply.1","verb":"stop","names":[1]}"#, true, "list of strings"),
        (#"{"reply":"reply.1","verb":"stop","names":["../etc"]}"#, true, "not a service name"),
        (#"{"reply":"reply.1","verb":"stop","names":["a b"]}"#, true, "not a service name"),
        (#"{"reply":"reply.1","verb":"signal","names":["web"]}"#, true, "'signal'"),
        (#"{"reply":"reply.1","verb":"signal","names":["web"],"signal":0}"#, true, "'signal'"),
        (#"{"reply":"reply.1","verb":"signal","names":["web"],"signal":65}"#, true, "'signal'"),
        (#"{"reply":"reply.1","verb":"signal","names":["a","b"],"signal":1}"#, true, "exactly one"),
        (#"{"reply":"reply.1","verb":"run"}"#, true, "exactly one task"),
        (#"{"reply":"reply.1","verb":"logs","names":["web"],"count":0}"#, true, "'count'"),
        (#"{"reply":"reply.1","verb":"logs","names":["web"],"after":-1}"#, true, "'after'"),
        (#"{"reply":"reply.1","verb":"shutdown","exit-code":256}"#, true, "'exit-code'"),
        (#"{"reply":"reply.1","verb":"shutdown","exit-code":"1"}"#, true, "'exit-code'"),
    ])
    func malformed(text: String, keepsReply: Bool, reason: String) {
        let parsed = ControlRequest.parse(Array(text.utf8))
        #expect((parsed.reply != nil) == keepsReply)
        guard case .failure(let error) = parsed.verb else {
            Issue.record("accepted: \(text)")
            return
        }
        #expect(error.message.contains(reason), "\(error.message)")
    }

    @Test("a line of PIPE_BUF bytes or more is refused before parsing")
    func overLong() {
        let line = [UInt8](repeating: UInt8(ascii: " "), count: ControlLimits.requestBytes)
        guard case .failure(let error) = ControlRequest.parse(line).verb else { Issue.record("accepted"); return }
        #expect(error.message.contains("longer than"))
    }

    @Test("too many names are refused")
    func tooManyNames() {
        let names = (0...ControlLimits.maxNames).map { "\"s\($0)\"" }.joined(separator: ",")
        let parsed = ControlRequest.parse(Array(#"{"verb":"stop","names":[\#(names)]}"#.utf8))
        #expect(parsed.verb == .failure(ProtocolError("too many names (at most \(ControlLimits.maxNames))")))
    }
}

@Suite("Protocol: reply paths")
struct ReplyPathTests {
    @Test("only reply.* names directly in the control directory are accepted", arguments: [
        ("reply.1.2.3", "/run/swinit", "reply.1.2.3"),
        ("/run/swinit/reply.9", "/run/swinit", "reply.9"),
        ("/run/swinit/reply.9", "/run/swinit/", "reply.9"),
        ("/run/swinit/reply.a-b_C", "/run/swinit", "reply.a-b_C"),
    ])
    func accepted(path: String, directory: String, name: String) {
        #expect(ReplyPath.validate(path, controlDirectory: directory) == .success(name))
    }

    @Test("anything else is refused", arguments: [
        "/etc/passwd", "/run/swinit/../../etc/passwd", "../reply.1", "reply.1/../x", "/run/swinit/sub/reply.1",
        "/run/swinitx/reply.1", "/tmp/reply.1", "control", "status.json", "reply.", "reply..", "reply.a..b",
        "reply.a/b", "reply.a b", "reply.\u{0}", "", "/run/swinit/", "/run/swinit/control",
        "reply." + String(repeating: "x", count: 200),
    ])
    func refused(path: String) {
        if case .success(let name) = ReplyPath.validate(path, controlDirectory: "/run/swinit") {
            Issue.record("accepted \(path) as \(name)")
        }
    }
}

@Suite("Protocol: status and replies")
struct StatusTests {
    func world() -> FakeWorld {
        var world = FakeWorld([
            service("web"),
            service("worker") { $0.instances = 2; $0.after = ["web"] },
            service("migrate") { $0.kind = .oneshot; $0.restart = .onFailure },
        ])
        world.send(.boot)
        return world
    }

    @Test("a snapshot shows each unit's state, pid, uptime, restarts and last exit")
    func capture() {
        var world = world()
        let start = world.now
        world.wait(.seconds(90))
        _ = world.exit("migrate", .exited(0))
        _ = world.exit("worker.1", .signaled(9, coreDumped: false))
        let s = StatusSnapshot.capture(world.supervisor, now: world.now, startedAt: start, wallMilliseconds: 1_700_000_000_000,
                                       pid: 1, pidNamespace: "pid:[1]")
        #expect(s.units.map(\.name) == ["web", "worker.0", "worker.1", "migrate"])
        #expect(s.units.map(\.state) == ["running", "running", "backoff", "exited"])
        #expect(s.units[0].uptimeMilliseconds == 90_000)
        #expect(s.units[0].up && s.units[3].up && !s.units[2].up)
        #expect(s.units[2].lastExit == .signaled(9, coreDumped: false))
        #expect(s.units[2].restarts == 1)
        #expect(s.units[2].retryInMilliseconds == 1000)
        #expect(s.units[1].instance == 0 && s.units[1].service == "worker")
        #expect(s.uptimeMilliseconds == 90_000 && s.phase == "running")
    }

    @Test("status and every reply kind survive encode/decode")
    func replyRoundTrip() throws {
        var world = world()
        _ = world.exit("worker.0", .exited(3))
        var s = StatusSnapshot.capture(world.supervisor, now: world.now, startedAt: world.now, wallMilliseconds: 5, pid: 1, pidNamespace: nil)
        s.units[0].ready = true
        s.units[0].health = "healthy"
        for reply in [
            ControlReply(ok: true, message: "", status: s),
            ControlReply(ok: false, message: "no service named 'wbe'; did you mean 'web'?"),
            ControlReply(ok: true, message: "", dot: "digraph swinit {\n}\n"),
            ControlReply(ok: true, message: "", logs: LogSlice(lines: ["a \"quoted\" line", ""], next: 42, dropped: 3)),
        ] {
            let text = reply.encoded()
            #expect(text.hasSuffix("\n") && !text.dropLast().contains("\n"), "one line")
            #expect(try ControlReply.decode(Array(text.utf8)) == reply)
        }
    }

    @Test("the change key ignores clocks but not states")
    func changeKey() {
        var world = world()
        let a = StatusSnapshot.capture(world.supervisor, now: world.now, startedAt: world.now, wallMilliseconds: 0, pid: 1, pidNamespace: nil)
        world.wait(.seconds(5))
        let b = StatusSnapshot.capture(world.supervisor, now: world.now, startedAt: world.now, wallMilliseconds: 9, pid: 1, pidNamespace: nil)
        #expect(a.changeKey == b.changeKey)
        _ = world.exit("web", .exited(1))
        let c = StatusSnapshot.capture(world.supervisor, now: world.now, startedAt: world.now, wallMilliseconds: 9, pid: 1, pidNamespace: nil)
        #expect(c.changeKey != b.changeKey)
    }

    @Test("selecting by service name takes all instances; unknown names are reported")
    func selecting() {
        let world = world()
        let s = StatusSnapshot.capture(world.supervisor, now: world.now, startedAt: world.now, wallMilliseconds: 0, pid: 1, pidNamespace: nil)
        #expect(s.selecting(["worker"]).0.units.map(\.name) == ["worker.0", "worker.1"])
        #expect(s.selecting(["worker.1", "web"]).0.units.map(\.name) == ["worker.1", "web"])
        #expect(s.selecting(["wbe"]).missing == ["wbe"])
    }

    static let sample = StatusSnapshot(
        version: "0.1.0", pid: 1, pidNamespace: nil, phase: "running", uptimeMilliseconds: 303_000,
        generatedUnixMilliseconds: 0, units: [
            UnitStatus(name: "web", service: "web", state: "running", pid: 12, uptimeMilliseconds: 302_500, up: true),
            UnitStatus(name: "worker", service: "worker", state: "backoff", restarts: 3, lastExit: .signaled(9, coreDumped: false),
                       retryInMilliseconds: 4000),
            UnitStatus(name: "migrate", service: "migrate", kind: "oneshot", state: "exited", lastExit: .exited(0), up: true),
        ])

    @Test("the table: headline, aligned rows, CPU/RSS, zombies")
    func table() {
        var extras = StatusTable.Extras()
        extras.samples = [12: ProcessSample(cpuPercent: 0.34, rssKilobytes: 4198)]
        extras.zombies = [Zombie(pid: 45, name: "sleep", parentPid: 12, parentName: "web")]
        let text = StatusTable.render(Self.sample, extras)
        #expect(text == """
            swinit 0.1.0 (pid 1), up 5m03s, running; 3 units: 1 running, 1 backoff, 1 exited
            NAME     STATE         PID  UPTIME  RESTARTS  LAST EXIT  READY  HEALTH  CPU%   RSS  NOTE
            web      running        12   5m02s         0  -          -      -        0.3  4.1M  -
            worker   backoff (4s)    -       -         3  SIGKILL    -      -          -     -  -
            migrate  exited          -       -         0  0          -      -          -     -  -
            zombies (1): exited processes their parent has not reaped
              pid 45 (sleep), parent 12 (web)

            """)
    }

    @Test("colours only when asked for")
    func colours() {
        var extras = StatusTable.Extras()
        #expect(!StatusTable.render(Self.sample, extras).contains("\u{1B}"))
        extras.color = true
        #expect(StatusTable.render(Self.sample, extras).contains("\u{1B}[32mrunning"))
    }

    @Test("ages, percentages and sizes", arguments: [
        (StatusTable.age(850), "850ms"), (StatusTable.age(12_000), "12s"), (StatusTable.age(303_000), "5m03s"),
        (StatusTable.age(7_500_000), "2h05m"), (StatusTable.age(273_600_000), "3d04h"),
        (StatusTable.memory(812), "812K"), (StatusTable.memory(4198), "4.1M"), (StatusTable.memory(204_800), "200M"),
        (StatusTable.memory(1_258_291), "1.2G"), (StatusTable.percent(12), "12.0"), (StatusTable.percent(0.04), "0.0"),
        (StatusTable.lastExit(.signaled(11, coreDumped: true)), "SIGSEGV (core)"), (StatusTable.lastExit(nil), "-"),
    ])
    func formatting(actual: String, expected: String) {
        #expect(actual == expected)
    }
}

@Suite("Protocol: check and wait verdicts")
struct CheckTests {
    static func unit(_ name: String, _ state: String, kind: String = "simple", up: Bool = false, exit: WaitStatus? = nil,
                     ready: Bool? = nil, health: String? = nil) -> UnitStatus {
        UnitStatus(name: name, service: name, kind: kind, state: state, pid: state == "running" ? 5 : nil, lastExit: exit,
                   up: up, ready: ready, health: health)
    }

    static func snapshot(_ units: [UnitStatus], phase: String = "running") -> StatusSnapshot {
        StatusSnapshot(version: "0", pid: 1, pidNamespace: nil, phase: phase, uptimeMilliseconds: 0, generatedUnixMilliseconds: 0, units: units)
    }

    @Test("verdicts", arguments: [
        ([unit("web", "running", up: true)], CheckLevel.running, "", true),
        ([unit("web", "running", up: true), unit("old", "stopped")], .running, "", true),
        ([unit("m", "exited", kind: "oneshot", up: true, exit: .exited(0))], .running, "", true),
        ([unit("m", "exited", kind: "oneshot", exit: .exited(2))], .running, "m exited with code 2", false),
        ([unit("web", "backoff", exit: .exited(1))], .running, "web is in backoff", false),
        ([unit("web", "fatal", exit: .exited(1))], .running, "web is fatal", false),
        ([unit("web", "starting")], .running, "web is starting", false),
        ([unit("web", "running", up: true, ready: false)], .running, "", true),
        ([unit("web", "running", up: true, ready: false)], .ready, "web is running but not ready", false),
        ([unit("web", "running", up: true)], .ready, "", true),
        ([unit("web", "running", up: true, ready: true, health: "unhealthy")], .ready, "", true),
        ([unit("web", "running", up: true, ready: true, health: "unhealthy")], .healthy, "web is unhealthy", false),
    ])
    func verdicts(units: [UnitStatus], level: CheckLevel, reason: String, ok: Bool) {
        let verdict = Self.snapshot(units).check(level)
        #expect(verdict.isSatisfied == ok)
        switch verdict {
        case .satisfied: break
        case .pending(let text), .failed(let text): #expect(text.contains(reason), "\(text)")
        }
    }

    @Test("a shutting-down swinit fails every check")
    func shuttingDown() {
        #expect(Self.snapshot([], phase: "shutting-down").check(.running) == .failed("swinit is shutting-down"))
    }

    @Test("wait: a fatal unit fails at once, a starting one is pending, a stopped one named is pending")
    func waitVerdicts() {
        let s = Self.snapshot([Self.unit("a", "fatal"), Self.unit("b", "starting"), Self.unit("c", "stopped")])
        if case .failed = s.check(.running, names: ["a"]) {} else { Issue.record("fatal should fail") }
        if case .pending = s.check(.running, names: ["b"]) {} else { Issue.record("starting should be pending") }
        if case .pending = s.check(.running, names: ["c"]) {} else { Issue.record("stopped, named, should be pending") }
        #expect(s.check(.running, names: ["zzz"]) == .failed("no service named 'zzz'"))
    }
}

@Suite("Protocol: the supervisor's plan for each verb")
struct PlanTests {
    @Test("run refuses a long-running service; --all leaves out the main program; graph is DOT")
    func plans() {
        var main = service("app")
        main.isMain = true
        let world = FakeWorld([service("web"), service("migrate") { $0.kind = .oneshot }, main])
        let s = world.supervisor
        guard case .reply(let reply) = s.plan(.run(task: "web")) else { Issue.record("run web"); return }
        #expect(!reply.ok && reply.message.contains("not a task"))
        #expect(s.plan(.run(task: "migrate")) == .command(.run("migrate")))
        #expect(s.plan(.run(task: "migrat")) == .reply(.failed("no service named 'migrat'; did you mean 'migrate'?")))
        #expect(s.plan(.stop(names: [], all: true)) == .command(.stop(["web", "migrate"])))
        #expect(s.plan(.restart(names: ["web"], all: false)) == .command(.restart(["web"])))
        guard case .reply(let graph) = s.plan(.graph) else { Issue.record("graph"); return }
        #expect(graph.dot?.hasPrefix("digraph swinit {") == true)
        #expect(s.plan(.logs(LogQuery(name: "nope"))) == .reply(.failed("no service named 'nope'")))
    }
}

@Suite("Protocol: initctl's command line")
struct InitctlArgumentTests {
    @Test("valid command lines", arguments: [
        (["status"], InitctlArguments.Command.status(names: [], json: false)),
        (["status", "web", "--json"], .status(names: ["web"], json: true)),
        (["--json", "status"], .status(names: [], json: true)),
        (["start", "web", "worker"], .start(names: ["web", "worker"], all: false)),
        (["stop", "--all"], .stop(names: [], all: true)),
        (["restart", "web.1"], .restart(names: ["web.1"], all: false)),
        (["signal", "web", "HUP"], .signal(name: "web", signal: 1)),
        (["signal", "web", "sigusr1"], .signal(name: "web", signal: 10)),
        (["signal", "web", "12"], .signal(name: "web", signal: 12)),
        (["run", "migrate"], .run(task: "migrate")),
        (["reload"], .reload),
        (["logs", "web"], .logs(name: "web", count: 50, follow: false)),
        (["logs", "web", "-n", "5", "-f"], .logs(name: "web", count: 5, follow: true)),
        (["logs", "--lines=7", "web", "--follow"], .logs(name: "web", count: 7, follow: true)),
        (["wait", "web", "db"], .wait(names: ["web", "db"], level: .running, timeout: .seconds(60))),
        (["wait", "web", "--ready", "--timeout", "2.5s"], .wait(names: ["web"], level: .ready, timeout: .milliseconds(2500))),
        (["check"], .check(.running)),
        (["check", "--ready"], .check(.ready)),
        (["check", "--healthy"], .check(.healthy)),
        (["shutdown"], .shutdown(exitCode: nil)),
        (["shutdown", "--exit-code", "3"], .shutdown(exitCode: 3)),
        (["graph"], .graph), (["top"], .top), (["version"], .version), (["--version"], .version),
        (["help"], .help), (["-h"], .help), (["status", "--help"], .help),
    ])
    func valid(arguments: [String], command: InitctlArguments.Command) throws {
        #expect(try InitctlArguments.parse(arguments).command == command)
    }

    @Test("--control-dir and --timeout apply to any command")
    func globalOptions() throws {
        let parsed = try InitctlArguments.parse(["--control-dir", "/x", "status", "--timeout=2s"])
        #expect(parsed.controlDir == "/x")
        #expect(parsed.replyTimeout == .seconds(2))
        #expect(parsed.command == .status(names: [], json: false))
    }

    @Test("usage errors", arguments: [
        ([], "no command"), (["statsu"], "did you mean 'status'"), (["start"], "needs service names"),
        (["start", "web", "--all"], "not both"), (["signal", "web"], "usage: initctl signal"),
        (["signal", "web", "NOPE"], "not a signal"), (["run"], "usage: initctl run"), (["run", "a", "b"], "usage: initctl run"),
        (["logs", "web", "-n", "0"], "-n"), (["logs", "web", "-n"], "needs a value"), (["wait"], "usage: initctl wait"),
        (["wait", "web", "--timeout", "soon"], "--timeout"), (["check", "web"], "takes no arguments"),
        (["shutdown", "--exit-code", "300"], "--exit-code"), (["status", "--all"], "does not apply"),
        (["status", "--jsn"], "did you mean --json"), (["graph", "-f"], "does not apply"),
        (["status", "../x"], "not a service name"), (["reload", "now"], "takes no arguments"),
    ])
    func usageErrors(arguments: [String], message: String) {
        do {
            let parsed = try InitctlArguments.parse(arguments)
            Issue.record("accepted \(arguments): \(parsed)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}

@Suite("Protocol: control paths and /proc")
struct ControlPathTests {
    @Test("an explicit directory is the only candidate; else /run, XDG, /tmp in that order")
    func candidates() {
        #expect(ControlPaths.candidates(explicit: "/x/", environment: [:], uid: 5) == ["/x/"])
        #expect(ControlPaths.candidates(explicit: nil, environment: [:], uid: 1000) == ["/run/swinit", "/tmp/swinit-1000"])
        #expect(ControlPaths.candidates(explicit: nil, environment: ["XDG_RUNTIME_DIR": "/run/user/1000/"], uid: 1000)
            == ["/run/swinit", "/run/user/1000/swinit", "/tmp/swinit-1000"])
        #expect(ControlPaths.candidates(explicit: "", environment: ["XDG_RUNTIME_DIR": "relative"], uid: 0) == ["/run/swinit", "/tmp/swinit-0"])
    }

    @Test("/proc/PID/stat with a name holding spaces and parentheses")
    func procStat() {
        let text = "42 (my (odd) name) S 7 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 1 0 9000 1000 200 18446744073709551615"
        let stat = ProcStat.parse(text)
        #expect(stat == ProcStat(name: "my (odd) name", state: "S", parentPid: 7, cpuTicks: 200, startTicks: 9000))
        #expect(stat?.lifetimeCPUPercent(uptimeSeconds: 100, ticksPerSecond: 100) == 20)
        #expect(ProcStat.parse("garbage") == nil)
        #expect(ProcStat.residentKilobytes(status: "Name:\tx\nVmRSS:\t    4198 kB\n") == 4198)
        #expect(ProcStat.residentKilobytes(status: "Name:\tx\n") == nil)
    }
}

@Suite("Protocol: readiness and task details in status")
struct StatusDetailTests {
    @Test("the NOTE column shows a task's schedule and runs, STATUS= text and the last probe failure; JSON keeps them")
    func notes() throws {
        var unit = UnitStatus(name: "db", service: "db", state: "starting", pid: 7, ready: false, health: "unhealthy")
        unit.statusText = "replaying WAL 40%"
        unit.probeFailure = "connect 127.0.0.1:5432: Connection refused"
        #expect(unit.note == "replaying WAL 40%; probe: connect 127.0.0.1:5432: Connection refused")
        var task = UnitStatus(name: "backup", service: "backup", kind: "task", state: "scheduled")
        task.schedule = "30 2 * * *"
        task.nextRunInMilliseconds = 3_600_000
        task.lastRunMilliseconds = 41_000
        #expect(task.note == "30 2 * * *; next in 1h00m; last took 41s")
        for status in [unit, task] {
            #expect(UnitStatus(json: try JSONValue.parse(Array(status.json.encoded().utf8))) == status)
        }
        let table = StatusTable.render(StatusSnapshot(version: "0.1.0", pid: 1, pidNamespace: nil, phase: "running",
                                                      uptimeMilliseconds: 1000, generatedUnixMilliseconds: 0, units: [unit]))
        #expect(table.contains("starting") && table.contains("no") && table.contains("unhealthy") && table.contains("replaying WAL 40%"))
    }

    @Test("a snapshot takes task runs and readiness from the supervisor")
    func capture() {
        var s = service("web") { $0.lifecycle.ready = ReadinessConfig(check: .file("/tmp/ready")) }
        s.command = ["/bin/web"]
        var world = FakeWorld([s, TaskTests.task("backup", .every(seconds: 60, jitterSeconds: 0))])
        world.now = TaskTests.start
        world.send(.boot)
        let snapshot = StatusSnapshot.capture(world.supervisor, now: world.now, startedAt: world.now, wallMilliseconds: 0, pid: 1, pidNamespace: nil)
        let web = snapshot.units.first { $0.name == "web" }!
        #expect(web.state == "starting" && web.ready == false)
        let backup = snapshot.units.first { $0.name == "backup" }!
        #expect(backup.state == "scheduled" && backup.kind == "task" && backup.nextRunInMilliseconds == 60_000 && backup.schedule == "manual")
    }
}

@Suite("Protocol: fuzzer finds")
struct ProtocolFuzzRegressionTests {
    @Test("a JSON number too large for a Double is refused, not turned into null")
    func hugeNumbers() {
        #expect(throws: JSONError.self) { try JSONValue.parse(Array("1E558".utf8)) }
        #expect(throws: JSONError.self) { try JSONValue.parse(Array("[-2.25E54775808]".utf8)) }
    }

    @Test("initctl's did-you-mean is the same on every run")
    func deterministicHints() {
        var messages: Set<String> = []
        for _ in 0..<20 {
            do { _ = try InitctlArguments.parse(["--he"]) } catch { messages.insert(error.message) }
        }
        #expect(messages.count == 1, "\(messages)")
    }
}
