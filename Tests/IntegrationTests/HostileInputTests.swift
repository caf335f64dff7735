// Hostile input, end to end: services that fork until their nproc limit, close every
// descriptor they have, or write logs onto a full disk; config files with NUL bytes, huge
// values, 100,000 services or random bytes; garbage and over-long lines in the request FIFO.
// After each, swinit must still be up, `initctl status` must answer (exit 0, every service
// listed), and swinit must hold as many descriptors as it did before.
//
// Descriptor counts: swinit holds per live service a pidfd and its output pipes, and a few
// descriptors of its own (signalfd, epoll, control directory and FIFO, log files). So counts
// are compared only at comparable moments — the same services alive, no reply in flight —
// and with a bounded wait (a reply FIFO of the last initctl may still be closing).
//
// swinit runs as PID 1 of a new PID namespace; initctl talks to it from the host through its
// control directory (FIFOs work across PID namespaces). Every wait is bounded and waits for an
// event: a line, a file, a state, an exit.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

/// What a finished command printed.
private struct HostileOutcome: CustomStringConvertible {
    var status: ExitStatus?
    var out: [String]
    var err: [String]
    var seconds: Double
    var description: String {
        func shown(_ lines: [String]) -> String {
            lines.prefix(20).map { "    | " + String($0.prefix(300)) + ($0.count > 300 ? "… (\($0.utf8.count) bytes)" : "") }
                .joined(separator: "\n") + (lines.count > 20 ? "\n    (\(lines.count - 20) more lines)" : "")
        }
        return "\(status.map(String.init(describing:)) ?? "still running, killed") after \(String(format: "%.2f", seconds))s\n"
            + "  stdout:\n\(shown(out))\n  stderr:\n\(shown(err))"
    }
}

/// Runs `argv` to completion, or kills it after `timeout`; what it printed.
private func hostileRun(_ argv: [String], timeout: Duration = .seconds(10)) async throws -> HostileOutcome {
    let started = ContinuousClock.now
    let process = try TestProcess(argv)
    defer { process.terminate() }
    let status = try? await process.waitForExit(timeout: timeout)
    return HostileOutcome(status: status, out: process.text(.stdout), err: process.text(.stderr),
                          seconds: (ContinuousClock.now - started).seconds)
}

/// initctl against this swinit's control directory.
private func initctl(_ swinit: Swinit, _ arguments: [String], timeout: Duration = .seconds(10)) async throws -> HostileOutcome {
    let directory = try #require(swinit.controlDirectory)
    return try await hostileRun([Paths.initctl, "--control-dir", directory] + arguments, timeout: timeout)
}

/// The units in `initctl status --json`: name → (state, restarts).
private func units(_ swinit: Swinit) async throws -> [String: (state: String, restarts: Int)] {
    let reply = try await initctl(swinit, ["status", "--json"])
    guard reply.status == .exited(0),
          let object = try? JSONSerialization.jsonObject(with: Data(reply.out.joined(separator: "\n").utf8)) as? [String: Any],
          let list = object["units"] as? [[String: Any]] else { return [:] }
    var result: [String: (state: String, restarts: Int)] = [:]
    for unit in list {
        if let name = unit["name"] as? String, let state = unit["state"] as? String {
            result[name] = (state, unit["restarts"] as? Int ?? -1)
        }
    }
    return result
}

