// swinit's PID-1 core, end to end: the real binary as PID 1 of a new PID namespace and as a
// plain child registered as subreaper. Fixtures are python3 scripts in Fixtures/.
//
// The whole suite runs serially: several tests measure time (stop timeout, grace, wake-ups),
// and the machine may have few CPUs.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("swinit as PID 1 and as subreaper", .serialized, .timeLimit(.minutes(3)))
struct PID1Tests {

    // MARK: (a) Zombies

    @Suite("Reaping")
    struct Reaping {
        @Test("a child that leaves 1,000 orphans which exit leaves no zombie behind", arguments: LaunchMode.allCases)
        func orphansAreReaped(mode: LaunchMode) async throws {
            let swinit = try Swinit.launch(["--"] + Fixtures.python("orphans.py", "1000"), mode: mode)
            defer { swinit.terminate() }
            let reaper = try await swinit.waitForValue(after: "reaper ")
            if mode == .pid1 { #expect(reaper == "1") }
            let adopter = try await swinit.waitForValue(after: "orphan adopted by ")
            #expect(adopter == reaper, "an orphan went to \(adopter), not to swinit (\(reaper))")
            #expect(try await swinit.waitForValue(after: "orphans ", timeout: .seconds(30)) == "1000")
            let zombies = try await swinit.waitForValue(after: "zombies ", timeout: .seconds(30))
            #expect(zombies == "0", "zombies left with swinit as parent after 10 s")
            #expect(try await swinit.waitForExit() == .exited(0))
        }

        @Test("when not PID 1, -v reports that swinit registered as child subreaper", arguments: LaunchMode.allCases)
        func subreaperRegistration(mode: LaunchMode) async throws {
            let swinit = try Swinit.launch(["-v", "--", "/bin/true"], mode: mode)
            defer { swinit.terminate() }
            #expect(try await swinit.waitForExit() == .exited(0))
            let registered = swinit.text(.stderr).contains { $0.contains("registered as child subreaper") }
            #expect(registered == (mode == .subreaper), "stderr: \(swinit.text(.stderr))")
        }
    }

    // MARK: (b) Signal forwarding

    @Suite("Signal forwarding")
    struct Forwarding {
        static let forwarded: [Sig] = [.term, .int, .hup, .quit, .usr1, .usr2, .winch]

        @Test("a signal sent to swinit reaches the child and a grandchild in its process group",
              arguments: forwarded, LaunchMode.allCases)
        func reachesTheGroup(signal: Sig, mode: LaunchMode) async throws {
            let swinit = try Swinit.launch(["--"] + Fixtures.python("signals.py"), mode: mode)
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            try await swinit.signal(signal.number)
            try await swinit.waitForLine("child got \(signal.name)")
            try await swinit.waitForLine("grandchild got \(signal.name)")
            if !signal.endsSignalsFixture { try await swinit.signal(SIGTERM) }
            #expect(try await swinit.waitForExit() == .exited(0))
            if signal.endsSignalsFixture {
                // The child waits for its grandchild before exiting: the grandchild got the
                // signal from swinit, not from the sweep of leftovers after the child's exit.
                let out = swinit.text()
                let grandchild = out.firstIndex(of: "grandchild got \(signal.name)")
                let exiting = out.firstIndex(of: "child exiting")
                #expect(grandchild != nil && exiting != nil && grandchild! < exiting!, "stdout: \(out)")
            }
        }

        @Test("--single-child signals the child but not its grandchild",
              arguments: [Sig.hup, .quit, .usr1, .usr2, .winch])
        func singleChild(signal: Sig) async throws {
            let swinit = try Swinit.launch(["--single-child", "--"] + Fixtures.python("signals.py", "--relay-probe"))
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            try await swinit.signal(signal.number)
            try await swinit.waitForLine("child got \(signal.name)")
            // Probe: the child relays SIGRTMIN to the grandchild. Signals are handled lowest
            // number first, so once the grandchild reports SIGRTMIN, it would have reported
            // the signal under test had swinit sent it to the group.
            try await swinit.signal(Sig.rtmin.number)
            try await swinit.waitForLine("grandchild got SIGRTMIN")
            #expect(!swinit.text().contains("grandchild got \(signal.name)"), "stdout: \(swinit.text())")
            try await swinit.signal(SIGTERM)
            #expect(try await swinit.waitForExit() == .exited(0))
        }

