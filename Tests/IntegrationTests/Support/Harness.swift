// The integration-test harness: starts swinit (as PID 1 in a new PID namespace, or directly
// as a subreaper), talks to it through signals and its output, inspects processes through
// /proc, and kills everything it started when a test ends, whether it passed or not.
//
// Every wait here is bounded: a poll on an observable condition with a deadline. Nothing
// sleeps to "let things settle".

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// MARK: - Errors

/// A harness failure (a timeout, a process that could not be started), with the context
/// needed to understand it: the command and what it printed.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Locations

enum Paths {
    /// The package root, from this file's place in it: Tests/IntegrationTests/Support/Harness.swift.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Tests/IntegrationTests/Fixtures.
    static let fixtures = packageRoot + "/Tests/IntegrationTests/Fixtures"

    /// The path of a fixture file (it must exist).
    static func fixture(_ name: String) -> String {
        let path = fixtures + "/" + name
        precondition(access(path, R_OK) == 0, "missing fixture \(path)")
        return path
    }

    /// The swinit binary. Under `swift test` the test bundle lives in the build products
    /// directory, next to the package's executables (which `swift test` builds too); otherwise
    /// `<package root>/.build/debug/swinit`, built once here if it is missing.
    static let swinit: String = locate(product: "swinit")

    /// initctl, found the same way.
    static let initctl: String = locate(product: "initctl")

    static let python3: String = executable(named: "python3", preferring: ["/usr/bin/python3"])
    static let unshare: String = executable(named: "unshare", preferring: ["/usr/bin/unshare"])
    static let sh = "/bin/sh"

    /// The directory of the running test binary (the build products directory under `swift test`).
    static var productsDirectory: String? {
        ProcFS.readlink("/proc/self/exe").map { ($0 as NSString).deletingLastPathComponent }
    }

    private static func locate(product: String) -> String {
        if let dir = productsDirectory, access(dir + "/" + product, X_OK) == 0 {
            return dir + "/" + product
        }
        let fallback = packageRoot + "/.build/debug/" + product
        if access(fallback, X_OK) != 0 { build(product: product) }
        return fallback
    }

    /// `swift build --product NAME` in the package root (only when the binary is missing).
    private static func build(product: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "build", "--product", product]
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            print("harness: could not run swift build --product \(product): \(error)")
        }
    }

    private static func executable(named name: String, preferring candidates: [String]) -> String {
        for candidate in candidates where access(candidate, X_OK) == 0 { return candidate }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where access("\(dir)/\(name)", X_OK) == 0 {
            return "\(dir)/\(name)"
        }
        return name
    }
}

/// Command lines for the python3 fixtures.
enum Fixtures {
    /// `python3 -u Fixtures/NAME ARGS...`.
    static func python(_ script: String, _ arguments: String...) -> [String] {
        [Paths.python3, "-u", Paths.fixture(script)] + arguments
    }
}

// MARK: - Time

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Polls `check` every few milliseconds until it returns a value or `timeout` passes.
func waitUntil<T>(timeout: Duration, _ what: @autoclosure () -> String, _ check: () throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try check() { return value }
        if ContinuousClock.now >= deadline { throw HarnessError("timed out after \(timeout) waiting for \(what())") }
        try await Task.sleep(for: .milliseconds(5))
    }
}

// MARK: - /proc