/// Waits until `name` is in `state` (and, when given, has restarted `restarts` times).
private func waitForState(_ swinit: Swinit, _ name: String, _ state: String, restarts: Int? = nil,
                          timeout: Duration = .seconds(10)) async throws {
    let deadline = ContinuousClock.now + timeout
    var last: [String: (state: String, restarts: Int)] = [:]
    while ContinuousClock.now < deadline {
        last = try await units(swinit)
        if let unit = last[name], unit.state == state, restarts.map({ $0 == unit.restarts }) ?? true { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw HarnessError("timed out after \(timeout) waiting for \(name) to be \(state)\(restarts.map { " with \($0) restarts" } ?? ""); status: \(last)\n\(swinit)")
}

/// swinit's open descriptors (from the host's /proc).
private func descriptorCount(_ pid: Int32) -> Int { ProcFS.descriptors(pid).count }

/// Waits (bounded) until swinit holds `expected` descriptors; records an issue naming them
/// otherwise. A reply FIFO or status.json being written may hold one for a moment.
private func expectDescriptors(_ pid: Int32, _ expected: Int, _ what: String,
                               sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        _ = try await waitUntil(timeout: .seconds(5), "descriptors back to \(expected)") {
            descriptorCount(pid) == expected ? true : nil
        }
    } catch {
        let now = ProcFS.descriptors(pid).sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
        Issue.record("\(what): swinit holds \(now.count) descriptors, expected \(expected): \(now)", sourceLocation: sourceLocation)
    }
}

/// The three checks after every hostile act: swinit is alive, `initctl status` exits 0 and
/// lists every service, and its descriptor count is `descriptors` (when given).
private func expectHealthy(_ swinit: Swinit, services: [String], descriptors: Int?, _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let pid = try await swinit.pid()
    #expect(ProcFS.isAlive(pid) && ProcFS.comm(pid) == "swinit" && swinit.process.status == nil,
            "swinit is still running after \(what)\n\(swinit)", sourceLocation: sourceLocation)
    let status = try await initctl(swinit, ["status"])
    #expect(status.status == .exited(0), "initctl status after \(what): \(status)", sourceLocation: sourceLocation)
    for service in services {
        #expect(status.out.contains { $0.hasPrefix(service + " ") }, "status lists \(service) after \(what): \(status)",
                sourceLocation: sourceLocation)
    }
    if let descriptors { await expectDescriptors(pid, descriptors, "after \(what)", sourceLocation: sourceLocation) }
}

/// Starts swinit as PID 1 with `config` and waits until the control channel answers and
/// every service in `running` runs.
private func launch(_ config: String, running: [String], shellPrefix: String? = nil) async throws -> Swinit {
    let swinit = try Swinit.launch(["--config", config], mode: .pid1, shellPrefix: shellPrefix)
    _ = try await swinit.pid()
    for name in running { try await waitForState(swinit, name, "running") }
    return swinit
}

/// The host pid of the child of swinit whose command line mentions `fragment`.
private func serviceProcess(_ swinit: Swinit, _ fragment: String) async throws -> Int32 {
    let pid = try await swinit.pid()
    return try await waitUntil(timeout: .seconds(10), "a child of swinit running \(fragment)") {
        ProcFS.children(of: pid).first { ProcFS.cmdline($0).contains { $0.contains(fragment) } }
    }
}

/// Writes `bytes` to the FIFO `fd` (opened O_NONBLOCK), waiting for room within `timeout`.
private func writeNonBlocking(_ fd: Int32, _ bytes: [UInt8], timeout: Duration = .seconds(10)) throws {
    let deadline = ContinuousClock.now + timeout
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n > 0 { offset += n; continue }
        let code = errno
        if n < 0 && code == EINTR { continue }
        guard n < 0 && code == EAGAIN else { throw HarnessError("write to the request FIFO: \(String(cString: strerror(code)))") }
        if ContinuousClock.now >= deadline { throw HarnessError("the request FIFO stayed full for \(timeout) (\(offset) of \(bytes.count) bytes written)") }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&pfd, 1, 50)
    }
}

/// Random bytes from the kernel.
private func randomBytes(_ count: Int) throws -> Data {
    guard let handle = FileHandle(forReadingAtPath: "/dev/urandom") else { throw HarnessError("cannot open /dev/urandom") }
    defer { try? handle.close() }
    var data = Data()
    while data.count < count {
        guard let chunk = try handle.read(upToCount: count - data.count), !chunk.isEmpty else { break }
        data.append(chunk)
    }
    return data
}

/// Whether /etc/passwd has a user `nobody`.
private let hasNobody: Bool = (ProcFS.readText("/etc/passwd") ?? "").split(separator: "\n").contains { $0.hasPrefix("nobody:") }

// MARK: - Tests