        @Test("-c: SIGTERM reaches the child alone; the grandchild only gets the sweep after the child's exit")
        func singleChildTerm() async throws {
            let swinit = try Swinit.launch(["-c", "--"] + Fixtures.python("signals.py"))
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            try await swinit.signal(SIGTERM)
            try await swinit.waitForLine("child got SIGTERM")
            #expect(try await swinit.waitForExit() == .exited(0))
            let out = swinit.text()
            let exiting = out.firstIndex(of: "child exiting")
            let grandchild = out.firstIndex(of: "grandchild got SIGTERM")
            #expect(exiting != nil, "stdout: \(out)")
            if let exiting, let grandchild { #expect(grandchild > exiting, "the grandchild got SIGTERM before the child exited: \(out)") }
        }

        @Test("--rewrite USR1:USR2 delivers SIGUSR2 instead of SIGUSR1")
        func rewrite() async throws {
            let swinit = try Swinit.launch(["--rewrite", "USR1:USR2", "--"] + Fixtures.python("signals.py"))
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            try await swinit.signal(SIGUSR1)
            try await swinit.waitForLine("child got SIGUSR2")
            try await swinit.waitForLine("grandchild got SIGUSR2")
            try await swinit.signal(Sig.rtmin.number)
            try await swinit.waitForLine("child got SIGRTMIN")
            try await swinit.waitForLine("grandchild got SIGRTMIN")
            #expect(!swinit.text().contains { $0.contains("SIGUSR1") }, "stdout: \(swinit.text())")
            try await swinit.signal(SIGTERM)
            #expect(try await swinit.waitForExit() == .exited(0))
        }

        @Test("--rewrite USR1:0 drops SIGUSR1")
        func rewriteToZeroDrops() async throws {
            let swinit = try Swinit.launch(["-r", "USR1:0", "--"] + Fixtures.python("signals.py"))
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            try await swinit.signal(SIGUSR1)
            // swinit reads pending signals lowest first, and the fixture handles them lowest
            // first: once SIGRTMIN has arrived, a forwarded SIGUSR1 would have too.
            try await swinit.signal(Sig.rtmin.number)
            try await swinit.waitForLine("child got SIGRTMIN")
            try await swinit.waitForLine("grandchild got SIGRTMIN")
            #expect(!swinit.text().contains { $0.contains("SIGUSR1") }, "stdout: \(swinit.text())")
            try await swinit.signal(SIGTERM)
            #expect(try await swinit.waitForExit() == .exited(0))
        }

        @Test("--rewrite TERM:INT stops the child with SIGINT")
        func rewriteStopSignal() async throws {
            let swinit = try Swinit.launch(["--rewrite", "TERM:INT", "--"] + Fixtures.python("signals.py"))
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            try await swinit.signal(SIGTERM)
            try await swinit.waitForLine("child got SIGINT")
            #expect(try await swinit.waitForExit() == .exited(0))
            #expect(swinit.text().contains("grandchild got SIGINT"))
            #expect(!swinit.text().contains { $0.contains("SIGTERM") }, "stdout: \(swinit.text())")
        }
    }

    // MARK: (c) Exit codes

    @Suite("Exit codes")
    struct ExitCodes {
        @Test("every exit code from 0 to 255 passes through unchanged",
              arguments: Array(stride(from: 0, to: 256, by: 32)))
        func passThrough(first: Int) async throws {
            try await withThrowingTaskGroup(of: (Int, ExitStatus).self) { group in
                for code in first..<(first + 32) {
                    group.addTask {
                        let swinit = try Swinit.launch(["--", Paths.sh, "-c", "exit \(code)"])
                        defer { swinit.terminate() }
                        return (code, try await swinit.waitForExit(timeout: .seconds(30)))
                    }
                }
                for try await (code, status) in group {
                    #expect(status == .exited(Int32(code)), "program exited \(code)")
                }
            }
        }

        struct Case: Sendable, CustomTestStringConvertible {
            let options: [String]
            let script: String
            let expected: Int32
            var testDescription: String { "\((options + ["--", "sh -c '\(script)'"]).joined(separator: " ")) → \(expected)" }
        }

