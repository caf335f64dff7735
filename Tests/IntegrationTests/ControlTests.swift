// The control channel end to end: the built swinit as PID 1 of a new PID namespace
// (`unshare --user --map-root-user --pid --fork --mount-proc`), driven by the built initctl.
// initctl mostly runs from the host side against the same control directory (FIFOs work
// across PID namespaces); where it reads /proc (CPU, RSS, zombies) it runs inside the
// namespace through nsenter.
//
// Every wait is bounded and waits for an event (a file, a state in the status, a process
// exit, a reply), never a fixed sleep. Helpers are prefixed `control` to stay clear of the
// shared harness.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

let controlPackageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let controlBinDir = ProcessInfo.processInfo.environment["SWINIT_BIN_DIR"] ?? controlPackageRoot.appendingPathComponent(".build/debug").path
let controlSwinit = controlBinDir + "/swinit"
let controlInitctl = controlBinDir + "/initctl"

/// Whether this machine can run the tests: the binaries are built and unshare works.
let controlAvailable: Bool = {
    guard FileManager.default.isExecutableFile(atPath: controlSwinit), FileManager.default.isExecutableFile(atPath: controlInitctl) else {
        print("ControlTests: SKIPPED: build first (swift build): \(controlSwinit)")
        return false
    }
    let probe = controlRun(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child", "true"], timeout: 10)
    if probe.status != 0 { print("ControlTests: SKIPPED: unshare does not work here: \(probe)") }
    return probe.status == 0
}()

struct ControlOutcome: CustomStringConvertible {
    var status: Int32
    var out: String
    var err: String
    var seconds: Double
    var description: String { "exit \(status) after \(String(format: "%.2f", seconds))s\nstdout: \(out)\nstderr: \(err)" }
}

struct ControlTimeout: Error, CustomStringConvertible {
    var description: String
}

/// A temporary directory, removed by `controlCleanUp`.
func controlTemporaryDirectory() -> String {
    var template = Array((NSTemporaryDirectory() + "/swinit-ctl.XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(cString: template)
}

/// Runs a command to completion (bounded), output through files so no pipe can fill.
@discardableResult
func controlRun(_ argv: [String], environment: [String: String]? = nil, timeout: Double = 20) -> ControlOutcome {
    let started = Date()
    let process = controlStart(argv, environment: environment)
    let finished = process.wait(timeout: timeout)
    if !finished { process.kill() }
    return ControlOutcome(status: finished ? process.process.terminationStatus : -1, out: process.output(), err: process.errors(),
                          seconds: Date().timeIntervalSince(started))
}

/// A started process with stdout and stderr in files.
final class ControlProcess: @unchecked Sendable {
    let process = Process()
    let outPath: String
    let errPath: String
    private let done = DispatchSemaphore(value: 0)

    init(_ argv: [String], environment: [String: String]?, stdin: FileHandle? = nil, stdout: FileHandle? = nil) {
        let base = NSTemporaryDirectory() + "/swinit-ctl-\(UUID().uuidString)"
        outPath = base + ".out"
        errPath = base + ".err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        process.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        if let environment { process.environment = environment }
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.standardOutput = stdout ?? FileHandle(forWritingAtPath: outPath)!
        process.standardError = stdout ?? FileHandle(forWritingAtPath: errPath)!
        process.terminationHandler = { [done] _ in done.signal() }
    }

    func wait(timeout: Double) -> Bool {
        done.wait(timeout: .now() + timeout) == .success
    }

    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        _ = wait(timeout: 10)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }

    func output() -> String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    func errors() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
}

func controlStart(_ argv: [String], environment: [String: String]? = nil) -> ControlProcess {
    let p = ControlProcess(argv, environment: environment)
    try! p.process.run()
    return p
}

/// Polls `condition` until true or `timeout` seconds pass; the poll interval is short and the
/// wait ends as soon as the awaited event is visible.
func controlEventually(_ timeout: Double = 10, _ what: String, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { throw ControlTimeout(description: "timed out after \(timeout)s waiting for \(what)") }
        _ = poll(nil, 0, 20)
    }
}

/// swinit as PID 1 of a new PID namespace, with a config and a control directory.
final class ControlInstance {
    let dir: String
    let controlDir: String
    let process: ControlProcess
    /// swinit's pid as the host sees it (the child of unshare).
    private(set) var hostPid: Int32 = 0

    /// `expectedControlDir`: swinit gets no --control-dir and should pick this one itself.
    init(config: String, environment extra: [String: String] = [:], expectedControlDir: String? = nil, wrap: (([String]) -> [String])? = nil) throws {
        dir = controlTemporaryDirectory()
        self.controlDir = expectedControlDir ?? dir + "/ctl"
        try config.write(toFile: dir + "/swinit.toml", atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SWINIT_CONTROL_DIR")
        for (k, v) in extra { env[k] = v }
        let swinitArgs = [controlSwinit] + (expectedControlDir == nil ? ["--control-dir", controlDir] : []) + ["--config", dir + "/swinit.toml"]
        let inner = wrap.map { $0(swinitArgs) } ?? swinitArgs
        process = controlStart(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child"] + inner, environment: env)
        let unsharePid = process.process.processIdentifier
        try controlEventually(10, "swinit to start under unshare") {
            guard let text = try? String(contentsOfFile: "/proc/\(unsharePid)/task/\(unsharePid)/children", encoding: .utf8),
                  let pid = text.split(separator: " ").first.flatMap({ Int32($0) }) else { return false }
            hostPid = pid
            return true
        }
        try controlEventually(10, "the control FIFO and status.json in \(self.controlDir)") {
            FileManager.default.fileExists(atPath: self.controlDir + "/control") && FileManager.default.fileExists(atPath: self.controlDir + "/status.json")
        }
    }

    /// initctl from the host side, against this control directory.
    @discardableResult
    func initctl(_ args: [String], timeout: Double = 20) -> ControlOutcome {
        controlRun([controlInitctl, "--control-dir", controlDir] + args, timeout: timeout)
    }

    /// initctl inside swinit's namespaces (same /proc and pids), through nsenter.
    @discardableResult
    func initctlInside(_ args: [String]) -> ControlOutcome {
        controlRun(["nsenter", "-t", String(hostPid), "-U", "-p", "-m", controlInitctl, "--control-dir", controlDir] + args)
    }

    /// The status as JSON, decoded with Foundation (independent of swinit's own decoder).
    func statusJSON() throws -> [String: Any] {
        let r = initctl(["status", "--json"])
        guard r.status == 0, let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any] else {
            throw ControlTimeout(description: "status --json failed: \(r)")
        }
        return object
    }

    func unit(_ name: String) throws -> [String: Any] {
        let units = try statusJSON()["units"] as! [[String: Any]]
        return units.first { $0["name"] as? String == name }!
    }

    /// Waits until `name`'s state in the status is `state`.
    func waitForState(_ name: String, _ state: String, timeout: Double = 10) throws {
        try controlEventually(timeout, "\(name) to be \(state)") { (try? unit(name)["state"] as? String) == state }
    }

    func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(hostPid)/fd").count) ?? -1
    }

    /// Shuts swinit down (if still running) and returns its exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.process.isRunning { initctl(["shutdown"], timeout: 10) }
        if !process.wait(timeout: 20) { process.kill() }
        return process.process.terminationStatus
    }

    var log: String { process.errors() }

    deinit {
        if process.process.isRunning { process.kill() }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// Writes raw bytes to a control FIFO (the test as a misbehaving client).
func controlWriteRaw(_ fifo: String, _ bytes: [UInt8]) throws {
    let fd = open(fifo, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ControlTimeout(description: "open \(fifo): errno \(errno)") }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
        guard n > 0 else { throw ControlTimeout(description: "write \(fifo): errno \(errno)") }
        offset += n
    }
}

/// Reads whatever a FIFO reader fd holds until EOF (bounded).
func controlReadToEOF(_ fd: Int32, timeout: Double = 5) throws -> [UInt8] {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let remaining = deadline.timeIntervalSinceNow
        if remaining <= 0 { throw ControlTimeout(description: "no EOF within \(timeout)s (got \(data.count) bytes)") }
        if poll(&pfd, 1, Int32(remaining * 1000) + 1) <= 0 { continue }
        let n = read(fd, &buffer, buffer.count)
        if n > 0 { data += buffer[0..<n]; continue }
        if n == 0 { return data }
        if errno != EAGAIN { throw ControlTimeout(description: "read: errno \(errno)") }
    }
}

