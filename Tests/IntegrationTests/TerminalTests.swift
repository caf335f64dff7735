// swinit as PID 1 on a terminal (`docker run -it`): a pty whose controlling session is
// swinit's, driven by Fixtures/pty_driver.py. The driver relays the terminal's output as
// "tty: LINE" and types what the test sends ("send 03" is Ctrl-C, "send 1a" is Ctrl-Z).

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("swinit as PID 1 on a terminal", .serialized, .timeLimit(.minutes(2)))
struct TerminalTests {
    /// pty_driver.py runs `unshare … pty_driver.py --leader -- swinit OPTIONS -- interactive.py`
    /// on a new pty: inside the namespace the process that becomes swinit takes the pty as
    /// its controlling terminal, so it is in the terminal's foreground group.
    /// Removed when the test's suite instance goes away.
    let controlDirectory: TemporaryDirectory

    init() throws { controlDirectory = try TemporaryDirectory("swinit-ctl-terminal") }

    private func launch(_ options: [String] = []) throws -> TestProcess {
        let inner = Swinit.commandLine(options + ["--"] + Fixtures.python("interactive.py"), mode: .pid1)
        let leader = Swinit.namespacePrefix + Fixtures.python("pty_driver.py", "--leader", "--") + Array(inner.dropFirst(Swinit.namespacePrefix.count))
        // A control directory of its own keeps the host's /run/swinit untouched.
        return try TestProcess(Fixtures.python("pty_driver.py", "--") + leader,
                               environment: ["SWINIT_CONTROL_DIR": controlDirectory.path], stdin: .pipe)
    }

    private func type(_ hex: String, on driver: TestProcess) throws {
        try driver.write(toStdin: "send \(hex)\n")
    }

    /// The interactive child's host pid: swinit's child, once it runs interactive.py.
    private func interactiveChild(of driver: TestProcess) async throws -> Int32 {
        try await waitUntil(timeout: .seconds(5), "interactive.py") {
            let swinit = ProcFS.pids(withEnvironment: driver.tag).filter { ProcFS.comm($0) == "swinit" }
            return swinit.flatMap { ProcFS.children(of: $0) }.first { pid in
                let argv = ProcFS.cmdline(pid)
                return argv.count >= 3 && argv[2].hasSuffix("interactive.py")
            }
        }
    }

    @Test("Ctrl-C reaches the interactive child directly and swinit exits 130")
    func controlC() async throws {
        let driver = try launch(["-v"])
        defer { driver.terminate() }
        try await driver.waitForLine("tty: foreground yes")
        try await driver.waitForLine("tty: ready")
        try type("03", on: driver)
        try await driver.waitForLine("exit 130")
        #expect(try await driver.waitForExit() == .exited(0))
        // The terminal signalled the child's group, not swinit (which would log it with -v).
        #expect(!driver.text().contains { $0.contains("received SIGINT") }, "output: \(driver.text())")
    }

    @Test("Ctrl-Z stops the child, swinit resumes it, and a following Ctrl-C still ends it")
    func controlZ() async throws {
        let driver = try launch()
        defer { driver.terminate() }
        try await driver.waitForLine("tty: ready")
        try type("1a", on: driver)
        try await driver.waitForLine(containing: "continued")
        try type("03", on: driver)
        try await driver.waitForLine("exit 130")
        #expect(try await driver.waitForExit() == .exited(0))
    }

    @Test("--no-resume leaves a child stopped by Ctrl-Z stopped; Ctrl-C ends it once something continues it")
    func noResume() async throws {
        let driver = try launch(["--no-resume"])
        defer { driver.terminate() }
        try await driver.waitForLine("tty: ready")
        let child = try await interactiveChild(of: driver)
        try type("1a", on: driver)
        _ = try await waitUntil(timeout: .seconds(5), "the child to stop") { ProcFS.state(child) == "T" ? true : nil }
        // Resuming would take swinit microseconds: the child stays stopped for 300 ms.
        let until = ContinuousClock.now + .milliseconds(300)
        while ContinuousClock.now < until {
            #expect(ProcFS.state(child) == "T")
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!driver.text().contains { $0.contains("continued") })
        // A stopped process keeps SIGINT pending; what a job-control shell's `fg` would do
        // (SIGCONT) lets it act.
        try type("03", on: driver)
        #expect(kill(child, SIGCONT) == 0)
        try await driver.waitForLine("exit 130")
        #expect(try await driver.waitForExit() == .exited(0))
    }
}