@Suite("Hostile input: swinit stays up, answers and leaks no descriptors", .serialized, .timeLimit(.minutes(2)))
struct HostileInputTests {
    // RLIMIT_NPROC counts the processes of the real uid and does not bind root: the bomb runs
    // as nobody, which swinit can switch to only when it is really root (not root of a user
    // namespace that maps only the test's uid).
    @Test("a fork bomb stops at its nproc limit, and stopping it leaves no child and no zombie behind",
          .enabled(if: getuid() == 0 && hasNobody, "needs root and a user nobody"))
    func forkBomb() async throws {
        let dir = try TemporaryDirectory()
        let config = try dir.writeConfig("""
            [services.bomb]
            command = [\(Fixtures.python("hostile_forkbomb.py").map { "\"\($0)\"" }.joined(separator: ", "))]
            user = "nobody"
            rlimits = { nproc = 64 }
            stop-timeout = "5s"

            [services.steady]
            command = ["sleep", "1000"]
            """)
        let swinit = try await launch(config, running: ["bomb", "steady"])
        defer { swinit.terminate() }
        let swinitPid = try await swinit.pid()

        /// Waits for the bomb's report after line `from`; the number of children it made.
        func bombReport(from start: Int) async throws -> Int {
            let line = try await swinit.process.waitForLine(in: .stdout, from: start, timeout: .seconds(20), "the bomb's report") {
                $0.contains("| made ")
            }
            let words = line.text.split(separator: " ")
            let made = words.firstIndex(of: "made").flatMap { Int(words[words.index(after: $0)]) } ?? -1
            #expect(line.text.hasSuffix("(errno EAGAIN)"), "the bomb stopped at a failed fork, not at its own bound: \(line.text)")
            #expect(made > 0 && made < 64, "the nproc limit of 64 (for nobody's processes) bounds the bomb: \(line.text)")
            return made
        }

        /// Stops the bomb and checks that every process it made is gone, reaped: none left
        /// below swinit but `steady`, no zombie anywhere in the namespace.
        func stopBomb(_ made: Int) async throws {
            let main = try await serviceProcess(swinit, "hostile_forkbomb.py")
            let children = ProcFS.children(of: main)
            #expect(children.count == made, "the bomb's children are alive before the stop: \(children.count) of \(made)")
            let stop = try await initctl(swinit, ["stop", "bomb"])
            #expect(stop.status == .exited(0), "\(stop)")
            try await waitForState(swinit, "bomb", "stopped")
            do {
                _ = try await waitUntil(timeout: .seconds(10), "the bomb's \(children.count) children to be reaped") {
                    children.allSatisfy(ProcFS.isGone) && ProcFS.isGone(main) ? true : nil
                }
            } catch {
                let left = children.filter { !ProcFS.isGone($0) }
                Issue.record("\(left.count) of the bomb's children are left (states \(Set(left.compactMap(ProcFS.state)))) \(error)")
            }
            let below = ProcFS.descendants(of: swinitPid)
            #expect(below.count == 1 && below.allSatisfy { ProcFS.comm($0) == "sleep" }, "only steady is left under swinit: \(below.map { ($0, ProcFS.comm($0) ?? "?", ProcFS.state($0) ?? "?") })")
            #expect(below.allSatisfy { ProcFS.state($0) != "Z" }, "no zombies under swinit")
        }

        // Baseline with the bomb running at its limit (and the test's first initctl done).
        let made = try await bombReport(from: 0)
        let running = descriptorCount(swinitPid)
        try await expectHealthy(swinit, services: ["bomb", "steady"], descriptors: running, "the fork bomb hit its limit")

        try await stopBomb(made)
        let stopped = descriptorCount(swinitPid)
        #expect(stopped < running, "the stopped bomb's pidfd and pipes are closed (\(stopped) vs \(running) while running)")
        try await expectHealthy(swinit, services: ["bomb", "steady"], descriptors: stopped, "the bomb was stopped")

        // Again: the same counts at the same moments, so nothing accumulated.
        let lines = swinit.process.lines(.stdout).count
        let start = try await initctl(swinit, ["start", "bomb"])
        #expect(start.status == .exited(0), "\(start)")
        let again = try await bombReport(from: lines)
        // RLIMIT_NPROC counts every process of the uid on the machine, and other suites may run
        // as nobody at the same time: both bombs stop at the limit, not necessarily at the same count.
        #expect(made > 0 && made < 64 && again > 0 && again < 64, "both bombs stop below the nproc limit of 64: \(made), \(again)")
        try await expectHealthy(swinit, services: ["bomb", "steady"], descriptors: running, "the second fork bomb hit its limit")
        try await stopBomb(again)
        try await expectHealthy(swinit, services: ["bomb", "steady"], descriptors: stopped, "the second bomb was stopped")
    }

