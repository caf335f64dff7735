// Multi-service supervision from a TOML config, end to end: the real binary as PID 1 of a
// new PID namespace, services as small shell scripts that append to a shared event file
// (O_APPEND writes of one short line are atomic, so the file's order is the real order).

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A service body: logs "NAME start" to EVENTS, "NAME stop" on TERM, then idles.
private func idleService(_ name: String, events: String, stopTime: String = "0") -> String {
    """
    command = ["/bin/sh", "-c", "echo '\(name) start' >> \(events); trap 'echo \(name) stop >> \(events); sleep \(stopTime); exit 0' TERM; while :; do sleep 0.05; done"]
    """
}

@Suite("Supervision from a config", .serialized, .timeLimit(.minutes(3)))
struct SupervisionTests {
    @Test("web requires db and waits for the migrate oneshot: they start in that order and stop in reverse")
    func dependencyOrder() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let config = try dir.writeConfig("""
            [services.web]
            \(idleService("web", events: log))
            requires = ["db"]
            after = ["migrate"]

            [services.migrate]
            type = "oneshot"
            command = ["/bin/sh", "-c", "echo 'migrate start' >> \(log); sleep 0.3; echo 'migrate done' >> \(log)"]

            [services.db]
            \(idleService("db", events: log, stopTime: "0.2"))
            """)
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        let started = try await dir.waitForLines { $0.contains("web start") }
        let position = { (line: String) in started.firstIndex(of: line)! }
        #expect(position("migrate done") < position("web start"), "\(started)")
        #expect(position("db start") < position("web start"), "\(started)")
        try await swinit.signal(SIGTERM)
        #expect(try await swinit.waitForExit() == .exited(0))
        let all = dir.lines("events")
        let stopWeb = all.firstIndex(of: "web stop"), stopDb = all.firstIndex(of: "db stop")
        #expect(stopWeb != nil && stopDb != nil && stopWeb! < stopDb!, "web must stop before the db it requires: \(all)")
    }

    @Test("a crashing service restarts after delays that follow the backoff (within 10% + 100 ms)")
    func backoffTiming() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let config = try dir.writeConfig("""
            [services.crash]
            command = ["/bin/sh", "-c", "echo \\"start $(date +%s.%N)\\" >> \(log); echo \\"exit $(date +%s.%N)\\" >> \(log); exit 1"]
            backoff = "200ms"
            backoff-max = "800ms"
            start-retries = "unlimited"
            """)
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        let lines = try await dir.waitForLines(timeout: .seconds(15)) { $0.filter { $0.hasPrefix("start") }.count >= 5 }
        let times = lines.map { (String($0.split(separator: " ")[0]), Double($0.split(separator: " ")[1])!) }
        var gaps: [Double] = []
        for i in times.indices.dropFirst() where times[i].0 == "start" && times[i - 1].0 == "exit" {
            gaps.append(times[i].1 - times[i - 1].1)
        }
        let expected = [0.2, 0.4, 0.8, 0.8]
        #expect(gaps.count >= 4, "\(lines)")
        for (gap, want) in zip(gaps, expected) {
            #expect(abs(gap - want) <= want * 0.1 + 0.1, "restart after \(gap)s, expected \(want)s (gaps: \(gaps))")
        }
    }

    @Test("a service that exits at once goes fatal after its start retries, and the others keep running")
    func fatalAfterRetries() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let config = try dir.writeConfig("""
            [services.broken]
            command = ["/bin/sh", "-c", "echo attempt >> \(log); exit 2"]
            start-retries = 2
            backoff = "0s"

            [services.steady]
            \(idleService("steady", events: log))
            """)
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        try await swinit.waitForLine(containing: "broken exited with code 2; gave up after 3 quick exits", in: .stderr)
        let lines = try await dir.waitForLines { $0.contains("steady start") }
        #expect(lines.filter { $0 == "attempt" }.count == 3, "one start and two retries: \(lines)")
        #expect(swinit.process.status == nil, "a fatal service does not end the container by default")
        try await swinit.signal(SIGTERM)
        #expect(try await swinit.waitForExit() == .exited(0))
    }

    @Test("a critical service's exit 5 ends the container with 5, after stopping the rest")
    func criticalExitCode() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let config = try dir.writeConfig("""
            [services.job]
            command = ["/bin/sh", "-c", "sleep 0.3; exit 5"]
            critical = true
            restart = "never"

            [services.side]
            \(idleService("side", events: log))
            """)
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        #expect(try await swinit.waitForExit() == .exited(5))
        #expect((dir.read("events") ?? "").contains("side stop"), "the other service was stopped, not killed by the kernel")
    }

    @Test("SIGTERM stops every service before swinit exits, and leaves no process behind")
    func everythingStops() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let names = ["a", "b", "c", "d"]
        let config = try dir.writeConfig(names.map { "[services.\($0)]\n\(idleService($0, events: log))\n" }.joined(separator: "\n"))
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        _ = try await dir.waitForLines { lines in names.allSatisfy { lines.contains("\($0) start") } }
        let root = try await swinit.pid()
        let services = ProcFS.descendants(of: root)
        #expect(services.count >= names.count)
        try await swinit.signal(SIGTERM)
        #expect(try await swinit.waitForExit() == .exited(0))
        let lines = dir.lines("events")
        for name in names { #expect(lines.contains("\(name) stop"), "\(name) got no SIGTERM: \(lines)") }
        for pid in services { #expect(ProcFS.isGone(pid), "pid \(pid) outlived swinit") }
    }

    @Test("20 services that each take 1 s to stop are stopped in about 1 s, not 20")
    func parallelStop() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let names = (0..<20).map { "s\($0)" }
        let config = try dir.writeConfig(names.map { "[services.\($0)]\n\(idleService($0, events: log, stopTime: "1"))\n" }.joined(separator: "\n"))
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        _ = try await dir.waitForLines { lines in names.allSatisfy { lines.contains("\($0) start") } }
        let sent = ContinuousClock.now
        try await swinit.signal(SIGTERM)
        #expect(try await swinit.waitForExit(timeout: .seconds(15)) == .exited(0))
        let took = (swinit.exitTime! - sent).seconds
        #expect(took >= 0.9 && took < 2.5, "stopping took \(took) s")
    }

    @Test("a service that ignores SIGTERM is killed at its stop timeout")
    func stopTimeout() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let config = try dir.writeConfig("""
            [services.stubborn]
            command = ["/bin/sh", "-c", "trap '' TERM; echo ready >> \(log); while :; do sleep 0.05; done"]
            stop-timeout = "1s"
            """)
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        _ = try await dir.waitForLines { $0.contains("ready") }
        let sent = ContinuousClock.now
        try await swinit.signal(SIGTERM)
        #expect(try await swinit.waitForExit() == .exited(0))
        let took = (swinit.exitTime! - sent).seconds
        #expect(abs(took - 1.0) <= 0.1 + 0.2, "killed after \(took) s, expected 1 s")
        try await swinit.waitForLine(containing: "stubborn did not stop within 1s: sending SIGKILL", in: .stderr)
    }

    @Test("a config error stops swinit before anything starts, with file, line and column")
    func configErrorAtStart() async throws {
        let dir = try TemporaryDirectory()
        let config = try dir.writeConfig("[services.a]\ncommand = [\"/bin/true\"]\nrestart = \"sometimes\"\n")
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        #expect(try await swinit.waitForExit() == .exited(1))
        #expect(swinit.text(.stderr).contains("\(config):3:11: services.a.restart: \"sometimes\" is not one of \"always\", \"on-failure\", \"never\""))
    }

    @Test("reload starts new services, stops removed ones, restarts changed ones and leaves unchanged ones running")
    func reloadAppliesTheDifference() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        func config(_ services: [(String, String)]) -> String {
            services.map { "[services.\($0.0)]\n\(idleService($0.1, events: log))\n" }.joined(separator: "\n")
        }
        let path = try dir.writeConfig(config([("keep", "keep"), ("old", "old"), ("edit", "edit v1")]))
        let swinit = try Swinit.launch(["--config", path])
        defer { swinit.terminate() }
        _ = try await dir.waitForLines { ["keep start", "old start", "edit v1 start"].allSatisfy($0.contains) }
        let root = try await swinit.pid()
        func pid(of marker: String) -> Int32? {
            ProcFS.descendants(of: root).first { ProcFS.cmdline($0).joined(separator: " ").contains("echo '\(marker) start'") }
        }
        let keepPid = try #require(pid(of: "keep"))
        let editPid = try #require(pid(of: "edit v1"))

        // By SIGHUP: add `new`, remove `old`, change `edit`.
        try dir.writeConfig(config([("keep", "keep"), ("new", "new"), ("edit", "edit v2")]))
        try await swinit.signal(SIGHUP)
        let after = try await dir.waitForLines { ["new start", "old stop", "edit v1 stop", "edit v2 start"].allSatisfy($0.contains) }
        #expect(after.filter { $0 == "keep start" }.count == 1, "keep was not restarted: \(after)")
        #expect(pid(of: "keep") == keepPid, "an unchanged service keeps its process")
        #expect(ProcFS.isGone(editPid), "the changed service's old process is gone")
        #expect(after.firstIndex(of: "edit v1 stop")! < after.firstIndex(of: "edit v2 start")!, "the replacement starts after the old one stopped: \(after)")

        // By initctl: an invalid config changes nothing and reports the error with its position.
        try dir.writeConfig("[services.keep\n")
        let initctl = try TestProcess([Paths.initctl, "--control-dir", swinit.controlDirectory!, "reload"])
        defer { initctl.terminate() }
        #expect(try await initctl.waitForExit() == .exited(1))
        #expect(initctl.text(.stderr).contains { $0.contains("\(path):1:15: expected ']'") }, "\(initctl.text(.stderr))")
        #expect(pid(of: "keep") == keepPid && pid(of: "new") != nil)
        try await swinit.signal(SIGTERM)
        #expect(try await swinit.waitForExit() == .exited(0))
    }
}