let controlThreeServices = """
    [services.web]
    # leaves a zombie behind: exec'd sleep never reaps its child
    command = ["sh", "-c", "sleep 0.1 & exec sleep 1000"]
    after = ["migrate"]
    backoff = "30s"

    [services.worker]
    command = ["sleep", "1000"]
    requires = ["web"]

    [services.migrate]
    command = ["sh", "-c", "echo migrated the schema; echo to stderr >&2; exit 0"]
    type = "oneshot"

    """

// MARK: - Tests

@Suite("Control channel: swinit as PID 1 driven by initctl", .serialized, .enabled(if: controlAvailable))
struct ControlTests {
    @Test("status: table with CPU/RSS and zombies inside the namespace, JSON, one service, unknown names", .timeLimit(.minutes(2)))
    func status() throws {
        let swinit = try ControlInstance(config: controlThreeServices)
        try swinit.waitForState("worker", "running")
        try swinit.waitForState("migrate", "exited")
        // The zombie exists once web's background sleep has ended.
        var table = ControlOutcome(status: -1, out: "", err: "", seconds: 0)
        try controlEventually(10, "the zombie to show") {
            table = swinit.initctlInside(["status"])
            return table.out.contains("zombies (1)")
        }
        #expect(table.status == 0, "\(table)")
        let lines = table.out.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("swinit 0.1.0 (pid 1), up "), "\(table.out)")
        #expect(lines[0].contains("running; 3 units: 2 running, 1 exited"), "\(lines[0])")
        #expect(lines[1].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            == ["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST", "EXIT", "READY", "HEALTH", "CPU%", "RSS", "NOTE"])
        let web = lines[2].split(separator: " ").map(String.init)
        #expect(web[0] == "web" && web[1] == "running" && web[4] == "0" && web[5] == "-" && web[6] == "-" && web[7] == "-", "\(web)")
        #expect(Double(web[8]) != nil, "CPU% is a number: \(web)")
        #expect(web[9].hasSuffix("K") || web[9].hasSuffix("M"), "RSS: \(web)")
        #expect(lines[4].hasPrefix("migrate  exited"), "\(lines[4])")
        #expect(table.out.contains("(sleep), parent \(web[2]) (sleep)"), "the zombie's parent is web: \(table.out)")
        #expect(!table.out.contains("\u{1B}["), "no colours off a terminal")