    @Test("a service that closes all its descriptors runs on, and its exits restart it per its policy")
    func closesEverything() async throws {
        let dir = try TemporaryDirectory()
        let events = dir.file("events")
        let release = dir.file("release")
        let config = try dir.writeConfig("""
            [services.closer]
            command = [\((Fixtures.python("hostile_closer.py") + [events, release]).map { "\"\($0)\"" }.joined(separator: ", "))]
            restart = "always"
            backoff = "100ms"
            start-time = "0"

            [services.steady]
            command = ["sleep", "1000"]
            """)
        let swinit = try await launch(config, running: ["closer", "steady"])
        defer { swinit.terminate() }
        let swinitPid = try await swinit.pid()

        func runs() -> [String] { (dir.read("events") ?? "").split(separator: "\n").map(String.init) }
        // Run 1 has closed everything and waits for the release file: the baseline moment
        // (closer and steady alive).
        _ = try await waitUntil(timeout: .seconds(10), "run 1 of closer; events: \(runs())") { runs().first { $0.hasPrefix("up 1 ") } }
        #expect(runs().first == nil || runs()[0].hasSuffix("fds=0"), "the service has no descriptor left: \(runs())")
        let first = try await serviceProcess(swinit, "hostile_closer.py")
        #expect(ProcFS.descriptors(first).isEmpty, "closer holds no descriptors: \(ProcFS.descriptors(first))")
        let baseline = descriptorCount(swinitPid)
        try await expectHealthy(swinit, services: ["closer", "steady"], descriptors: baseline, "closer closed its descriptors")

        // Runs 1 and 2 exit with 3: restarted after 100 ms and 200 ms; run 3 stays up.
        #expect(FileManager.default.createFile(atPath: release, contents: nil))
        _ = try await waitUntil(timeout: .seconds(10), "run 3 of closer; events: \(runs())") { runs().first { $0.hasPrefix("up 3 ") } }
        try await waitForState(swinit, "closer", "running", restarts: 2)
        try await swinit.waitForLine(containing: "closer exited with code 3; restarting in 100ms", in: .stderr)
        try await swinit.waitForLine(containing: "closer exited with code 3; restarting in 200ms", in: .stderr)
        #expect(runs().count == 3, "exactly three runs: \(runs())")
        let third = try await serviceProcess(swinit, "hostile_closer.py")
        #expect(third != first && ProcFS.descriptors(third).isEmpty, "run 3 runs with no descriptors")
        // The same moment as the baseline: closer and steady alive. Two exits and restarts
        // closed what the first two runs had (pidfds, pipes).
        try await expectHealthy(swinit, services: ["closer", "steady"], descriptors: baseline, "two exits and restarts of closer")

        // And it can still be stopped.
        let stop = try await initctl(swinit, ["stop", "closer"])
        #expect(stop.status == .exited(0), "\(stop)")
        try await waitForState(swinit, "closer", "stopped")
        #expect(ProcFS.isGone(third) || !ProcFS.isAlive(third))
    }