@Suite("Reload leaks nothing")
struct ReloadLeakTests {
    @Test("ten reloads that each change a service leave swinit with the same descriptors (review find)")
    func noDescriptorLeak() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        func write(_ n: Int) throws {
            try dir.writeConfig("[services.a]\ncommand = [\"/bin/sh\", \"-c\", \"echo start \(n) >> \(log); exec sleep 1000\"]\n")
        }
        try write(0)
        let swinit = try Swinit.launch(["--config", dir.file("swinit.toml")])
        defer { swinit.terminate() }
        _ = try await dir.waitForLines { $0.contains("start 0") }
        let root = try await swinit.pid()
        let before = ProcFS.descriptors(root).count
        for n in 1...10 {
            try write(n)
            try await swinit.signal(SIGHUP)
            _ = try await dir.waitForLines { $0.contains("start \(n)") }
        }
        let after = try await waitUntil(timeout: .seconds(5), "the descriptors to settle") { () -> Int? in
            let count = ProcFS.descriptors(root).count
            return count == before ? count : nil
        }
        #expect(after == before)
    }
}

@Suite("Examples")
struct ExampleConfigTests {
    static let examples = ["examples/web-app/swinit.toml", "examples/cron/swinit.toml", "examples/single/swinit.toml", "examples/demo/swinit.toml", "examples/image/swinit.toml"]