        @Test("a child killed by signal N gives 128+N, and -e maps exit codes to 0", arguments: [
            Case(options: [], script: "kill -KILL $$", expected: 137),
            Case(options: [], script: "kill -TERM $$", expected: 143),
            Case(options: ["-e", "143"], script: "kill -TERM $$", expected: 0),
            Case(options: ["-e", "143"], script: "kill -KILL $$", expected: 137),
            Case(options: ["-e", "3", "--exit-zero", "143"], script: "exit 3", expected: 0),
            Case(options: ["-e", "3", "--exit-zero", "143"], script: "kill -TERM $$", expected: 0),
            Case(options: ["-e", "143"], script: "exit 4", expected: 4),
        ])
        func signalsAndExitZero(_ c: Case) async throws {
            let swinit = try Swinit.launch(c.options + ["--", Paths.sh, "-c", c.script])
            defer { swinit.terminate() }
            #expect(try await swinit.waitForExit() == .exited(c.expected))
        }
    }

    // MARK: (d) Programs that cannot run

    @Suite("Programs that cannot be run")
    struct CannotRun {
        enum Case: String, CaseIterable, Sendable, CustomTestStringConvertible {
            case missingPath = "a missing path → 127"
            case missingOnPath = "a name not on PATH → 127"
            case notExecutable = "a file without execute permission → 126"
            case notExecutableOnPath = "a non-executable file found on PATH → 126"
            var testDescription: String { rawValue }
        }

        @Test("a program that cannot be run gives 127 or 126 and says why on stderr", arguments: Case.allCases)
        func cannotRun(_ c: Case) async throws {
            let dir = try TemporaryDirectory()
            let script = try dir.write("not-executable", "#!/bin/sh\ntouch \(dir.file("ran"))\n", mode: 0o644)
            var environment: [String: String] = [:]
            let program: String, code: Int32, reason: String
            switch c {
            case .missingPath:
                (program, code, reason) = (dir.file("no-such-program"), 127, "No such file or directory")
            case .missingOnPath:
                (program, code, reason) = ("swinit-test-no-such-program", 127, "No such file or directory")
            case .notExecutable:
                (program, code, reason) = (script, 126, "Permission denied")
            case .notExecutableOnPath:
                environment["PATH"] = dir.path + ":/usr/bin:/bin"
                (program, code, reason) = ("not-executable", 126, "Permission denied")
            }
            let swinit = try Swinit.launch(["--", program], environment: environment)
            defer { swinit.terminate() }
            #expect(try await swinit.waitForExit() == .exited(code))
            #expect(swinit.text(.stderr).contains("swinit: error: cannot run '\(program)': \(reason)"),
                    "stderr: \(swinit.text(.stderr))")
            #expect(access(dir.file("ran"), F_OK) != 0, "the program ran")
        }
    }

    // MARK: (e) Stop timeout

    @Suite("Stop timeout")
    struct StopTimeout {
        struct Case: Sendable, CustomTestStringConvertible {
            let options: [String]
            let environment: [String: String]
            let timeout: Double
            var testDescription: String {
                (environment.map { "\($0.key)=\($0.value)" } + options).joined(separator: " ")
            }
        }