/// What /proc says about processes (host pids unless said otherwise).
enum ProcFS {
    static func readBytes(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while result.count < limit {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { if errno == EINTR { continue }; return result.isEmpty ? nil : result }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    static func readText(_ path: String) -> String? {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func readlink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Glibc.readlink(path, &buffer, buffer.count - 1)
        if n < 0 { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func listDirectory(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }

    /// Every pid in /proc.
    static func allPids() -> [Int32] { listDirectory("/proc").compactMap { Int32($0) } }

    /// The fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, …
    static func statFields(_ pid: Int32) -> [Substring]? {
        guard let bytes = readBytes("/proc/\(pid)/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        return String(decoding: bytes[(close + 1)...], as: UTF8.self).split(separator: " ")
    }

    /// The process state letter (R, S, T, Z, …); nil when the process is gone.
    static func state(_ pid: Int32) -> Character? { statFields(pid)?.first?.first }
    static func parent(_ pid: Int32) -> Int32? { statFields(pid).flatMap { $0.count > 1 ? Int32($0[1]) : nil } }
    static func processGroup(_ pid: Int32) -> Int32? { statFields(pid).flatMap { $0.count > 2 ? Int32($0[2]) : nil } }

    /// True while the process exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let state = state(pid) else { return false }
        return state != "Z" && state != "X"
    }

    /// True when no process (not even a zombie) has this pid.
    static func isGone(_ pid: Int32) -> Bool { state(pid) == nil }

    static func comm(_ pid: Int32) -> String? {
        readText("/proc/\(pid)/comm").map { $0.trimmingCharacters(in: .newlines) }
    }

    static func cmdline(_ pid: Int32) -> [String] {
        guard let bytes = readBytes("/proc/\(pid)/cmdline") else { return [] }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }

    /// The children of every thread of `pid`.
    static func children(of pid: Int32) -> [Int32] {
        var result: [Int32] = []
        for task in listDirectory("/proc/\(pid)/task") {
            guard let text = readText("/proc/\(pid)/task/\(task)/children") else { continue }
            result += text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return result
    }

    /// Every process below `root` (through the parent links in /proc/PID/stat).
    static func descendants(of root: Int32) -> [Int32] {
        var byParent: [Int32: [Int32]] = [:]
        for pid in allPids() { if let ppid = parent(pid) { byParent[ppid, default: []].append(pid) } }
        var result: [Int32] = []
        var frontier = [root]
        while let next = frontier.popLast() {
            for child in byParent[next] ?? [] where child != root {
                result.append(child)
                frontier.append(child)
            }
        }
        return result
    }

    /// /proc/PID/status as a dictionary ("SigBlk" → "0000000000000000").
    static func status(_ pid: Int32) -> [String: String] {
        guard let text = readText("/proc/\(pid)/status") else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            result[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// Open descriptors and what they point to ("/dev/null", "anon_inode:[signalfd]", …).
    static func descriptors(_ pid: Int32) -> [Int32: String] {
        var result: [Int32: String] = [:]
        for name in listDirectory("/proc/\(pid)/fd") {
            guard let fd = Int32(name) else { continue }
            result[fd] = readlink("/proc/\(pid)/fd/\(name)") ?? "?"
        }
        return result
    }

    static func environment(_ pid: Int32) -> [String: String] {
        guard let bytes = readBytes("/proc/\(pid)/environ") else { return [:] }
        var result: [String: String] = [:]
        for entry in bytes.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            if let eq = text.firstIndex(of: "=") { result[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
        }
        return result
    }

    static func workingDirectory(_ pid: Int32) -> String? { readlink("/proc/\(pid)/cwd") }

    /// The pid as seen in the process's innermost PID namespace (last field of NSpid).
    static func namespacePid(_ pid: Int32) -> Int32? {
        status(pid)["NSpid"].flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).last.flatMap { Int32($0) } }
    }

    static func pidNamespace(_ pid: Int32) -> String? { readlink("/proc/\(pid)/ns/pid") }

    static func voluntaryContextSwitches(_ pid: Int32) -> Int? {
        status(pid)["voluntary_ctxt_switches"].flatMap { Int($0) }
    }

    /// Live processes whose environment holds `NAME=value` (the harness's per-launch tag).
    static func pids(withEnvironment entry: String) -> [Int32] {
        let me = getpid()
        return allPids().filter { $0 != me && hasEnvironment($0, entry) }
    }

    /// Whether the environment of `pid` holds the entry `NAME=value` (false for zombies).
    static func hasEnvironment(_ pid: Int32, _ entry: String) -> Bool {
        guard let bytes = readBytes("/proc/\(pid)/environ") else { return false }
        return contains([0] + bytes + [0], [0] + Array(entry.utf8) + [0])
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

// MARK: - A test process

/// glibc functions the Glibc module does not import (they need _GNU_SOURCE), from dlsym.
private enum LibC {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let address = dlsym(nil, name) else { fatalError("glibc has no \(name)") }   // nil: RTLD_DEFAULT
        return unsafeBitCast(address, to: type)
    }

    nonisolated(unsafe) static let pipe2 = symbol("pipe2", as: Pipe2.self)
    /// posix_spawn_file_actions_addclosefrom_np (glibc 2.34).
    nonisolated(unsafe) static let addClosefrom = symbol("posix_spawn_file_actions_addclosefrom_np", as: AddClosefrom.self)
    /// posix_spawn_file_actions_addchdir_np (glibc 2.29).
    nonisolated(unsafe) static let addChdir = symbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)
}

enum StdStream: Sendable, CustomStringConvertible {
    case stdout, stderr
    var description: String { self == .stdout ? "stdout" : "stderr" }
}

/// One line of output and when the harness read it.
struct OutputLine: Sendable, CustomStringConvertible {
    let text: String
    let time: ContinuousClock.Instant
    var description: String { text }
}

/// How a process ended.
enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        if status & 0x7f == 0 { self = .exited((status >> 8) & 0xff) } else { self = .signaled(status & 0x7f) }
    }

    /// As a shell reports it: the code, or 128+N.
    var shellCode: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    var description: String {
        switch self {
        case .exited(let code): return "exited with code \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }
}

/// The signal dispositions a started process gets.
enum SignalDefaults: Sendable {
    /// Every signal at its default, glibc's internal 32 and 33 included (as from a shell).
    case all
    /// What glibc's posix_spawn in a multithreaded program gives when asked for
    /// `sigfillset` defaults: sigfillset leaves out 32 and 33, so they arrive ignored.
    case glibcFill
}

enum StdinSource: Sendable {
    /// /dev/null.
    case null
    /// A pipe the test writes to (`write(toStdin:)`, `closeStdin()`).
    case pipe
}

/// A process started by the harness (in its own process group, with a clean signal state,
/// only descriptors 0-2, stdout and stderr read line by line as they arrive). Every process
/// started from it carries an environment tag, so `terminate()` can find and kill the whole
/// tree, daemons included.
final class TestProcess: @unchecked Sendable, CustomStringConvertible {
    let pid: pid_t
    let argv: [String]
    /// `NAME=value` in the environment of this process and its descendants.
    let tag: String

    private let condition = NSCondition()
    private var stdoutLines: [OutputLine] = []
    private var stderrLines: [OutputLine] = []
    private var partial: [[UInt8]] = [[], []]
    private var outputClosed = false
    private var exitStatus: ExitStatus? = nil
    private var exitInstant: ContinuousClock.Instant? = nil
    private var stdinDescriptor: Int32 = -1
    private var stopReading = false
    private var terminated = false

    static let tagName = "SWINIT_INTEGRATION_TEST_TAG"

    /// Environment variables of the test runner that must not reach swinit by accident.
    private static func isInherited(_ name: String) -> Bool {
        !(name.hasPrefix("SWINIT_") || name.hasPrefix("LISTEN_") || name == "NOTIFY_SOCKET" || name == tagName)
    }

    /// Starts `argv` (looked up on PATH) with the runner's environment plus `environment`.
    init(_ argv: [String], environment: [String: String] = [:], stdin: StdinSource = .null,
         workingDirectory: String? = nil, signalDefaults: SignalDefaults = .all) throws {
        precondition(!argv.isEmpty)
        self.argv = argv
        self.tag = TestProcess.tagName + "=" + UUID().uuidString

        var env = ProcessInfo.processInfo.environment.filter { TestProcess.isInherited($0.key) }
        for (name, value) in environment { env[name] = value }
        var envStrings = env.map { "\($0.key)=\($0.value)" }
        envStrings.append(tag)

        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1], input: [Int32] = [-1, -1]
        guard LibC.pipe2(&out, O_CLOEXEC) == 0, LibC.pipe2(&err, O_CLOEXEC) == 0,
              stdin == .null || LibC.pipe2(&input, O_CLOEXEC) == 0 else {
            throw HarnessError("pipe2: \(String(cString: strerror(errno)))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin == .pipe {
            posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        _ = LibC.addClosefrom(&actions, 3)
        if let workingDirectory { _ = LibC.addChdir(&actions, workingDirectory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        if signalDefaults == .all {
            // sigfillset leaves out glibc's internal signals 32 and 33 (bits 31 and 32);
            // posix_spawn would then hand them over as SIG_IGN.
            all.__val.0 |= (1 << 31) | (1 << 32)
        }
        posix_spawnattr_setsigdefault(&attributes, &all)

        let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = envStrings.map { strdup($0) } + [nil]
        defer { for p in cArgv { free(p) }; for p in cEnv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, argv[0], &actions, &attributes, cArgv, cEnv)
        close(out[1]); close(err[1])
        if stdin == .pipe { close(input[0]) }
        guard rc == 0 else {
            close(out[0]); close(err[0])
            if stdin == .pipe { close(input[1]) }
            throw HarnessError("cannot start \(argv): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinDescriptor = stdin == .pipe ? input[1] : -1

        let (outRead, errRead) = (out[0], err[0])
        Thread { [self] in readLoop(outRead, errRead) }.start()
        Thread { [self] in waitLoop() }.start()
    }

    deinit { terminate() }

    // MARK: Output

    private func readLoop(_ outFd: Int32, _ errFd: Int32) {
        let descriptors = [outFd, errFd]
        var open = [true, true]
        var fds = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open[0] || open[1] {
            for i in 0..<2 { fds[i].fd = open[i] ? descriptors[i] : -1; fds[i].revents = 0 }
            let n = poll(&fds, 2, 100)
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 {
                condition.lock(); let stop = stopReading; condition.unlock()
                if stop { break }
                continue
            }
            for i in 0..<2 where open[i] && fds[i].revents != 0 {
                let got = read(descriptors[i], &buffer, buffer.count)
                if got > 0 {
                    append(Array(buffer[0..<got]), stream: i)
                } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[i] = false
                    append(nil, stream: i)
                }
            }
        }
        close(outFd); close(errFd)
        condition.lock()
        for i in 0..<2 where !partial[i].isEmpty { appendLine(partial[i], stream: i) }
        partial = [[], []]
        outputClosed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Adds bytes (nil: end of file) to stream 0 (stdout) or 1 (stderr), splitting lines.
    private func append(_ bytes: [UInt8]?, stream: Int) {
        condition.lock()
        defer { condition.broadcast(); condition.unlock() }
        guard let bytes else {
            if !partial[stream].isEmpty { appendLine(partial[stream], stream: stream) }
            partial[stream] = []
            return
        }
        partial[stream] += bytes
        while let newline = partial[stream].firstIndex(of: UInt8(ascii: "\n")) {
            appendLine(Array(partial[stream][..<newline]), stream: stream)
            partial[stream].removeSubrange(...newline)
        }
    }

    private func appendLine(_ bytes: [UInt8], stream: Int) {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        let line = OutputLine(text: text, time: .now)
        if stream == 0 { stdoutLines.append(line) } else { stderrLines.append(line) }
    }

    private func waitLoop() {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
        let now = ContinuousClock.now
        condition.lock()
        exitStatus = result == pid ? ExitStatus(waitStatus: status) : .exited(-1)
        exitInstant = now
        condition.broadcast()
        condition.unlock()
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// The lines read so far.
    func lines(_ stream: StdStream = .stdout) -> [OutputLine] {
        locked { stream == .stdout ? stdoutLines : stderrLines }
    }

    /// The text of the lines read so far.
    func text(_ stream: StdStream = .stdout) -> [String] { lines(stream).map(\.text) }

    /// True once the process has exited and its stdout and stderr are closed.
    var isFinished: Bool { locked { exitStatus != nil && outputClosed } }

    /// The first line (at index `from` or later) for which `matching` holds. Throws at the
    /// timeout, or as soon as the output has ended without such a line.
    @discardableResult
    func waitForLine(in stream: StdStream = .stdout, from start: Int = 0, timeout: Duration = .seconds(10),
                     _ what: String = "a matching line", matching: (String) -> Bool) async throws -> OutputLine {
        do {
            return try await waitUntil(timeout: timeout, "\(what) on \(stream)") { () throws -> OutputLine? in
                let (lines, closed) = locked { (stream == .stdout ? stdoutLines : stderrLines, outputClosed) }
                if let found = lines.dropFirst(start).first(where: { matching($0.text) }) { return found }
                if closed { throw HarnessError("output ended") }
                return nil
            }
        } catch let error as HarnessError {
            throw HarnessError("\(error.description) — waiting for \(what) on \(stream)\n\(self)")
        }
    }

    /// Waits for a line equal to `text`.
    @discardableResult
    func waitForLine(_ text: String, in stream: StdStream = .stdout, timeout: Duration = .seconds(10)) async throws -> OutputLine {
        try await waitForLine(in: stream, timeout: timeout, "the line \"\(text)\"") { $0 == text }
    }

    /// Waits for a line containing `fragment`.
    @discardableResult
    func waitForLine(containing fragment: String, in stream: StdStream = .stdout, timeout: Duration = .seconds(10)) async throws -> OutputLine {
        try await waitForLine(in: stream, timeout: timeout, "a line containing \"\(fragment)\"") { $0.contains(fragment) }
    }

    /// Waits for a line starting with `prefix` and returns the rest of it.
    func waitForValue(after prefix: String, in stream: StdStream = .stdout, timeout: Duration = .seconds(10)) async throws -> String {
        let line = try await waitForLine(in: stream, timeout: timeout, "a line starting with \"\(prefix)\"") { $0.hasPrefix(prefix) }
        return String(line.text.dropFirst(prefix.count))
    }

    // MARK: Exit

    /// Waits until the process has exited (and, for at most 2 s more, until its output is
    /// closed, so `lines` is complete); its exit status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(10)) async throws -> ExitStatus {
        let status: ExitStatus
        do {
            status = try await waitUntil(timeout: timeout, "exit") { locked { exitStatus } }
        } catch {
            throw HarnessError("\(error) of\n\(self)")
        }
        _ = try? await waitUntil(timeout: .seconds(2), "end of output") { locked { outputClosed ? true : nil } }
        return status
    }

    /// When `waitpid` returned for the process; nil while it runs.
    var exitTime: ContinuousClock.Instant? { locked { exitInstant } }
    var status: ExitStatus? { locked { exitStatus } }

    // MARK: Input

    func write(toStdin text: String) throws {
        let fd = locked { stdinDescriptor }
        guard fd >= 0 else { throw HarnessError("stdin of \(argv) is not a pipe") }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; throw HarnessError("write to stdin: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    func closeStdin() {
        condition.lock()
        if stdinDescriptor >= 0 { close(stdinDescriptor); stdinDescriptor = -1 }
        condition.unlock()
    }

    // MARK: Cleanup

    /// Kills every process carrying this launch's tag, the process itself and its group, and
    /// waits (at most 3 s) until it is reaped. Safe to call more than once.
    func terminate() {
        condition.lock()
        let already = terminated
        terminated = true
        condition.unlock()
        if already { return }

        let deadline = Date(timeIntervalSinceNow: 3)
        // Repeat: a process may fork between the scan and the kill.
        while true {
            let tagged = ProcFS.pids(withEnvironment: tag)
            for victim in tagged { kill(victim, SIGKILL) }
            if tagged.isEmpty || Date() > deadline { break }
        }
        condition.lock()
        // Only while not reaped: afterwards the pid may belong to someone else.
        if exitStatus == nil { kill(-pid, SIGKILL); kill(pid, SIGKILL) }
        while exitStatus == nil && condition.wait(until: deadline) {}
        stopReading = true
        if stdinDescriptor >= 0 { close(stdinDescriptor); stdinDescriptor = -1 }
        condition.unlock()
    }

    var description: String {
        let (out, err, status) = locked { (stdoutLines, stderrLines, exitStatus) }
        func tail(_ lines: [OutputLine]) -> String {
            let shown = lines.suffix(40).map { "    | " + $0.text }.joined(separator: "\n")
            return lines.count > 40 ? "    (\(lines.count - 40) earlier lines)\n" + shown : shown
        }
        return """
            process \(pid): \(argv.joined(separator: " "))
              status: \(status.map(String.init(describing:)) ?? "running")
              stdout (\(out.count) lines):
            \(tail(out))
              stderr (\(err.count) lines):
            \(tail(err))
            """
    }
}

// MARK: - swinit

/// Where swinit runs.
enum LaunchMode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// PID 1 of a new PID namespace (with its own /proc).
    case pid1
    /// A plain child of the test, registered as a child subreaper.
    case subreaper

    var testDescription: String { self == .pid1 ? "as PID 1" : "as subreaper" }
}

/// One swinit run: `Swinit.launch([...options..., "--", program...], mode: .pid1)`.
final class Swinit: @unchecked Sendable, CustomStringConvertible {
    let mode: LaunchMode
    let process: TestProcess
    private let lock = NSLock()
    private var cachedPid: Int32? = nil

    /// The command that runs swinit with `arguments` in `mode`. `shellPrefix`, when given, is
    /// shell code run just before swinit is exec'd from `sh` (to open descriptors, ignore
    /// signals, set variables with the final pid: `$$` is swinit's pid in its namespace).
    static func commandLine(_ arguments: [String], mode: LaunchMode, shellPrefix: String? = nil,
                            binary: String = Paths.swinit) -> [String] {
        var command = [binary] + arguments
        if let shellPrefix {
            command = [Paths.sh, "-c", "\(shellPrefix)\nexec \"$0\" \"$@\""] + command
        }
        switch mode {
        case .pid1: return namespacePrefix + command
        case .subreaper: return command
        }
    }

    /// `unshare` into a new PID namespace with its own /proc; through a user namespace when not
    /// root, so the tests need no privileges. `--kill-child`: if unshare dies, so does PID 1.
    static var namespacePrefix: [String] {
        var prefix = [Paths.unshare]
        if getuid() != 0 { prefix += ["--user", "--map-root-user"] }
        return prefix + ["--pid", "--fork", "--mount-proc", "--kill-child"]
    }

    static func launch(_ arguments: [String], mode: LaunchMode = .pid1, environment: [String: String] = [:],
                       stdin: StdinSource = .null, workingDirectory: String? = nil,
                       shellPrefix: String? = nil, signalDefaults: SignalDefaults = .all) throws -> Swinit {
        let command = commandLine(arguments, mode: mode, shellPrefix: shellPrefix)
        // Each launch gets its own control directory: tests run in parallel, and the default
        // /run/swinit on the host would be shared by all of them.
        var environment = environment
        var controlDirectory: String? = nil
        if environment["SWINIT_CONTROL_DIR"] == nil {
            var template = Array("/tmp/swinit-ctl-it.XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp: \(String(cString: strerror(errno)))") }
            controlDirectory = String(cString: made)
            environment["SWINIT_CONTROL_DIR"] = controlDirectory
        }
        return Swinit(mode: mode, process: try TestProcess(command, environment: environment, stdin: stdin,
                                                            workingDirectory: workingDirectory,
                                                            signalDefaults: signalDefaults),
                      controlDirectory: controlDirectory)
    }

    /// The control directory this launch uses (removed at `terminate`), when the test did not choose one.
    let controlDirectory: String?

    private init(mode: LaunchMode, process: TestProcess, controlDirectory: String?) {
        self.mode = mode
        self.process = process
        self.controlDirectory = controlDirectory
    }

    deinit { terminate() }

    /// swinit's pid on the host, once it runs swinit (not the shell or unshare before it).
    func pid(timeout: Duration = .seconds(5)) async throws -> Int32 {
        if let cached = lock.withLock({ cachedPid }) { return cached }
        let found = try await waitUntil(timeout: timeout, "swinit to start (\(process.argv.joined(separator: " ")))") { () throws -> Int32? in
            if let status = process.status { throw HarnessError("swinit's launcher ended (\(status)) before swinit was found\n\(process)") }
            return currentPid()
        }
        lock.withLock { cachedPid = found }
        return found
    }

    /// swinit's host pid if it runs now (no waiting).
    private func currentPid() -> Int32? {
        let candidates = mode == .pid1 ? ProcFS.children(of: process.pid) : [process.pid]
        return candidates.first { ProcFS.comm($0) == "swinit" }
    }

    /// Sends `signal` to swinit (its host pid).
    func signal(_ signal: Int32) async throws {
        let target = try await pid()
        guard kill(target, signal) == 0 else { throw HarnessError("kill(\(target), \(signal)): \(String(cString: strerror(errno)))") }
    }

    /// swinit's main child (host pid), once it has exec'd its program (`comm` is no longer
    /// "swinit"); `comm` may name the program to wait for.
    func mainChild(comm expected: String? = nil, timeout: Duration = .seconds(5)) async throws -> Int32 {
        let swinit = try await pid(timeout: timeout)
        return try await waitUntil(timeout: timeout, "swinit's child\(expected.map { " " + $0 } ?? "")") { () -> Int32? in
            ProcFS.children(of: swinit).first { child in
                guard let comm = ProcFS.comm(child) else { return false }
                return expected.map { comm == $0 } ?? (comm != "swinit")
            }
        }
    }

    /// The host pid of the process that has pid `pid` in swinit's PID namespace (the same pid
    /// when not PID 1).
    func hostPid(ofNamespacePid pid: Int32) async throws -> Int32? {
        if mode == .subreaper { return pid }
        let swinit = try await self.pid()
        guard let namespace = ProcFS.pidNamespace(swinit) else { return nil }
        return ProcFS.pids(withEnvironment: process.tag).first {
            ProcFS.namespacePid($0) == pid && ProcFS.pidNamespace($0) == namespace
        }
    }

    // Output and exit, from the launched process (unshare passes swinit's status on).

    @discardableResult
    func waitForLine(in stream: StdStream = .stdout, timeout: Duration = .seconds(10),
                     _ what: String = "a matching line", matching: (String) -> Bool) async throws -> OutputLine {
        try await process.waitForLine(in: stream, timeout: timeout, what, matching: matching)
    }

    @discardableResult
    func waitForLine(_ text: String, in stream: StdStream = .stdout, timeout: Duration = .seconds(10)) async throws -> OutputLine {
        try await process.waitForLine(text, in: stream, timeout: timeout)
    }

    @discardableResult
    func waitForLine(containing fragment: String, in stream: StdStream = .stdout, timeout: Duration = .seconds(10)) async throws -> OutputLine {
        try await process.waitForLine(containing: fragment, in: stream, timeout: timeout)
    }

    func waitForValue(after prefix: String, in stream: StdStream = .stdout, timeout: Duration = .seconds(10)) async throws -> String {
        try await process.waitForValue(after: prefix, in: stream, timeout: timeout)
    }

    @discardableResult
    func waitForExit(timeout: Duration = .seconds(10)) async throws -> ExitStatus {
        try await process.waitForExit(timeout: timeout)
    }

    func lines(_ stream: StdStream = .stdout) -> [OutputLine] { process.lines(stream) }
    func text(_ stream: StdStream = .stdout) -> [String] { process.text(stream) }
    var exitTime: ContinuousClock.Instant? { process.exitTime }
    func write(toStdin text: String) throws { try process.write(toStdin: text) }
    func closeStdin() { process.closeStdin() }

    /// Kills everything this run started. As PID 1, killing swinit ends the whole namespace.
    func terminate() {
        defer { if let controlDirectory { try? FileManager.default.removeItem(atPath: controlDirectory) } }
        // The tag check: once swinit has exited, its pid may belong to someone else.
        if let swinit = lock.withLock({ cachedPid }) ?? currentPid(), ProcFS.hasEnvironment(swinit, process.tag) {
            let below = mode == .subreaper ? ProcFS.descendants(of: swinit) : []
            kill(swinit, SIGKILL)
            for pid in below where ProcFS.hasEnvironment(pid, process.tag) { kill(pid, SIGKILL) }
        }
        process.terminate()
    }

    var description: String { "swinit \(mode.testDescription): \(process)" }
}

// MARK: - Temporary files

/// A temporary directory, removed when the value goes away: for config files, markers and
/// programs written by tests.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init(_ prefix: String = "swinit-it") throws {
        var template = Array((NSTemporaryDirectory() + "/\(prefix).XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp: \(String(cString: strerror(errno)))") }
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        path = realpath(made, &resolved) != nil
            ? String(decoding: resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` in the directory (whether it exists or not).
    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `contents` to `name` with `mode`; its path.
    @discardableResult
    func write(_ name: String, _ contents: String, mode: Int = 0o644) throws -> String {
        let target = file(name)
        try contents.write(toFile: target, atomically: false, encoding: .utf8)
        guard chmod(target, mode_t(mode)) == 0 else { throw HarnessError("chmod \(target): \(String(cString: strerror(errno)))") }
        return target
    }

    /// Writes a swinit config file (TOML); its path.
    @discardableResult
    func writeConfig(_ contents: String, name: String = "swinit.toml") throws -> String {
        try write(name, contents)
    }

    /// Writes an executable shell script; its path.
    @discardableResult
    func writeScript(_ name: String, _ body: String) throws -> String {
        try write(name, "#!/bin/sh\n" + body + "\n", mode: 0o755)
    }

    func read(_ name: String) -> String? { ProcFS.readText(file(name)) }

    /// The lines of `name` (empty when it does not exist yet).
    func lines(_ name: String) -> [String] { (read(name) ?? "").split(separator: "\n").map(String.init) }

    /// Waits until the lines of `name` — an event file services append to — satisfy
    /// `predicate`; returns them. Fails at the timeout, showing what the file held.
    @discardableResult
    func waitForLines(in name: String = "events", timeout: Duration = .seconds(10), _ what: String = "the expected events",
                      until predicate: @escaping ([String]) -> Bool) async throws -> [String] {
        try await waitUntil(timeout: timeout, "\(what) in \(name); have: \(lines(name))") { () -> [String]? in
            let current = self.lines(name)
            return predicate(current) ? current : nil
        }
    }
}

// MARK: - Signals

/// A signal as a test argument ("SIGTERM").
struct Sig: Hashable, Sendable, CustomTestStringConvertible, CustomStringConvertible {
    let number: Int32
    let name: String

    init(_ number: Int32, _ name: String) {
        self.number = number
        self.name = name
    }

    var testDescription: String { name }
    var description: String { name }

    /// Whether the signals.py fixture exits on it.
    var endsSignalsFixture: Bool { self == .term || self == .int }

    static let hup = Sig(SIGHUP, "SIGHUP")
    static let int = Sig(SIGINT, "SIGINT")
    static let quit = Sig(SIGQUIT, "SIGQUIT")
    static let usr1 = Sig(SIGUSR1, "SIGUSR1")
    static let usr2 = Sig(SIGUSR2, "SIGUSR2")
    static let winch = Sig(SIGWINCH, "SIGWINCH")
    static let term = Sig(SIGTERM, "SIGTERM")
    static let kill = Sig(SIGKILL, "SIGKILL")
    /// glibc's SIGRTMIN (34; 32 and 33 are reserved by glibc), as Python names it.
    static let rtmin = Sig(34, "SIGRTMIN")
}