    /// `swinit check` with stub executables for every program the examples name.
    func check(_ arguments: [String]) async throws -> (ExitStatus, [String], [String]) {
        let dir = try TemporaryDirectory()
        for program in ["python3", "gunicorn", "celery", "nginx", "node", "redis-server", "bundle", "sh"] {
            try dir.writeScript(program, "exit 0")
        }
        let process = try TestProcess([Paths.swinit, "check"] + arguments, environment: ["PATH": dir.path, "TZ": "UTC"])
        defer { process.terminate() }
        let status = try await process.waitForExit()
        return (status, process.text(), process.text(.stderr))
    }

    @Test("swinit check accepts every example config", arguments: examples)
    func examplesAreValid(path: String) async throws {
        let (status, out, err) = try await check(["--config", Paths.packageRoot + "/" + path])
        #expect(status == .exited(0), "stdout: \(out)\nstderr: \(err)")
        #expect(out.last?.contains(": OK, ") == true, "the last line is the summary: \(out)")
    }

    @Test("swinit check accepts the Procfile example")
    func procfileIsValid() async throws {
        let (status, out, err) = try await check(["--procfile", Paths.packageRoot + "/examples/procfile/Procfile"])
        #expect(status == .exited(0), "stdout: \(out)\nstderr: \(err)")
    }

