// Service output end to end: the built swinit with a config file, real pipes, a reader that
// is deliberately slow, rotating files, and the awkward cases (long lines, no final newline,
// binary bytes, a service that closes its stdout, a log directory that cannot be written).
//
// swinit runs directly (as a subreaper, not in a PID namespace): what is tested here is the
// output path, which is the same in both. Every wait is bounded and polls an observable
// condition; nothing sleeps to "let things settle". Helpers are fileprivate so this file can
// sit next to the shared harness without name clashes.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

fileprivate struct OutputTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

fileprivate enum OutputPaths {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The swinit next to the test bundle (swift test builds it), else .build/debug/swinit.
    static let swinit: String = {
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let candidate = (exe as NSString).deletingLastPathComponent + "/swinit"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return packageRoot + "/.build/debug/swinit"
    }()

    static let python3: String = ["/usr/bin/python3", "/usr/local/bin/python3"].first { access($0, X_OK) == 0 } ?? "python3"
}

/// Polls `condition` every few milliseconds until it holds or `seconds` pass.
fileprivate func waitUntil(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(5_000)
    }
    if try condition() { return }
    throw OutputTestError("timed out after \(seconds) s waiting for \(what)")
}

fileprivate func text(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
}

fileprivate func bytes(_ path: String) -> [UInt8] {
    [UInt8](FileManager.default.contents(atPath: path) ?? Data())
}

/// A field of /proc/PID/status in kB ("VmRSS", "VmHWM"), nil once the process is gone.
fileprivate func procStatusKB(_ pid: Int32, _ field: String) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}