    // The log directory is a 256 KiB tmpfs mounted in swinit's own mount namespace (`unshare
    // --mount-proc` makes a private one), before swinit starts. Rotation alone would never fill
    // it (max-files 2 keeps at most 3 × 64 KiB = 192 KiB), so a 240 KiB filler leaves 16 KiB:
    // the log writes hit ENOSPC, in the live file and again after each rotation.
    @Test("log files on a full disk: one error logged, the service keeps writing and can be stopped, no descriptor leaks")
    func fullDisk() async throws {
        let dir = try TemporaryDirectory()
        let logs = dir.file("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: false)
        let progress = dir.file("progress")
        let total = 4 << 20
        let config = try dir.writeConfig("""
            [services.chatty]
            command = [\((Fixtures.python("hostile_logger.py") + [String(total), progress]).map { "\"\($0)\"" }.joined(separator: ", "))]
            stdout = { file = "\(logs)/chatty.log", max-size = "64KiB", max-files = 2 }
            stop-timeout = "5s"

            [services.steady]
            command = ["sleep", "1000"]
            """)
        let prefix = """
            mount -t tmpfs -o size=256k tmpfs '\(logs)' || { echo "hostile test: mount failed" >&2; exit 97; }
            dd if=/dev/zero of='\(logs)/filler' bs=1024 count=240 2>/dev/null || { echo "hostile test: filler failed" >&2; exit 98; }
            """
        let swinit = try await launch(config, running: ["chatty", "steady"], shellPrefix: prefix)
        defer { swinit.terminate() }
        let swinitPid = try await swinit.pid()
        let baseline = descriptorCount(swinitPid)

        // In swinit's mount namespace, the log directory is the tmpfs.
        let mounts = (ProcFS.readText("/proc/\(swinitPid)/mounts") ?? "").split(separator: "\n")
        #expect(mounts.contains { $0.split(separator: " ").count > 2 && $0.split(separator: " ")[1] == logs && $0.split(separator: " ")[2] == "tmpfs" },
                "the log directory is a tmpfs for swinit: \(mounts.filter { $0.contains(logs) })")

        // The service wrote 4 MiB, 16 times the disk, without being blocked.
        let wrote = try await waitUntil(timeout: .seconds(20), "chatty to write \(total) bytes (progress file)") {
            ProcFS.readText(progress).flatMap { $0.isEmpty ? nil : $0 }
        }
        #expect(wrote.hasPrefix("wrote "), "\(wrote)")
        try await swinit.waitForLine(containing: "write \(logs)/chatty.log: No space left on device", in: .stderr)
        // And it goes on writing (a line every 10 ms): its output is read and dropped.
        let chatty = try await serviceProcess(swinit, "hostile_logger.py")
        let switches = ProcFS.voluntaryContextSwitches(chatty) ?? 0
        _ = try await waitUntil(timeout: .seconds(5), "chatty to keep running") {
            (ProcFS.voluntaryContextSwitches(chatty) ?? 0) > switches + 20 ? true : nil
        }
        let state = ProcFS.state(chatty)
        #expect(state == "S" || state == "R", "chatty is not stuck: state \(state.map(String.init) ?? "gone")")

        // Logged once per failing stretch, not once per write: the 4 MiB made hundreds of
        // failed writes (a stretch ends only when a rotation frees space and a write succeeds).
        let errors = swinit.text(.stderr).filter { $0.contains("No space left on device") }
        #expect(errors.count >= 1 && errors.count <= 5, "the write error is logged once, not a flood: \(errors.count) lines\n\(swinit)")
        try await expectHealthy(swinit, services: ["chatty", "steady"], descriptors: baseline, "writing 4 MiB of logs onto a full disk")

        // Stoppable at once.
        let started = ContinuousClock.now
        let stop = try await initctl(swinit, ["stop", "chatty"])
        #expect(stop.status == .exited(0), "\(stop)")
        try await waitForState(swinit, "chatty", "stopped")
        #expect((ContinuousClock.now - started).seconds < 3, "chatty stopped on its stop signal, not after the 5 s stop timeout")
        #expect(swinit.text(.stderr).contains { $0.contains("chatty stopped (killed by SIGTERM)") }, "\(swinit)")
        try await expectHealthy(swinit, services: ["chatty", "steady"], descriptors: nil, "stopping chatty")
    }