        @Test("a child that ignores SIGTERM is SIGKILLed after the stop timeout", arguments: [
            Case(options: ["-t", "1s"], environment: [:], timeout: 1),
            Case(options: ["--stop-timeout", "2s"], environment: [:], timeout: 2),
            Case(options: [], environment: ["SWINIT_STOP_TIMEOUT": "1500ms"], timeout: 1.5),
        ])
        func killedAfterTimeout(_ c: Case) async throws {
            let swinit = try Swinit.launch(c.options + ["--"] + Fixtures.python("stubborn.py"), environment: c.environment)
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            let sent = ContinuousClock.now
            try await swinit.signal(SIGTERM)
            try await swinit.waitForLine("stubborn got SIGTERM")
            let status = try await swinit.waitForExit(timeout: .seconds(c.timeout + 10))
            #expect(status == .exited(137))
            let elapsed = (try #require(swinit.exitTime) - sent).seconds
            let tolerance = 0.1 * c.timeout + 0.2
            #expect(abs(elapsed - c.timeout) <= tolerance, "exited \(elapsed) s after SIGTERM; stop timeout \(c.timeout) s")
        }

        @Test("a second SIGTERM or SIGINT while stopping kills at once", arguments: [Sig.term, .int])
        func secondSignalKills(second: Sig) async throws {
            let swinit = try Swinit.launch(["--stop-timeout", "30s", "--"] + Fixtures.python("stubborn.py"))
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            try await swinit.signal(SIGTERM)
            try await swinit.waitForLine("stubborn got SIGTERM")
            let sent = ContinuousClock.now
            try await swinit.signal(second.number)
            #expect(try await swinit.waitForExit(timeout: .seconds(35)) == .exited(137))
            let elapsed = (try #require(swinit.exitTime) - sent).seconds
            #expect(elapsed < 1, "exited \(elapsed) s after the second signal")
        }
    }

    // MARK: (f) Leftover processes

    @Suite("Leftover processes")
    struct Leftovers {
        /// Starts daemon.py, lets its main process exit, returns the daemon's host pid.
        private func startDaemon(_ swinit: Swinit) async throws -> Int32 {
            let nsPid = try #require(Int32(try await swinit.waitForValue(after: "daemon pid ")))
            let daemon = try #require(try await swinit.hostPid(ofNamespacePid: nsPid), "no host pid for \(nsPid)")
            #expect(ProcFS.isAlive(daemon))
            return daemon
        }

        @Test("a daemon left behind by the main child gets SIGTERM and is reaped before swinit exits",
              arguments: LaunchMode.allCases)
        func daemonTerminated(mode: LaunchMode) async throws {
            let dir = try TemporaryDirectory()
            let marker = dir.file("marker")
            let swinit = try Swinit.launch(["--"] + Fixtures.python("daemon.py", "--marker", marker), mode: mode, stdin: .pipe)
            defer { swinit.terminate() }
            let daemon = try await startDaemon(swinit)
            // Its parent died: the daemon now belongs to swinit.
            let swinitPid = try await swinit.pid()
            #expect(ProcFS.parent(daemon) == swinitPid)
            try swinit.write(toStdin: "go\n")
            try await swinit.waitForLine("main exiting")
            #expect(try await swinit.waitForExit() == .exited(0))
            #expect(dir.read("marker") == "daemon got TERM\n")
            #expect(ProcFS.isGone(daemon), "the daemon (pid \(daemon)) outlived swinit: state \(ProcFS.state(daemon).map(String.init) ?? "?")")
        }

        @Test("a daemon that ignores SIGTERM is SIGKILLed after --grace 1s", arguments: LaunchMode.allCases)
        func daemonKilledAfterGrace(mode: LaunchMode) async throws {
            let dir = try TemporaryDirectory()
            let swinit = try Swinit.launch(["--grace", "1s", "--"] + Fixtures.python("daemon.py", "--marker", dir.file("marker"), "--ignore-term"),
                                           mode: mode, stdin: .pipe)
            defer { swinit.terminate() }
            let daemon = try await startDaemon(swinit)
            try swinit.write(toStdin: "go\n")
            let exiting = try await swinit.waitForLine("main exiting")
            #expect(try await swinit.waitForExit() == .exited(0))
            let elapsed = (try #require(swinit.exitTime) - exiting.time).seconds
            #expect(elapsed >= 0.9 && elapsed <= 1.3, "swinit exited \(elapsed) s after its main program; grace 1 s")
            #expect(ProcFS.isGone(daemon), "the daemon (pid \(daemon)) outlived swinit")
            #expect(dir.read("marker") == nil)
        }
    }

    // MARK: (g) Hygiene

    @Suite("Process hygiene")
    struct Hygiene {
        /// swinit's descriptors once they are only its own: signalfd, epoll, pidfds, and the
        /// control directory and its FIFO. Waits at most 2 s; returns what is open then.
        static func ownDescriptors(_ pid: Int32, controlDirectory: String?) async -> [Int32: String] {
            func own(_ target: String) -> Bool { target.hasPrefix("anon_inode:") || controlDirectory.map { target.hasPrefix($0) } == true }
            let settled = try? await waitUntil(timeout: .seconds(2), "swinit's descriptors to settle") { () -> [Int32: String]? in
                let fds = ProcFS.descriptors(pid)
                return fds.allSatisfy { $0.key <= 2 || own($0.value) } ? fds : nil
            }
            return settled ?? ProcFS.descriptors(pid)
        }

        /// A child's descriptors once its exec has finished: `comm` changes before the kernel
        /// closes the close-on-exec descriptors, so a look right after may still see them.
        static func settledDescriptors(_ pid: Int32, expected: [Int32]) async -> [Int32: String] {
            let settled = try? await waitUntil(timeout: .seconds(2), "the child's exec to finish") { () -> [Int32: String]? in
                let fds = ProcFS.descriptors(pid)
                return fds.keys.sorted() == expected ? fds : nil
            }
            return settled ?? ProcFS.descriptors(pid)
        }

        @Test("argv and environment bytes that are not UTF-8 reach the program unchanged, as with tini")
        func rawBytes() async throws {
            let controlDirectory = try TemporaryDirectory("swinit-raw")
            let process = try TestProcess(Fixtures.python("rawbytes.py", "launch", Paths.swinit),
                                          environment: ["SWINIT_CONTROL_DIR": controlDirectory.path])
            defer { process.terminate() }
            #expect(try await process.waitForValue(after: "argv ") == "ff61")
            #expect(try await process.waitForValue(after: "env ") == "fe62")
            #expect(try await process.waitForExit() == .exited(0))
        }

        @Test("an event hook for the -- program runs with its own argv, not the program's")
        func hookArgvForMainProgram() async throws {
            let dir = try TemporaryDirectory("swinit-hook-argv")
            let out = dir.file("hook.out")
            let config = try dir.write("swinit.toml", """
                [events]
                on-exit = ["/bin/sh", "-c", "echo hook $0 > \(out)", "hookarg"]
                """)
            let process = try TestProcess([Paths.swinit, "--config", config, "--", "/bin/echo", "main-ran"],
                                          environment: ["SWINIT_CONTROL_DIR": dir.file("ctl")])
            defer { process.terminate() }
            #expect(try await process.waitForExit() == .exited(0))
            #expect(ProcFS.readText(out) == "hook hookarg\n")
        }

        @Test("the child starts with no blocked, ignored or pending signals and only descriptors 0-2, in the original directory",
              arguments: LaunchMode.allCases)
        func cleanChild(mode: LaunchMode) async throws {
            let dir = try TemporaryDirectory()
            // swinit inherits ignored signals and a stray descriptor 7.
            let swinit = try Swinit.launch(["--", "sleep", "60"], mode: mode, workingDirectory: dir.path,
                                           shellPrefix: "trap '' HUP USR1 PIPE; exec 7</dev/null")
            defer { swinit.terminate() }
            let child = try await swinit.mainChild(comm: "sleep")
            let status = ProcFS.status(child)
            for field in ["SigBlk", "SigIgn", "SigPnd", "ShdPnd"] {
                #expect(status[field] == "0000000000000000", "\(field): \(status[field] ?? "missing")")
            }
            let fds = await Hygiene.settledDescriptors(child, expected: [0, 1, 2])
            #expect(fds.keys.sorted() == [0, 1, 2], "child descriptors: \(fds)")
            #expect(ProcFS.workingDirectory(child) == dir.path)

            let pid = try await swinit.pid()
            #expect(ProcFS.workingDirectory(pid) == "/")
            let own = await Hygiene.ownDescriptors(pid, controlDirectory: swinit.controlDirectory)
            // signalfd, epoll, a pidfd per child, and the control directory and its request FIFO.
            #expect(own.count <= 8, "swinit's descriptors: \(own)")
            for (fd, target) in own where fd > 2 {
                #expect(target.hasPrefix("anon_inode:") || target.hasPrefix(swinit.controlDirectory ?? "?"), "swinit keeps fd \(fd) → \(target)")
            }
            #expect(!own.contains { $0.key > 2 && $0.value == "/dev/null" }, "swinit kept the inherited fd 7 (/dev/null): \(own)")
            try await swinit.signal(SIGTERM)
            #expect(try await swinit.waitForExit() == .exited(143))
        }

        @Test("the child's signal dispositions are reset even for glibc's internal signals 32 and 33 that swinit inherited ignored")
        func internalSignalsReset() async throws {
            // As when swinit is started by posix_spawn from a multithreaded glibc program.
            let swinit = try Swinit.launch(["--", "sleep", "60"], signalDefaults: .glibcFill)
            defer { swinit.terminate() }
            let pid = try await swinit.pid()
            let inherited = ProcFS.status(pid)["SigIgn"] ?? ""
            try #require(inherited == "0000000180000000", "the launcher did not set up the case: swinit's SigIgn \(inherited)")
            let child = try await swinit.mainChild(comm: "sleep")
            #expect(ProcFS.status(child)["SigIgn"] == "0000000000000000", "child's SigIgn: \(ProcFS.status(child)["SigIgn"] ?? "missing")")
        }

        @Test("socket activation passes LISTEN_FDS descriptors and sets LISTEN_PID to the child's pid",
              arguments: LaunchMode.allCases)
        func socketActivation(mode: LaunchMode) async throws {
            let swinit = try Swinit.launch(["--", "sleep", "60"], mode: mode,
                                           shellPrefix: "exec 3</dev/null; export LISTEN_FDS=1 LISTEN_PID=$$")
            defer { swinit.terminate() }
            let child = try await swinit.mainChild(comm: "sleep")
            let fds = await Hygiene.settledDescriptors(child, expected: [0, 1, 2, 3])
            #expect(fds.keys.sorted() == [0, 1, 2, 3], "child descriptors: \(fds)")
            #expect(fds[3] == "/dev/null")
            let environment = ProcFS.environment(child)
            #expect(environment["LISTEN_FDS"] == "1")
            let childPid = try #require(ProcFS.namespacePid(child))
            #expect(environment["LISTEN_PID"] == String(childPid))
            // Once the child has it, the listen descriptor is the child's alone.
            let own = await Hygiene.ownDescriptors(try await swinit.pid(), controlDirectory: swinit.controlDirectory)
            for (fd, target) in own where fd > 2 {
                #expect(target.hasPrefix("anon_inode:") || target.hasPrefix(swinit.controlDirectory ?? "?"), "swinit keeps fd \(fd) → \(target)")
            }
            try await swinit.signal(SIGTERM)
            #expect(try await swinit.waitForExit() == .exited(143))
        }

        @Test("descriptors are not passed when LISTEN_PID names another process")
        func socketActivationForSomeoneElse() async throws {
            let swinit = try Swinit.launch(["--", "sleep", "60"],
                                           shellPrefix: "exec 3</dev/null; export LISTEN_FDS=1 LISTEN_PID=$(($$ + 1))")
            defer { swinit.terminate() }
            let child = try await swinit.mainChild(comm: "sleep")
            let fds = await Hygiene.settledDescriptors(child, expected: [0, 1, 2])
            #expect(fds.keys.sorted() == [0, 1, 2], "child descriptors: \(fds)")
        }

        @Test("swinit as PID 1 with an idle child does not wake up")
        func noWakeUps() async throws {
            let swinit = try Swinit.launch(["--"] + Fixtures.python("idle.py"))
            defer { swinit.terminate() }
            try await swinit.waitForLine("ready")
            let pid = try await swinit.pid()
            let before = try #require(ProcFS.voluntaryContextSwitches(pid))
            try await swinit.waitForLine("tick", timeout: .seconds(10))
            let after = try #require(ProcFS.voluntaryContextSwitches(pid))
            #expect(after - before <= 1, "swinit woke up \(after - before) times in 1.5 s")
            try await swinit.signal(SIGTERM)
            #expect(try await swinit.waitForExit() == .exited(143))
        }
    }

    // MARK: (h) Usage errors

    @Suite("Usage errors")
    struct Usage {
        struct Case: Sendable, CustomTestStringConvertible {
            let options: [String]
            var environment: [String: String] = [:]
            let message: String
            var testDescription: String {
                (environment.map { "\($0.key)=\($0.value)" } + options).joined(separator: " ")
            }
        }

        @Test("a usage error exits 2 with a message naming the option, and runs nothing", arguments: [
            Case(options: ["--bogus"], message: "unknown option '--bogus'"),
            Case(options: ["-Z"], message: "unknown option '-Z'"),
            Case(options: ["--singel-child"], message: "did you mean '--single-child'"),
            Case(options: ["--stop-timout", "5s"], message: "did you mean '--stop-timeout'"),
            Case(options: ["--stop-timeout", "5x"], message: "--stop-timeout"),
            Case(options: ["-t", "soon"], message: "-t"),
            Case(options: ["--grace", "1y"], message: "--grace"),
            Case(options: ["--grace=-1s"], message: "--grace"),
            Case(options: [], environment: ["SWINIT_STOP_TIMEOUT": "ten"], message: "SWINIT_STOP_TIMEOUT"),
        ])
        func usageError(_ c: Case) async throws {
            let dir = try TemporaryDirectory()
            let swinit = try Swinit.launch(c.options + ["--", Paths.sh, "-c", "touch \(dir.file("ran"))"], environment: c.environment)
            defer { swinit.terminate() }
            #expect(try await swinit.waitForExit() == .exited(2))
            #expect(swinit.text(.stderr).contains { $0.contains(c.message) }, "stderr: \(swinit.text(.stderr))")
            #expect(access(dir.file("ran"), F_OK) != 0, "the program ran")
        }
    }
}