        // From the host: pids are another namespace's, so CPU/RSS are not guessed.
        let outside = swinit.initctl(["status"])
        #expect(outside.status == 0 && outside.out.contains("initctl runs outside swinit's pid namespace"), "\(outside)")

        let json = try swinit.statusJSON()
        #expect(json["pid"] as? Int == 1 && json["phase"] as? String == "running" && json["version"] as? String == "0.1.0")
        let units = json["units"] as! [[String: Any]]
        #expect(units.map { $0["name"] as! String } == ["web", "worker", "migrate"])
        #expect(units[2]["last_exit"] as? [String: Int] == ["code": 0] && units[2]["up"] as? Bool == true)

        let one = swinit.initctl(["status", "worker", "--json"])
        #expect(one.status == 0 && one.out.contains("\"name\":\"worker\"") && !one.out.contains("\"name\":\"web\""), "\(one)")

        let typo = swinit.initctl(["status", "wokrer"])
        #expect(typo.status == 1 && typo.err.contains("no service named 'wokrer'; did you mean 'worker'?"), "\(typo)")

        // status.json is the same document, for sidecars.
        let published = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: swinit.controlDir + "/status.json"))) as! [String: Any]
        #expect((published["units"] as! [[String: Any]]).count == 3)
        #expect(swinit.stop() == 0)
    }

    @Test("start, stop, restart, signal, check and wait change and report states", .timeLimit(.minutes(2)))
    func lifecycle() throws {
        let swinit = try ControlInstance(config: controlThreeServices)
        try swinit.waitForState("worker", "running")
        let check = swinit.initctl(["check"])
        #expect(check.status == 0 && check.out == "ok: 3 units running\n", "\(check)")

        let stop = swinit.initctl(["stop", "worker"])
        #expect(stop.status == 0 && stop.out == "stopping worker\n", "\(stop)")
        try swinit.waitForState("worker", "stopped")
        #expect(swinit.initctl(["check"]).status == 0, "a service stopped on purpose is not wanted")

        let start = swinit.initctl(["start", "worker"])
        #expect(start.status == 0 && start.out == "starting worker\n", "\(start)")
        let waited = swinit.initctl(["wait", "worker", "--timeout", "10s"])
        #expect(waited.status == 0 && waited.out == "worker: running\n", "\(waited)")

        let oldPid = try swinit.unit("web")["pid"] as! Int
        let restart = swinit.initctl(["restart", "web"])
        #expect(restart.status == 0 && restart.out == "restarting web\n", "\(restart)")
        try controlEventually(10, "web to run again with a new pid") {
            guard let u = try? swinit.unit("web") else { return false }
            return u["state"] as? String == "running" && (u["pid"] as? Int).map { $0 != oldPid } == true && u["restarts"] as? Int == 1
        }
        // worker requires web: it went down with it and comes back.
        #expect(swinit.initctl(["wait", "worker", "web", "--timeout", "10s"]).status == 0)

        let signal = swinit.initctl(["signal", "web", "USR1"])
        #expect(signal.status == 0 && signal.out.hasPrefix("sent SIGUSR1 to web (pid "), "\(signal)")
        try swinit.waitForState("web", "backoff")
        let row = swinit.initctl(["status", "web"]).out
        #expect(row.contains("SIGUSR1"), "last exit shows the signal: \(row)")
        let failing = swinit.initctl(["check"])
        #expect(failing.status == 1 && failing.err.hasPrefix("initctl: not running: ") && failing.err.contains("web is in backoff after it killed by SIGUSR1"),
                "\(failing)")
        let timedOut = swinit.initctl(["wait", "web", "--timeout", "300ms"])
        #expect(timedOut.status == 1 && timedOut.err.contains("timed out after 300ms: web is in backoff"), "\(timedOut)")
        #expect(swinit.initctl(["start", "web"]).status == 0)
        #expect(swinit.initctl(["wait", "web", "worker", "--ready", "--timeout", "10s"]).status == 0)

        let all = swinit.initctl(["restart", "--all"])
        #expect(all.status == 0 && all.out == "restarting web, worker, migrate\n", "\(all)")
        #expect(swinit.initctl(["wait", "web", "worker", "migrate", "--timeout", "10s"]).status == 0)

        let unknown = swinit.initctl(["stop", "wbe"])
        #expect(unknown.status == 1 && unknown.err == "initctl: no service named 'wbe'; did you mean 'web'?\n", "\(unknown)")
        let badSignal = swinit.initctl(["signal", "web", "NOPE"])
        #expect(badSignal.status == 2 && badSignal.err.contains("'NOPE' is not a signal"), "\(badSignal)")
        #expect(swinit.stop() == 0)
    }

    @Test("run, reload, logs, graph, version, usage errors", .timeLimit(.minutes(2)))
    func otherCommands() throws {
        let swinit = try ControlInstance(config: controlThreeServices)
        try swinit.waitForState("migrate", "exited")
        let run = swinit.initctl(["run", "migrate"])
        #expect(run.status == 0 && run.out == "running migrate\n", "\(run)")
        try controlEventually(10, "migrate to run again") { swinit.log.components(separatedBy: "migrate exited with code 0").count == 3 }
        let notTask = swinit.initctl(["run", "web"])
        #expect(notTask.status == 1 && notTask.err.contains("'web' is a long-running service, not a task or oneshot"), "\(notTask)")

        let reload = swinit.initctl(["reload"])
        #expect(reload.status == 0 && reload.out.contains("reloaded: nothing changed"), "\(reload)")
        // migrate ran three times by now (start, `run`, and the reload left it alone): its
        // output, both streams, is in its ring.
        let logs = swinit.initctl(["logs", "migrate", "-n", "2"])
        #expect(logs.status == 0 && logs.out.split(separator: "\n").count == 2 && logs.out.contains("migrated the schema"), "\(logs)")
        let quiet = swinit.initctl(["logs", "web", "-n", "5"])
        #expect(quiet.status == 0 && quiet.out.isEmpty, "\(quiet)")
        let logsTypo = swinit.initctl(["logs", "wbe"])
        #expect(logsTypo.status == 1 && logsTypo.err.contains("did you mean 'web'"), "\(logsTypo)")

        let graph = swinit.initctl(["graph"])
        #expect(graph.status == 0, "\(graph)")
        #expect(graph.out == """
            digraph swinit {
              rankdir=LR;
              "web";
              "web" -> "migrate" [style=dashed];
              "worker";
              "worker" -> "web";
              "migrate" [shape=box];
            }

            """, "\(graph.out)")

        let version = swinit.initctl(["version"])
        #expect(version.status == 0 && version.out.hasPrefix("initctl 0.1.0\nswinit 0.1.0 (pid 1, up "), "\(version)")
        #expect(version.out.contains(") at \(swinit.controlDir)\n"))

        let usage = swinit.initctl(["frobnicate"])
        #expect(usage.status == 2 && usage.err.contains("unknown command 'frobnicate'"), "\(usage)")
        #expect(swinit.initctl(["help"]).out.contains("usage: initctl"))
        let noTerminal = swinit.initctl(["top"])
        #expect(noTerminal.status == 2 && noTerminal.err.contains("top needs a terminal"), "\(noTerminal)")
        #expect(swinit.stop() == 0)
    }

    @Test("shutdown --exit-code N ends swinit with N; afterwards initctl says which path it tried", .timeLimit(.minutes(2)))
    func shutdownAndUnreachable() throws {
        let swinit = try ControlInstance(config: controlThreeServices)
        try swinit.waitForState("worker", "running")
        let shutdown = swinit.initctl(["shutdown", "--exit-code", "7"])
        #expect(shutdown.status == 0 && shutdown.out == "shutting down\n", "\(shutdown)")
        #expect(swinit.process.wait(timeout: 20))
        #expect(swinit.process.process.terminationStatus == 7, "\(swinit.log)")
        let gone = swinit.initctl(["status"])
        #expect(gone.status == 3, "\(gone)")
        #expect(gone.err.contains("swinit is not reachable: tried \(swinit.controlDir)/control"), "\(gone.err)")
        let published = try String(contentsOfFile: swinit.controlDir + "/status.json", encoding: .utf8)
        #expect(published.contains("\"phase\":\"finished\""), "status.json shows the end: \(published)")
        let nowhere = controlRun([controlInitctl, "--control-dir", swinit.dir + "/nowhere", "check"])
        #expect(nowhere.status == 3 && nowhere.err.contains(swinit.dir + "/nowhere/control (No such file or directory)"), "\(nowhere)")
    }

    @Test("top draws on a terminal, quits on q and restores the terminal", .timeLimit(.minutes(2)))
    func top() throws {
        let swinit = try ControlInstance(config: controlThreeServices)
        try swinit.waitForState("worker", "running")
        // A pseudo-terminal by hand: /dev/ptmx, unlock (TIOCSPTLCK), number (TIOCGPTN).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        #expect(master >= 0)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        #expect(ioctl(master, 0x4004_5431, &unlock) == 0)
        #expect(ioctl(master, 0x8004_5430, &number) == 0)
        let slavePath = "/dev/pts/\(number)"
        let slave = FileHandle(forUpdatingAtPath: slavePath)!
        let p = ControlProcess([controlInitctl, "--control-dir", swinit.controlDir, "top"], environment: ["TERM": "xterm"], stdin: slave, stdout: slave)
        try p.process.run()
        try? slave.close()
        defer { close(master) }
        var screen = ""
        var buffer = [UInt8](repeating: 0, count: 65536)
        func readSome() {
            var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) > 0 {
                let n = read(master, &buffer, buffer.count)
                if n > 0 { screen += String(decoding: buffer[0..<n], as: UTF8.self) }
            }
        }
        try controlEventually(10, "top to draw a frame") { readSome(); return screen.contains("q to quit") }
        #expect(screen.contains("\u{1B}[?1049h"), "alternate screen")
        #expect(screen.contains("worker") && screen.contains("swinit 0.1.0 (pid 1)"), "\(screen)")
        #expect(screen.contains("\u{1B}[32mrunning"), "colours on a terminal")
        // A second frame a second later: it refreshes on its own.
        let frames = screen.components(separatedBy: "q to quit").count
        try controlEventually(5, "a second frame") { readSome(); return screen.components(separatedBy: "q to quit").count > frames }
        _ = write(master, "q", 1)
        try controlEventually(5, "top to exit") { readSome(); return !p.process.isRunning }
        readSome()
        #expect(p.process.terminationStatus == 0)
        #expect(screen.contains("\u{1B}[?25h\u{1B}[?1049l"), "cursor and screen restored")
        swinit.stop()
    }

    @Test("200 concurrent status clients all get complete, valid JSON", .timeLimit(.minutes(3)))
    func concurrentClients() throws {
        let swinit = try ControlInstance(config: controlThreeServices)
        try swinit.waitForState("worker", "running")
        let clients = (0..<200).map { _ in controlStart([controlInitctl, "--control-dir", swinit.controlDir, "status", "--json", "--timeout", "20s"]) }
        var valid = 0
        for client in clients {
            #expect(client.wait(timeout: 60))
            let out = client.output()
            if client.process.terminationStatus == 0,
               let object = try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any],
               (object["units"] as? [[String: Any]])?.count == 3 {
                valid += 1
            } else {
                Issue.record("client failed: exit \(client.process.terminationStatus): \(out.prefix(200)) \(client.errors())")
            }
        }
        #expect(valid == 200)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: swinit.controlDir).filter { $0.hasPrefix("reply.") }
        #expect(leftovers.isEmpty, "clients remove their reply FIFOs: \(leftovers)")
        #expect(swinit.stop() == 0)
    }

    @Test("logs of a service with instances are asked per instance", .timeLimit(.minutes(1)))
    func logsPerInstance() throws {
        let swinit = try ControlInstance(config: """
            [services.web]
            command = ["/bin/sh", "-c", "echo hello from $SWINIT_INSTANCE; exec sleep 1000"]
            instances = 2
            """)
        try controlEventually(10, "web.1 to write its line") { swinit.initctl(["logs", "web.1"]).out.contains("hello from 1") }
        let both = swinit.initctl(["logs", "web"])
        #expect(both.status == 1 && both.err.contains("web has 2 instances, each with its own output: ask for one of web.0, web.1"), "\(both)")
        let one = swinit.initctl(["logs", "web.0", "-n", "5"])
        #expect(one.status == 0 && one.out == "hello from 0\n", "\(one)")
    }

    @Test("a client that never reads (or never opens) its reply is dropped after the bound and delays no one", .timeLimit(.minutes(2)))
    func slowClients() throws {
        // 60 units: a status reply of ~20 KB, more than the slow client's 4 KiB pipe.
        let swinit = try ControlInstance(config: """
            [services.many]
            command = ["sleep", "1000"]
            instances = 60

            """)
        try controlEventually(10, "60 units running") { (try? swinit.statusJSON()["units"] as? [[String: Any]])??.allSatisfy { $0["state"] as? String == "running" } == true }

        let slow = swinit.controlDir + "/reply.slow"
        let never = swinit.controlDir + "/reply.never"
        #expect(mkfifo(slow, 0o600) == 0 && mkfifo(never, 0o600) == 0)
        let slowFD = open(slow, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        defer { close(slowFD) }
        _ = fcntl(slowFD, 1031 /* F_SETPIPE_SZ */, Int32(4096))
        let started = Date()
        try controlWriteRaw(swinit.controlDir + "/control", Array(#"{"v":1,"reply":"reply.slow","verb":"status"}"#.utf8 + [10]))
        try controlWriteRaw(swinit.controlDir + "/control", Array(#"{"v":1,"reply":"reply.never","verb":"status"}"#.utf8 + [10]))

        // Meanwhile everyone else is served at once.
        for _ in 0..<5 {
            let r = swinit.initctl(["status", "--json"])
            #expect(r.status == 0 && r.seconds < 2.0, "\(r.status) after \(r.seconds)s")
        }
        // The slow client got a part, then EOF when swinit dropped it after the 2 s bound.
        var pfd = pollfd(fd: slowFD, events: Int16(POLLIN), revents: 0)
        try controlEventually(10, "the slow client to be dropped") { poll(&pfd, 1, 0) > 0 && pfd.revents & Int16(POLLHUP) != 0 }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 1.9 && elapsed < 5, "dropped after the bound: \(elapsed)s")
        let got = try controlReadToEOF(slowFD)
        #expect(got.count >= 4096 && got.count < 20_000, "a partial reply: \(got.count) bytes")
        try controlEventually(5, "both drops to be logged") {
            swinit.log.contains("dropped client reply.slow: it did not read its reply within 2s")
                && swinit.log.contains("dropped client reply.never: it never opened its reply FIFO within 2s")
        }
        #expect(swinit.initctl(["status"]).status == 0)
        #expect(swinit.stop() == 0)
    }

    @Test("reply paths that are symlinks, regular files, outside the directory or other entries are refused, targets untouched",
          .timeLimit(.minutes(2)))
    func hostileReplyPaths() throws {
        let swinit = try ControlInstance(config: controlThreeServices)
        try swinit.waitForState("worker", "running")
        let outside = swinit.dir + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let target = outside + "/target.txt"
        try "untouched\n".write(toFile: target, atomically: false, encoding: .utf8)
        let regular = swinit.controlDir + "/reply.regular"
        try "untouched\n".write(toFile: regular, atomically: false, encoding: .utf8)
        #expect(symlink(target, swinit.controlDir + "/reply.symlink") == 0)
        #expect(symlink(outside + "/reply.fifo", swinit.controlDir + "/reply.tofifo") == 0)
        #expect(mkfifo(outside + "/reply.fifo", 0o600) == 0)
        let outsideFD = open(outside + "/reply.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        defer { close(outsideFD) }
        let before = try FileManager.default.attributesOfItem(atPath: target)[.modificationDate] as! Date

        let hostile = ["reply.symlink", "reply.regular", "reply.tofifo", outside + "/reply.fifo", swinit.controlDir + "/../outside/reply.fifo",
                       "../outside/reply.fifo", "control", "status.json", "/dev/null", "reply.missing"]
        var lines: [UInt8] = []
        for path in hostile { lines += Array(#"{"v":1,"reply":"\#(path)","verb":"status"}"#.utf8) + [10] }
        try controlWriteRaw(swinit.controlDir + "/control", lines)
        // Requests are handled in order: once this reply is in, the hostile ones were handled.
        #expect(swinit.initctl(["status"]).status == 0)

        #expect(try String(contentsOfFile: target, encoding: .utf8) == "untouched\n")
        #expect(try String(contentsOfFile: regular, encoding: .utf8) == "untouched\n")
        #expect(try FileManager.default.attributesOfItem(atPath: target)[.modificationDate] as! Date == before)
        var pfd = pollfd(fd: outsideFD, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pfd, 1, 0) == 0, "nothing was ever written to the FIFO outside the directory")
        #expect(swinit.log.contains("refused reply FIFO \(swinit.controlDir)/reply.symlink: not a FIFO"), "\(swinit.log)")
        #expect(swinit.log.contains("refused reply"), "\(swinit.log)")
        #expect(swinit.initctl(["check"]).status == 0)
        #expect(swinit.stop() == 0)
    }

    @Test("10,000 malformed requests leave swinit responsive with the same descriptors; a named FIFO gets an error reply",
          .timeLimit(.minutes(3)))
    func malformedFlood() throws {
        let swinit = try ControlInstance(config: controlThreeServices)
        try swinit.waitForState("worker", "running")
        #expect(swinit.initctl(["status"]).status == 0)
        let descriptors = swinit.openDescriptors()
        #expect(descriptors > 0)

        let kinds: [[UInt8]] = [
            Array("garbage\n".utf8),
            [0, 1, 2, 255, 254, 10],
            Array("{\"verb\":\"explode\"}\n".utf8),
            Array("{\"verb\":\"stop\",\"names\":[\"../../etc\"]}\n".utf8),
            Array("{\"reply\":\"reply.nobody\",\"verb\":\"status\"}\n".utf8),
            Array("{\"reply\":\"/etc/passwd\",\"verb\":\"status\"}\n".utf8),
            Array(String(repeating: "[", count: 2000).utf8) + [10],
            [UInt8](repeating: UInt8(ascii: "x"), count: 5000) + [10],
            Array("{\"verb\":\"signal\",\"names\":[\"web\"],\"signal\":999}\n".utf8),
            Array("\"\\ud800\"\n".utf8),
        ]
        var flood: [UInt8] = []
        for i in 0..<10_000 { flood += kinds[i % kinds.count] }
        let started = Date()
        try controlWriteRaw(swinit.controlDir + "/control", flood)
        let after = swinit.initctl(["status", "--json"])
        #expect(after.status == 0 && after.out.contains("\"phase\":\"running\""), "\(after)")
        #expect(Date().timeIntervalSince(started) < 30)
        try controlEventually(10, "descriptors back to \(descriptors)") { swinit.openDescriptors() == descriptors }
        #expect(swinit.log.contains("similar messages suppressed") || swinit.log.components(separatedBy: "control:").count < 50,
                "the flood of warnings is rate-limited")

        // A malformed request that names a reply FIFO gets its error there.
        let fifo = swinit.controlDir + "/reply.err"
        #expect(mkfifo(fifo, 0o600) == 0)
        let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        defer { close(fd) }
        try controlWriteRaw(swinit.controlDir + "/control", Array(#"{"v":1,"reply":"reply.err","verb":"explode"}"#.utf8 + [10]))
        let reply = String(decoding: try controlReadToEOF(fd), as: UTF8.self)
        #expect(reply == #"{"v":1,"ok":false,"message":"unknown verb 'explode'"}"# + "\n", "\(reply)")
        #expect(swinit.initctl(["check"]).status == 0)
        #expect(swinit.stop() == 0)
    }

    @Test("with no --control-dir and /run read-only, swinit falls back to $XDG_RUNTIME_DIR/swinit and initctl finds it there",
          .timeLimit(.minutes(2)))
    func fallbackDirectory() throws {
        let runtimeDir = controlTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: runtimeDir) }
        let swinit = try ControlInstance(
            config: controlThreeServices, environment: ["XDG_RUNTIME_DIR": runtimeDir], expectedControlDir: runtimeDir + "/swinit",
            wrap: { argv in ["--mount", "sh", "-c", "mount -t tmpfs -o ro none /run && exec \"$@\"", "sh"] + argv })
        try controlEventually(5, "the fallback notice") { swinit.log.contains("using \(runtimeDir)/swinit instead") }
        #expect(swinit.log.contains("/run/swinit is not usable"), "\(swinit.log)")
        var env = ProcessInfo.processInfo.environment
        env["XDG_RUNTIME_DIR"] = runtimeDir
        env.removeValue(forKey: "SWINIT_CONTROL_DIR")
        let found = controlRun([controlInitctl, "version"], environment: env)
        #expect(found.out.contains("at \(runtimeDir)/swinit"), "\(found)")
        var attributes = stat()
        #expect(stat(runtimeDir + "/swinit", &attributes) == 0 && attributes.st_mode & 0o777 == 0o700)
        #expect(swinit.stop() == 0)
    }

    @Test("control-group opens the directory (02770) and the request FIFO (0620) to that group", .timeLimit(.minutes(2)))
    func controlGroup() throws {
        let swinit = try ControlInstance(config: "control-group = \"root\"\n" + controlThreeServices)
        var st = stat()
        #expect(stat(swinit.controlDir, &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o2770, "mode \(String(st.st_mode & 0o7777, radix: 8))")
        #expect(stat(swinit.controlDir + "/control", &st) == 0)
        #expect(st.st_mode & 0o777 == 0o620, "mode \(String(st.st_mode & 0o777, radix: 8))")
        #expect(swinit.initctl(["status"]).status == 0)
        #expect(swinit.stop() == 0)
    }

    @Test("a second swinit leaves a served control directory alone; a stale FIFO is taken over", .timeLimit(.minutes(2)))
    func directoryInUse() throws {
        let first = try ControlInstance(config: controlThreeServices)
        try first.waitForState("worker", "running")
        let second = controlStart(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child", controlSwinit,
                                   "--control-dir", first.controlDir, "--", "sleep", "1000"])
        try controlEventually(10, "the second swinit to notice") { second.errors().contains("is served by another swinit") }
        second.kill()
        #expect(first.initctl(["status", "--json"]).out.contains("\"name\":\"worker\""), "the first one still answers")
        #expect(first.stop() == 0)

        // Left behind with nobody reading it (as after a crash): the next swinit takes it over.
        #expect(mkfifo(first.controlDir + "/control", 0o600) == 0)
        #expect(mkfifo(first.controlDir + "/reply.stale", 0o600) == 0)
        let third = try ControlInstance(config: controlThreeServices, expectedControlDir: first.controlDir,
                                        wrap: { argv in argv + ["--control-dir", first.controlDir] })
        // The stale FIFO and the first one's status.json already exist: wait for a real answer.
        try controlEventually(10, "the third swinit to answer in the taken-over directory") { third.initctl(["status"]).status == 0 }
        #expect(!FileManager.default.fileExists(atPath: first.controlDir + "/reply.stale"), "stale reply FIFOs are swept")
        #expect(third.stop() == 0)
    }
}