    @Test("swinit check on NUL bytes, 10 MiB values, 100,000 services and random bytes: exit 1, a positioned error, in bounded time")
    func hostileConfigs() async throws {
        let dir = try TemporaryDirectory()
        let huge = String(repeating: "x", count: 10 << 20)

        /// `swinit check --config FILE` on `contents`: exit 1 (not a crash), within `seconds`,
        /// and an error at `line` (and `column`, when given) naming `fragment`; the error
        /// output stays small (a huge value is not echoed back whole).
        func check(_ name: String, _ contents: Data, positioned: Bool = true, line: Int? = nil, column: Int? = nil,
                   fragment: String?, seconds: Double = 5, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let path = dir.file(name)
            #expect(FileManager.default.createFile(atPath: path, contents: contents))
            let result = try await hostileRun([Paths.swinit, "check", "--config", path], timeout: .seconds(seconds))
            guard let status = result.status else {
                Issue.record("\(name): swinit check did not finish within \(seconds)s (killed): \(result)", sourceLocation: sourceLocation)
                return
            }
            #expect(status == .exited(1), "\(name): exit 1, not a crash: \(result)", sourceLocation: sourceLocation)
            let first = result.err.first ?? ""
            if let line {
                let position = "\(path):\(line):" + (column.map { "\($0):" } ?? "")
                #expect(first.hasPrefix(position), "\(name): a positioned error \(position)…: \(result)", sourceLocation: sourceLocation)
            } else if positioned {
                let rest = first.hasPrefix(path + ":") ? first.dropFirst(path.count + 1).split(separator: ":", maxSplits: 2) : []
                #expect(rest.count == 3 && Int(rest[0]) != nil && Int(rest[1]) != nil,
                        "\(name): a positioned error \(path):LINE:COLUMN: …: \(result)", sourceLocation: sourceLocation)
            } else {
                #expect(first.contains(path), "\(name): the error names the file: \(result)", sourceLocation: sourceLocation)
            }
            if let fragment { #expect(first.contains(fragment), "\(name): the error says \"\(fragment)\": \(result)", sourceLocation: sourceLocation) }
            let bytes = result.err.reduce(0) { $0 + $1.utf8.count + 1 }
            #expect(bytes < 64 << 10, "\(name): \(bytes) bytes of error output for one error (the value echoed whole?)", sourceLocation: sourceLocation)
            #expect(result.out.isEmpty, "\(name): no summary for a bad file", sourceLocation: sourceLocation)
        }
        func text(_ string: String) -> Data { Data(string.utf8) }

        // NUL bytes: in a string, in a key, in a comment.
        try await check("nul-string.toml", text("[services.a]\ncommand = [\"sleep\", \"1\0000\"]\n"),
                        line: 2, column: 23, fragment: "NUL byte")
        try await check("nul-key.toml", text("[services.a]\ncomm\0and = [\"sleep\", \"1\"]\n"), line: 2, column: 5, fragment: "NUL")
        try await check("nul-comment.toml", text("# a comment \0\n[services.a]\ncommand = [\"sleep\", \"1\"]\n"),
                        line: 1, column: 13, fragment: "NUL")

        // 10 MiB values: unterminated; valid, followed by an error (positions stay right);
        // where a choice is expected (the error quotes the value and looks for a near miss).
        // The "did you mean" edit distance builds a full (n+1)×(m+1) matrix of arrays for every
        // candidate, so a huge word costs seconds per MiB and GBs of memory: seen here, the
        // 10 MiB choice took 24 s (1.4 GB, 10 MiB of stderr) and the 1 MiB key 42 s (debug).
        try await check("huge-unterminated.toml", text("[services.a]\ncommand = [\"sleep\", \"\(huge)\n"),
                        line: 2, column: 21, fragment: "unterminated string")
        try await check("huge-then-typo.toml", text("[services.a]\ncommand = [\"sleep\", \"\(huge)\"]\nrestrat = \"always\"\n"),
                        line: 3, column: 1, fragment: "unknown key 'restrat'; did you mean 'restart'?")
        try await check("huge-choice.toml", text("[services.a]\ncommand = [\"sleep\", \"1\"]\nrestart = \"\(huge)\"\n"),
                        line: 3, column: 11, fragment: "is not one of \"always\", \"on-failure\", \"never\"")
        // A 1 MiB key: an unknown key, compared with every known one for a "did you mean".
        try await check("huge-key.toml", text("[services.a]\ncommand = [\"sleep\", \"1\"]\n\(String(repeating: "k", count: 1 << 20)) = 1\n"),
                        line: 3, column: 1, fragment: "unknown key")

        // 100,000 services (4.5 MiB), the last one with a typo: found, at its line.
        var many = ""
        many.reserveCapacity(5 << 20)
        for i in 0..<100_000 { many += "[services.s\(i)]\ncommand = [\"sleep\", \"1000\"]\n" }
        many += "[services.last]\ncommand = [\"sleep\", \"1000\"]\nrestrat = \"always\"\n"
        try await check("many.toml", text(many), line: 200_003, column: 1, fragment: "services.last.restrat: unknown key 'restrat'",
                        seconds: 15)

        // Random bytes: 1 MiB (parsed: a positioned error), 20 MiB (over the 16 MiB read limit:
        // a clear size error naming the file).
        try await check("random-1m.toml", try randomBytes(1 << 20), fragment: nil)
        try await check("random-20m.toml", try randomBytes(20 << 20), positioned: false, fragment: "too large")
    }