    @Test("swinit check fails with exit 1 and every error")
    func checkFails() async throws {
        let dir = try TemporaryDirectory()
        let config = try dir.writeConfig("[services.a]\ncommand = [\"/nonexistent\"]\nuser = \"no-such-user\"\nrestart = \"x\"\n")
        let (status, _, err) = try await check(["--config", config])
        #expect(status == .exited(1))
        #expect(err.contains { $0.contains(":4:11: services.a.restart:") }, "\(err)")
    }
}

@Suite("Arbitrary uid, read-only root", .serialized, .enabled(if: getuid() == 0, "needs root to remount / and change uid"))
struct ReadOnlyRootTests {
    @Test("as uid 65534 on a read-only root, services run, output flows, the control channel falls back, nothing is chowned")
    func openShiftStyle() async throws {
        let dir = try TemporaryDirectory()
        chmod(dir.path, 0o755)
        let config = try dir.writeConfig("""
            [services.app]
            command = ["/bin/sh", "-c", "echo running as $(id -u); trap 'echo stopping; exit 0' TERM; while :; do sleep 0.05; done"]
            """)
        // /tmp stays writable (an emptyDir in Kubernetes); everything else is read-only.
        let prefix = "mount --bind /tmp /tmp && mount -o remount,bind,ro / && touch /probe 2>/dev/null && exit 99"
        let command = Swinit.commandLine(["--reuid=65534", "--regid=65534", "--clear-groups", Paths.swinit, "--config", config],
                                         mode: .pid1, shellPrefix: prefix, binary: "/usr/bin/setpriv")
        let process = try TestProcess(command, environment: ["SWINIT_CONTROL_DIR": ""])
        defer { process.terminate() }
        try await process.waitForLine(containing: "| running as 65534")
        let note = try await process.waitForLine(containing: "is not usable", in: .stderr)
        #expect(note.text.contains("/tmp/swinit-65534"), "\(note.text)")
        var st = stat()
        #expect(stat("/tmp/swinit-65534", &st) == 0 && st.st_uid == 65534 && st.st_mode & 0o777 == 0o700)
        let swinit = try #require(ProcFS.children(of: process.pid).first)
        #expect(ProcFS.status(swinit)["Uid"]?.hasPrefix("65534") == true)
        kill(swinit, SIGTERM)
        #expect(try await process.waitForExit() == .exited(0))
        #expect(process.text().contains { $0.hasPrefix("app ") && $0.hasSuffix("| stopping") }, "\(process.text())")
        try? FileManager.default.removeItem(atPath: "/tmp/swinit-65534")
    }
}

@Suite("initctl logs")
struct LogsFollowTests {
    @Test("initctl logs -n shows the last lines, and -f follows new ones as they come")
    func follow() async throws {
        let dir = try TemporaryDirectory()
        let config = try dir.writeConfig("""
            [services.ticker]
            command = ["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done"]
            """)
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        try await swinit.waitForLine(containing: "| tick 5")
        let last = try TestProcess([Paths.initctl, "--control-dir", swinit.controlDirectory!, "logs", "ticker", "-n", "2"])
        defer { last.terminate() }
        #expect(try await last.waitForExit() == .exited(0))
        let shown = last.text()
        #expect(shown.count == 2 && shown.allSatisfy { $0.hasPrefix("tick ") }, "\(shown)")
        let follower = try TestProcess([Paths.initctl, "--control-dir", swinit.controlDirectory!, "logs", "ticker", "-n", "1", "-f"])
        defer { follower.terminate() }
        let first = try await follower.waitForLine(matching: { $0.hasPrefix("tick ") })
        let n = Int(first.text.dropFirst(5))!
        // Followed: later lines arrive, in order, without gaps.
        try await follower.waitForLine("tick \(n + 5)")
        let numbers = follower.text().compactMap { Int($0.dropFirst(5)) }
        #expect(numbers == Array(n...(n + 5)) || numbers.starts(with: Array(n...(n + 5))), "\(numbers)")
    }
}