/// True while `pid` exists and is not a zombie.
fileprivate func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// One swinit run from a config file, in its own temporary directory; stdout goes to a pipe
/// the test reads (or to a file), stderr to a file.
fileprivate final class OutputRun {
    let directory: String
    let process = Process()
    let stdoutPipe: Pipe?
    var stdoutPath: String { directory + "/stdout" }
    var stderrPath: String { directory + "/stderr" }

    /// `config` may use `$DIR` for the run's directory; `subdirectories` exist before start.
    init(config: String, stdoutToPipe: Bool = false, subdirectories: [String] = []) throws {
        let directory = NSTemporaryDirectory() + "swinit-output-" + UUID().uuidString
        let stderrPath = directory + "/stderr", stdoutPath = directory + "/stdout"
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for subdirectory in subdirectories {
            try FileManager.default.createDirectory(atPath: directory + "/" + subdirectory, withIntermediateDirectories: true)
        }
        let configPath = directory + "/swinit.toml"
        try config.replacingOccurrences(of: "$DIR", with: directory).write(toFile: configPath, atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: OutputPaths.swinit)
        process.arguments = ["--config", configPath]
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        if stdoutToPipe {
            let pipe = Pipe()
            stdoutPipe = pipe
            process.standardOutput = pipe
        } else {
            stdoutPipe = nil
            FileManager.default.createFile(atPath: stdoutPath, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Bytes waiting in the stdout pipe (FIONREAD).
    var bytesInPipe: Int {
        guard let fd = stdoutPipe?.fileHandleForReading.fileDescriptor else { return 0 }
        var count: Int32 = 0
        _ = ioctl(fd, UInt(FIONREAD), &count)
        return Int(count)
    }

    /// Reads what is in the stdout pipe now (up to `limit` bytes), without blocking.
    func readAvailable(limit: Int = 1 << 20) -> [UInt8] {
        guard let fd = stdoutPipe?.fileHandleForReading.fileDescriptor else { return [] }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(limit, 1 << 16))
        while out.count < limit {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 0) > 0 else { break }
            let n = read(fd, &chunk, min(chunk.count, limit - out.count))
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    /// swinit waits for its stdout to drain: its epoll set holds the `.console` token of
    /// writer 1 (kind 3 in the top byte), as /proc/PID/fdinfo of the epoll descriptor shows.
    var waitsForStdout: Bool {
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fdinfo") else { return false }
        return fds.contains { text("/proc/\(pid)/fdinfo/\($0)").contains("data:  300000000000001") }
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for swinit to exit; its status.
    func waitForExit(seconds: Double) throws -> Int32 {
        try waitUntil("swinit to exit", seconds: seconds) { !process.isRunning }
        return process.terminationStatus
    }

    /// Ends swinit (and so its services) whatever happened.
    func stop() {
        if process.isRunning {
            kill(pid, SIGTERM)
            try? waitUntil("swinit to stop", seconds: 10) { !process.isRunning }
            if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A python3 service command as a TOML array.
fileprivate func python(_ source: String) -> String {
    let escaped = source.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    return "[\"\(OutputPaths.python3)\", \"-c\", \"\(escaped)\"]"
}

fileprivate func shell(_ script: String) -> String {
    let escaped = script.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    return "[\"/bin/sh\", \"-c\", \"\(escaped)\"]"
}

/// Writes numbered lines as fast as buffered stdio allows (and every 100th to stderr too).
fileprivate func numberedWriter(_ count: Int) -> String {
    python("""
    import sys
    out, err = sys.stdout, sys.stderr
    for i in range(\(count)):
        out.write('%d\\n' % i)
        if i % 100 == 0:
            err.write('e%d\\n' % i)
    out.flush()
    err.write('done\\n')
    """)
}

/// Checks that `values` is exactly 0, 1, …, count-1 (or a prefix of it when `prefixOnly`).
fileprivate func expectSequence(_ values: [Int], count: Int, _ what: String, prefixOnly: Bool = false) {
    if prefixOnly {
        #expect(values == Array(0..<values.count), "\(what): lines lost, repeated or out of order")
    } else {
        #expect(values.count == count, "\(what): \(values.count) lines, expected \(count)")
        #expect(values == Array(0..<count), "\(what): lines lost, repeated or out of order")
    }
}

/// Splits swinit's stdout into the prefix-mode lines of `alpha` and the JSON lines of `beta`.
fileprivate func parseMixed(_ output: [UInt8]) throws -> (alpha: [Int], beta: [Int]) {
    var alpha: [Int] = [], beta: [Int] = []
    for line in output.split(separator: 0x0A) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("alpha  | ") {
            guard let n = Int(text.dropFirst(9)) else { throw OutputTestError("bad prefix line: \(text)") }
            alpha.append(n)
        } else if text.hasPrefix("{") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  object["service"] as? String == "beta", object["stream"] as? String == "stdout",
                  let n = Int(object["line"] as? String ?? "") else { throw OutputTestError("bad JSON line: \(text)") }
            beta.append(n)
        } else {
            throw OutputTestError("unexpected line on stdout: \(text)")
        }
    }
    return (alpha, beta)
}

// MARK: - Tests

@Suite("Service output", .serialized, .timeLimit(.minutes(5)))
struct OutputRuntimeTests {

    @Test("two services × 200,000 lines through prefix and json into a slow reader: every line once, in order, memory bounded")
    func slowReaderLosesNothing() throws {
        let count = 200_000
        let run = try OutputRun(config: """
            [services.alpha]
            command = \(numberedWriter(count))
            restart = "never"

            [services.beta]
            command = \(numberedWriter(count))
            restart = "never"
            stdout = "json"
            """, stdoutToPipe: true)
        defer { run.stop() }
        var output: [UInt8] = []
        // Slow phase: nothing is read until the pipe is full, so swinit must hold back.
        try waitUntil("swinit's stdout pipe to fill", seconds: 30) { run.bytesInPipe >= 60_000 || run.waitsForStdout }
        let rssWhileBlocked = procStatusKB(run.pid, "VmRSS") ?? 0
        // Then a trickle: 4 KiB every 2 ms for a while, while sampling swinit's memory.
        var peak = rssWhileBlocked
        for _ in 0..<250 {
            output += run.readAvailable(limit: 4096)
            peak = max(peak, procStatusKB(run.pid, "VmRSS") ?? 0)
            usleep(2_000)
        }
        // Then at full speed until both services said done.
        try waitUntil("both services to finish", seconds: 240) {
            output += run.readAvailable()
            peak = max(peak, procStatusKB(run.pid, "VmRSS") ?? 0)
            return text(run.stderrPath).components(separatedBy: "| done").count == 3
        }
        let hwm = procStatusKB(run.pid, "VmHWM")
        run.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while run.process.isRunning && Date() < deadline { output += run.readAvailable(); usleep(2_000) }
        output += run.readAvailable()
        #expect(try run.waitForExit(seconds: 5) == 0)
        let (alpha, beta) = try parseMixed(output)
        expectSequence(alpha, count: count, "alpha stdout (prefix)")
        expectSequence(beta, count: count, "beta stdout (json)")
        // stderr (a regular file here): every 100th line, in order per service.
        let stderrLines = text(run.stderrPath).split(separator: "\n")
        for name in ["alpha", "beta"] {
            let values = stderrLines.compactMap { line -> Int? in
                guard line.hasPrefix(name.padding(toLength: 6, withPad: " ", startingAt: 0) + " | e") else { return nil }
                return Int(line.split(separator: "e").last ?? "")
            }
            #expect(values == Array(stride(from: 0, to: count, by: 100)), "\(name) stderr")
        }
        // The bound: about 2 × 224 KiB for two units + 1.8 MiB shared; allow allocator slack.
        print("swinit RSS: \(rssWhileBlocked) kB when blocked, peak sampled \(peak) kB, VmHWM \(hwm.map(String.init) ?? "?") kB")
        #expect(peak - rssWhileBlocked < 8 * 1024, "swinit grew by \(peak - rssWhileBlocked) kB while the reader was slow")
        #expect(peak < 64 * 1024, "swinit RSS peaked at \(peak) kB")
    }

    @Test("SIGTERM while the services are blocked on a full output pipe is handled promptly")
    func signalWhileBlocked() throws {
        let endless = python("""
            import os, sys
            open(os.environ['PIDFILE'], 'w').write(str(os.getpid()))
            i = 0
            while True:
                sys.stdout.write('%d\\n' % i)
                i += 1
            """)
        let run = try OutputRun(config: """
            [services.alpha]
            command = \(endless)
            env = { PIDFILE = "$DIR/alpha.pid" }

            [services.beta]
            command = \(endless)
            stdout = "json"
            env = { PIDFILE = "$DIR/beta.pid" }
            """, stdoutToPipe: true)
        defer { run.stop() }
        var pids: [Int32] = []
        try waitUntil("the services' pid files", seconds: 30) {
            pids = ["alpha", "beta"].compactMap { Int32(text(run.directory + "/\($0).pid")) }
            return pids.count == 2
        }
        // Both services stuck in write(1, …): the backpressure reached them.
        try waitUntil("both services to block in write(2)", seconds: 30) {
            pids.allSatisfy { text("/proc/\($0)/syscall").hasPrefix("1 0x1 ") }
        }
        let rss = procStatusKB(run.pid, "VmRSS") ?? 0
        let sent = Date()
        run.signal(SIGTERM)
        try waitUntil("the services to be stopped and reaped", seconds: 3) { pids.allSatisfy { !isAlive($0) } }
        let stopped = Date().timeIntervalSince(sent)
        // Nobody reads: swinit gives its pending output a bounded time, then exits anyway.
        let status = try run.waitForExit(seconds: 8)
        let exited = Date().timeIntervalSince(sent)
        print("services stopped \(Int(stopped * 1000)) ms after SIGTERM; swinit exited after \(Int(exited * 1000)) ms (exit \(status)); RSS \(rss) kB")
        #expect(stopped < 1.0)
        // What was written is still whole and in order, each line at most once.
        var output: [UInt8] = []
        while true { let more = run.readAvailable(); if more.isEmpty { break }; output += more }
        let lines = output.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
        let (alpha, beta) = try parseMixed(Array(lines.joined(separator: [0x0A])) + [0x0A])
        expectSequence(alpha, count: 0, "alpha", prefixOnly: true)
        expectSequence(beta, count: 0, "beta", prefixOnly: true)
        // Only what fitted in our pipe got out (swinit's pending output is dropped after its
        // bounded exit flush), so one service may have had it all.
        #expect(alpha.count + beta.count > 100)
    }

    @Test("50 MiB into max-size 1MiB, max-files 3 leaves exactly the rotated set, no line split")
    func rotation() throws {
        let writer = python("""
            import sys
            out = sys.stdout
            total, i = 0, 0
            while total < 50 * 1024 * 1024:
                line = '%08d %s\\n' % (i, 'x' * (50 + (i * 37) % 400))
                out.write(line)
                total += len(line)
                i += 1
            out.flush()
            sys.stderr.write('wrote %d\\n' % i)
            """)
        let run = try OutputRun(config: """
            [services.logger]
            command = \(writer)
            restart = "never"
            stdout = { file = "$DIR/logs/app.log", max-size = "1MiB", max-files = 3 }
            """, subdirectories: ["logs"])
        defer { run.stop() }
        var written = 0
        try waitUntil("the writer to finish", seconds: 60) {
            guard let line = text(run.stderrPath).split(separator: "\n").first(where: { $0.contains("| wrote ") }) else { return false }
            written = Int(line.split(separator: " ").last ?? "") ?? 0
            return true
        }
        // Its last line is in the file once the writer's exit was handled.
        try waitUntil("the writer's exit", seconds: 30) { text(run.stderrPath).contains("logger exited") }
        run.signal(SIGTERM)
        _ = try run.waitForExit(seconds: 10)
        let names = try FileManager.default.contentsOfDirectory(atPath: run.directory + "/logs").sorted()
        #expect(names == ["app.log", "app.log.1", "app.log.2", "app.log.3"])
        var numbers: [Int] = []
        for name in ["app.log.3", "app.log.2", "app.log.1", "app.log"] {
            let content = bytes(run.directory + "/logs/" + name)
            #expect(content.count <= 1 << 20, "\(name) is \(content.count) bytes")
            #expect(content.last == 0x0A, "\(name) does not end with a whole line")
            for line in content.split(separator: 0x0A) {
                let fields = line.split(separator: 0x20)
                let n = Int(String(decoding: fields[0], as: UTF8.self)) ?? -1
                #expect(fields.count == 2 && fields[0].count == 8 && fields[1].count == 50 + (n * 37) % 400, "\(name): a split or damaged line")
                numbers.append(n)
            }
        }
        #expect(numbers.last == written - 1)
        #expect(numbers == Array((written - numbers.count)..<written), "the rotated files do not hold consecutive lines")
        #expect(numbers.count > 10_000)
    }

    @Test("long lines are cut at 16 KiB and marked: '+' continuations in prefix, partial in json")
    func longLines() throws {
        let writer = python("""
            import sys
            sys.stdout.write('A' * 40000 + '\\n')
            sys.stdout.flush()
            sys.stderr.write('B' * 20000 + '\\n')
            """)
        let run = try OutputRun(config: """
            [services.long]
            command = \(writer)
            restart = "never"

            [services.longjson]
            command = \(writer)
            restart = "never"
            stdout = "json"
            stderr = { file = "$DIR/long.err" }
            """)
        defer { run.stop() }
        try waitUntil("both services to exit", seconds: 30) {
            text(run.stderrPath).contains("long exited") && text(run.stderrPath).contains("longjson exited")
        }
        let out = text(run.stdoutPath).split(separator: "\n")
        let prefixed = out.filter { $0.hasPrefix("long ") }
        #expect(prefixed.map { $0.count } == [16384 + 11, 16384 + 11, 40000 - 2 * 16384 + 11])
        #expect(prefixed.map { $0.prefix(11) } == ["long     | ", "long     + ", "long     + "])
        let objects = try out.filter { $0.hasPrefix("{") }.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.map { $0["partial"] as? Bool ?? false } == [true, true, false])
        #expect(objects.map { $0["line"] as! String }.joined() == String(repeating: "A", count: 40000))
        // A log file gets the line back whole.
        #expect(text(run.directory + "/long.err") == String(repeating: "B", count: 20000) + "\n")
        let stderrLong = text(run.stderrPath).split(separator: "\n").filter { $0.hasPrefix("long ") }
        #expect(stderrLong.map { $0.count } == [16384 + 11, 20000 - 16384 + 11])
    }

    @Test("a missing final newline and non-UTF-8 bytes: flushed and passed through (prefix), U+FFFD (json)")
    func partialAndBinary() throws {
        let script = "printf 'first\\n\\377\\001bin\\342\\202\\254\\nno newline at end'"
        let run = try OutputRun(config: """
            [services.raw]
            command = \(shell(script))
            restart = "never"

            [services.rawjson]
            command = \(shell(script))
            restart = "never"
            stdout = "json"
            """)
        defer { run.stop() }
        try waitUntil("both services to exit", seconds: 30) {
            text(run.stderrPath).contains("raw exited") && text(run.stderrPath).contains("rawjson exited")
        }
        let out = bytes(run.stdoutPath)
        let prefixed = out.split(separator: 0x0A).filter { $0.starts(with: Array("raw     | ".utf8)) }.map { Array($0.dropFirst(10)) }
        #expect(prefixed == [Array("first".utf8), [0xFF, 0x01] + Array("bin€".utf8), Array("no newline at end".utf8)])
        let json = String(decoding: out, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(json.count == 3)
        #expect(json[1].contains(#""line":"\#u{FFFD}\u0001bin€""#), "\(json[1])")
        let lines = try json.map { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["line"] as! String }
        #expect(lines == ["first", "\u{FFFD}\u{01}bin€", "no newline at end"])
    }

    @Test("a service that closes its stdout early keeps its stderr and does not make swinit spin")
    func closedStdout() throws {
        let run = try OutputRun(config: """
            [services.closer]
            command = \(shell("echo before; exec 1>&-; echo after-close >&2; exec sleep 60"))
            """)
        defer { run.stop() }
        try waitUntil("the stderr line after the close", seconds: 30) { text(run.stderrPath).contains("closer | after-close") }
        #expect(text(run.stdoutPath).contains("closer | before"))
        // Idle: swinit's CPU time does not move while the service sleeps with stdout closed.
        func cpuTicks() -> Int {
            let stat = text("/proc/\(run.pid)/stat")
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
        }
        let before = cpuTicks()
        var poller = pollfd(fd: -1, events: 0, revents: 0)
        _ = poll(&poller, 0, 500)     // an observation window, not a synchronisation
        #expect(cpuTicks() - before <= 2, "swinit used CPU while idle")
    }

    @Test("a log directory that cannot be written: the unit fails to spawn with a message naming the path")
    func unwritableLogDirectory() throws {
        let run = try OutputRun(config: """
            [services.app]
            command = ["/bin/true"]
            restart = "never"
            stdout = { file = "$DIR/missing/dir/app.log" }
            """)
        defer { run.stop() }
        try waitUntil("the spawn failure", seconds: 30) { text(run.stderrPath).contains("cannot open log file") }
        let message = text(run.stderrPath)
        #expect(message.contains("\(run.directory)/missing/dir/app.log"), "\(message)")
        #expect(message.contains("No such file or directory"))
    }

    @Test("with stderr = \"json\", swinit's own messages are JSON objects from service swinit")
    func ownMessagesAsJSON() throws {
        let run = try OutputRun(config: """
            stderr = "json"

            [services.app]
            command = ["/bin/true"]
            restart = "never"
            """)
        defer { run.stop() }
        try waitUntil("the exit message", seconds: 30) { text(run.stderrPath).contains("app exited") }
        for line in text(run.stderrPath).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["service"] as? String == "swinit", "\(line)")
            #expect((object?["time"] as? String)?.hasSuffix("Z") == true)
        }
    }

    @Test("on a terminal, service lines are coloured unless NO_COLOR is set", arguments: [false, true])
    func colourOnTerminal(noColour: Bool) async throws {
        let directory = try TemporaryDirectory("swinit-colour")
        let config = try directory.write("swinit.toml", """
            [services.painter]
            command = ["/bin/sh", "-c", "echo painted-line; exit 3"]
            restart = "never"
            critical = true
            """)
        // env -u: the runner's own NO_COLOR must not decide the case without it.
        let swinit = ["env", "-u", "NO_COLOR", "TERM=xterm"] + (noColour ? ["NO_COLOR=1"] : [])
            + [Paths.swinit, "--config", config]
        let driver = try TestProcess(Fixtures.python("pty_driver.py", "--") + swinit,
                                     environment: ["SWINIT_CONTROL_DIR": directory.file("ctl")], stdin: .pipe)
        defer { driver.terminate() }
        let line = try await driver.waitForLine(containing: "painted-line")
        #expect(line.text.contains("\u{1B}[") == !noColour, "\(line.text)")
        try await driver.waitForLine("exit 3")
    }
}