    @Test("request lines longer than PIPE_BUF and binary garbage in the request FIFO: status answers, descriptors unchanged")
    func controlGarbage() async throws {
        let dir = try TemporaryDirectory()
        let config = try dir.writeConfig("""
            [services.steady]
            command = ["sleep", "1000"]

            [services.other]
            command = ["sleep", "1000"]
            """)
        let swinit = try await launch(config, running: ["steady", "other"])
        defer { swinit.terminate() }
        let swinitPid = try await swinit.pid()
        let baseline = descriptorCount(swinitPid)
        let fifo = try #require(swinit.controlDirectory) + "/control"

        let fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        #expect(fd >= 0, "open \(fifo): \(String(cString: strerror(errno)))")
        guard fd >= 0 else { return }
        // A status request whose reply name makes it 256 KiB long (64 times PIPE_BUF); one just
        // over PIPE_BUF; a line of 5,000 random bytes; 64 KiB of random bytes with their own
        // (random) newlines; then a NUL-laden line. Every line ends with a newline.
        var flood = Array(#"{"v":1,"reply":"reply."#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 256 << 10)
            + Array(#"","verb":"status"}"#.utf8) + [10]
        flood += Array(#"{"v":1,"verb":"stop","names":["steady"],"pad":""#.utf8) + [UInt8](repeating: UInt8(ascii: "b"), count: 4096)
            + Array(#""}"#.utf8) + [10]
        flood += Array(try randomBytes(5000)).map { $0 == 10 ? 32 : $0 } + [10]
        flood += Array(try randomBytes(64 << 10)) + [10]
        flood += [0, 0, 0, 0xff, 0xfe, 0x7b, 0x22, 0, 10]
        do {
            try writeNonBlocking(fd, flood)
        } catch {
            Issue.record("\(error)")
        }
        close(fd)
        try await swinit.waitForLine(containing: "control: dropped a request longer than 4095 bytes", in: .stderr)
        try await expectHealthy(swinit, services: ["steady", "other"], descriptors: baseline, "\(flood.count) bytes of long lines and garbage")
        // The over-long stop request was dropped, not half-executed.
        try await waitForState(swinit, "steady", "running")
    }

    // A client that dies (or a hostile one that stops) in the middle of a line leaves the start
    // of a line in the FIFO; swinit cannot tell writers apart, so the next client's request is
    // glued to it — unless requests begin with a newline (an empty line is skipped, and a
    // newline also ends the skipping of an over-long line).
    @Test("a writer that leaves an unterminated line (garbage, or an over-long line) does not eat the next client's request")
    func unterminatedGarbage() async throws {
        let dir = try TemporaryDirectory()
        let config = try dir.writeConfig("""
            [services.steady]
            command = ["sleep", "1000"]
            """)
        let swinit = try await launch(config, running: ["steady"])
        defer { swinit.terminate() }
        let swinitPid = try await swinit.pid()
        let baseline = descriptorCount(swinitPid)
        let fifo = try #require(swinit.controlDirectory) + "/control"

        let leftovers: [(String, [UInt8])] = [
            ("binary garbage without a newline", [0x67, 0x61, 0x72, 0, 0xff, 0xfe, 0x7b]),
            ("an 8 KiB line without a newline", Array(#"{"v":1,"verb":"status","reply":"reply."#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 8192)),
        ]
        for (what, bytes) in leftovers {
            let fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            #expect(fd >= 0, "open \(fifo): \(String(cString: strerror(errno)))")
            guard fd >= 0 else { return }
            try writeNonBlocking(fd, bytes)
            close(fd)
            // The next request, sent whole, must be answered.
            let status = try await initctl(swinit, ["status", "--timeout", "2s"])
            #expect(status.status == .exited(0) && status.out.contains { $0.hasPrefix("steady ") },
                    "the first initctl status after \(what): \(status)")
            try await expectHealthy(swinit, services: ["steady"], descriptors: baseline, what)
        }
    }
}
