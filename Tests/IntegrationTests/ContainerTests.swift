// End-to-end tests of the static swinit binary inside real containers: podman (with runc)
// and plain runc with an OCI bundle. Nothing is pulled: the image is built FROM scratch out
// of the static binaries and the host's static busybox (Tests/container/Containerfile).
//
// Needs (Debian): podman runc busybox-static tini catatonit (catatonit is podman's --init).
// Skipped when podman is missing, unless SWINIT_REQUIRE_CONTAINER is set (CI): then a missing
// podman is a failure. The binaries come from <package root>/.build-static/release/ and are
// built there once per run when missing (SWINIT_STATIC_BIN_DIR overrides the directory).
//
// Every wait is bounded and waits for an event (a line in the logs, a process state, an exit),
// never a fixed sleep.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Environment

private enum ContainerEnv {
    static let environment = ProcessInfo.processInfo.environment
    static let required: Bool = {
        guard let v = environment["SWINIT_REQUIRE_CONTAINER"] else { return false }
        return !v.isEmpty && v != "0"
    }()
    static let podman: String? = which("podman")
    static let runc: String? = which("runc")
    /// Run the suite when podman exists, or when CI demands it (then a missing podman fails).
    static let enabled: Bool = {
        if podman == nil && !required {
            print("ContainerTests: SKIPPED: podman is not installed (apt-get install podman runc busybox-static tini catatonit); "
                + "set SWINIT_REQUIRE_CONTAINER=1 to make this a failure")
            return false
        }
        return true
    }()
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

private func which(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in (path + ":/usr/sbin:/sbin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

// MARK: - Running commands

private struct Outcome: Sendable, CustomStringConvertible {
    var status: Int32
    var out: String
    var err: String
    var seconds: Double
    var description: String {
        "exit \(status) after \(String(format: "%.2f", seconds)) s; stdout: \(out.suffix(800)); stderr: \(err.suffix(800))"
    }
}

private struct CommandError: Error, CustomStringConvertible {
    var description: String
}

/// A started process whose stdout and stderr go to files (no pipe can fill up and block it).
///
/// posix_spawn rather than Foundation's Process: Process learns about the exit through a
/// descriptor the child inherits, and `podman run -d` leaves conmon holding it, so the exit is
/// never seen. The child gets default signal dispositions, an empty signal mask and its own
/// process group (killed as a whole on timeout).
private final class Spawned: @unchecked Sendable {
    let pid: pid_t
    let outURL: URL
    let errURL: URL
    let started: Date
    private var result: Int32?

    init(_ argv: [String]) throws {
        let dir = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        outURL = dir.appendingPathComponent("swinit-ct-\(id).out")
        errURL = dir.appendingPathComponent("swinit-ct-\(id).err")
        guard let exe = argv.first.flatMap({ $0.hasPrefix("/") ? $0 : which($0) }) else {
            throw CommandError(description: "command not found: \(argv.first ?? "")")
        }
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fa, 1, outURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&fa, 2, errURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var p: pid_t = 0
        started = Date()
        let rc = posix_spawn(&p, exe, &fa, &attr, cargs, environ)
        guard rc == 0 else { throw CommandError(description: "posix_spawn \(exe): \(String(cString: strerror(rc)))") }
        pid = p
    }

    var out: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var err: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Waits for the exit (polling waitpid); nil on timeout. Status is 128+N when killed by N.
    func wait(timeout: Double) -> Outcome? {
        let deadline = Date().addingTimeInterval(timeout)
        while result == nil {
            var st: Int32 = 0
            let r = waitpid(pid, &st, WNOHANG)
            if r == pid {
                let sig = st & 0x7f
                result = sig == 0 ? (st >> 8) & 0xff : 128 + sig
                break
            }
            if r < 0 && errno != EINTR { result = -1; break }
            if Date() >= deadline { return nil }
            usleep(2000)
        }
        return Outcome(status: result!, out: out, err: err, seconds: Date().timeIntervalSince(started))
    }

    func kill() {
        if result == nil {
            Glibc.kill(-pid, SIGKILL)
            Glibc.kill(pid, SIGKILL)
        }
        _ = wait(timeout: 10)
    }

    deinit {
        if result == nil { kill() }
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
}

@discardableResult
private func run(_ argv: [String], timeout: Double = 60) throws -> Outcome {
    let p = try Spawned(argv)
    guard let o = p.wait(timeout: timeout) else {
        p.kill()
        throw CommandError(description: "timed out after \(timeout) s: \(argv.joined(separator: " "))\n\(p.out)\(p.err)")
    }
    return o
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
private func eventually(timeout: Double, every interval: Double = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: interval)
    }
}

private struct ProcEntry: Sendable {
    var pid: Int
    var comm: String
    var state: String
    var ppid: Int
}

/// Parses the output of `cat /proc/[0-9]*/stat`.
private func parseProcStat(_ text: String) -> [ProcEntry] {
    text.split(separator: "\n").compactMap { line in
        guard let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")") else { return nil }
        let pid = Int(line[..<open].trimmingCharacters(in: .whitespaces)) ?? -1
        let comm = String(line[line.index(after: open)..<close])
        let rest = line[line.index(after: close)...].split(separator: " ")
        guard rest.count >= 2 else { return nil }
        return ProcEntry(pid: pid, comm: comm, state: String(rest[0]), ppid: Int(rest[1]) ?? -1)
    }
}

// MARK: - Fixture: binaries, image, podman settings

private final class Fixture: Sendable {
    static let image = "localhost/swinit-test:latest"
    let binDir: URL
    let work: URL
    let podmanBase: [String]
    let runFlags: [String]
    let hasTini: Bool
    let hasInitctl: Bool

    static let shared: Result<Fixture, any Error> = Result { try Fixture() }

    static func get() throws -> Fixture {
        try shared.get()
    }

    private init() throws {
        guard let podman = ContainerEnv.podman else {
            throw CommandError(description: "SWINIT_REQUIRE_CONTAINER is set but podman is not installed "
                + "(apt-get install podman runc busybox-static tini catatonit)")
        }
        let root = ContainerEnv.packageRoot
        binDir = ContainerEnv.environment["SWINIT_STATIC_BIN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent(".build-static/release")
        let fm = FileManager.default
        let swinit = binDir.appendingPathComponent("swinit")
        if !fm.isExecutableFile(atPath: swinit.path) {
            // Built once per run; a later run finds it. scripts/build-static wraps the same
            // command (and strips and checks the result) when it is there.
            let script = root.appendingPathComponent("scripts/build-static").path
            let o = fm.isExecutableFile(atPath: script)
                ? try run([script], timeout: 1500)
                : try run(["swift", "build", "-c", "release", "-Xswiftc", "-static-executable",
                           "--scratch-path", root.appendingPathComponent(".build-static").path,
                           "--package-path", root.path], timeout: 1500)
            guard o.status == 0, fm.isExecutableFile(atPath: swinit.path) else {
                throw CommandError(description: "static build of swinit failed: \(o)")
            }
        }
        hasInitctl = fm.isExecutableFile(atPath: binDir.appendingPathComponent("initctl").path)
        let tini = which("tini-static")
        hasTini = tini != nil

        // Settings this sandbox needs (and that are harmless elsewhere):
        //  --storage-driver vfs: no overlayfs (kernel overlay and fuse-overlayfs are unavailable);
        //  --cgroup-manager cgroupfs: there is no systemd to talk to;
        //  --events-backend file: no journald;
        //  --runtime runc: crun 1.8 refuses this kernel's hybrid cgroup v1/v2 layout
        //    ("cgroups in hybrid mode not supported") unless hugetlb is mounted as v1;
        //  --root/--runroot of our own: never collide with other podman users' storage settings.
        let state = URL(fileURLWithPath: "/var/tmp/swinit-container-tests")
        podmanBase = [podman, "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                      "--events-backend", "file", "--runtime", "runc",
                      "--root", state.appendingPathComponent("root").path,
                      "--runroot", state.appendingPathComponent("runroot").path]
        // Per container: no network (there is none, and netavark/slirp cannot set one up), and
        // rlimits no higher than ours: podman asks for nofile=1048576 by default and the sandbox
        // lacks CAP_SYS_RESOURCE, so raising a limit fails with "setrlimit ... not permitted".
        runFlags = ["--network", "none",
                    "--ulimit", "nofile=\(Fixture.limit(Fixture.rlimitNofile, cap: 20000))",
                    "--ulimit", "nproc=\(Fixture.limit(Fixture.rlimitNproc, cap: 32768))"]

        // Build context: rootfs with static busybox + applet links, the init binaries.
        work = fm.temporaryDirectory.appendingPathComponent("swinit-container-\(getpid())")
        try? fm.removeItem(at: work)
        let rootfs = work.appendingPathComponent("ctx/rootfs")
        for d in ["bin", "sbin", "tmp", "proc", "sys", "dev", "etc", "run"] {
            try fm.createDirectory(at: rootfs.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        guard let busybox = ["/bin/busybox", "/usr/bin/busybox"].first(where: { fm.isExecutableFile(atPath: $0) }) else {
            throw CommandError(description: "no /bin/busybox: apt-get install busybox-static")
        }
        let ldd = try run(["ldd", busybox])
        guard !ldd.out.contains("=>") else {
            throw CommandError(description: "\(busybox) is dynamically linked: apt-get install busybox-static")
        }
        try fm.copyItem(atPath: busybox, toPath: rootfs.appendingPathComponent("bin/busybox").path)
        for applet in try run([busybox, "--list"]).out.split(separator: "\n") where applet != "busybox" {
            try fm.createSymbolicLink(atPath: rootfs.appendingPathComponent("bin/\(applet)").path,
                                      withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/:/bin/sh\n".write(to: rootfs.appendingPathComponent("etc/passwd"), atomically: true, encoding: .utf8)
        try fm.copyItem(at: swinit, to: rootfs.appendingPathComponent("sbin/swinit"))
        if hasInitctl {
            try fm.copyItem(at: binDir.appendingPathComponent("initctl"), to: rootfs.appendingPathComponent("sbin/initctl"))
        }
        if let tini { try fm.copyItem(atPath: tini, toPath: rootfs.appendingPathComponent("sbin/tini").path) }
        let containerfile = root.appendingPathComponent("Tests/container/Containerfile")
        let built = try run(podmanBase + ["build", "-q", "-t", Fixture.image, "-f", containerfile.path,
                                          work.appendingPathComponent("ctx").path], timeout: 120)
        guard built.status == 0 else { throw CommandError(description: "podman build failed: \(built)") }
        _ = try? run(podmanBase + ["image", "prune", "-f"], timeout: 60)  // earlier builds' layers
        // Work directories of earlier runs.
        for old in (try? fm.contentsOfDirectory(atPath: fm.temporaryDirectory.path)) ?? []
        where old.hasPrefix("swinit-container-") && old != work.lastPathComponent {
            if let pid = Int32(old.dropFirst("swinit-container-".count)), kill(pid, 0) != 0 {
                try? fm.removeItem(at: fm.temporaryDirectory.appendingPathComponent(old))
            }
        }
    }

    // Linux resource numbers (Glibc imports RLIMIT_NPROC only as a macro Swift cannot see).
    static let rlimitNofile: Int32 = 7
    static let rlimitNproc: Int32 = 6

    static func limit(_ resource: Int32, cap: rlim_t) -> String {
        var rl = rlimit()
        getrlimit(resource, &rl)
        let v = min(rl.rlim_max, cap)
        return "\(v):\(v)"
    }

    @discardableResult
    func podman(_ args: [String], timeout: Double = 60) throws -> Outcome {
        try run(podmanBase + args, timeout: timeout)
    }

    /// Starts a detached container; returns its name. `entrypoint` nil keeps the image's.
    func start(_ name: String, entrypoint: [String]? = nil, extra: [String] = [], _ cmd: [String]) throws -> String {
        let full = "swinit-ct-\(name)-\(getpid())"
        _ = try? podman(["rm", "-f", "-t", "0", full])
        var args = ["run", "-d", "--name", full] + runFlags + extra
        if let entrypoint { args += ["--entrypoint", jsonArray(entrypoint)] }
        do {
            let o = try podman(args + [Fixture.image] + cmd)
            guard o.status == 0 else { throw CommandError(description: "podman run failed: \(o)") }
        } catch {
            remove(full)
            throw error
        }
        return full
    }

    func remove(_ name: String) {
        _ = try? podman(["rm", "-f", "-t", "0", name])
    }

    func logs(_ name: String) -> String {
        guard let o = try? podman(["logs", name]) else { return "" }
        return o.out + o.err
    }

    /// Waits for `text` in the container's output; gives up early when the container is gone.
    func waitForLog(_ name: String, _ text: String, timeout: Double = 10) -> Bool {
        var found = false
        _ = eventually(timeout: timeout) {
            found = logs(name).contains(text)
            return found || !isRunning(name)
        }
        return found || logs(name).contains(text)
    }

    func isRunning(_ name: String) -> Bool {
        let o = try? podman(["inspect", "--format", "{{.State.Running}}", name])
        return o?.out.trimmingCharacters(in: .whitespacesAndNewlines) == "true"
    }

    func exitCode(_ name: String) throws -> Int32 {
        let o = try podman(["inspect", "--format", "{{.State.ExitCode}}", name])
        return Int32(o.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func procs(_ name: String) -> [ProcEntry] {
        guard let o = try? podman(["exec", name, "/bin/sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null"]) else { return [] }
        return parseProcStat(o.out)
    }
}

private func jsonArray(_ a: [String]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: a)
    return String(decoding: data, as: UTF8.self)
}

// Scripts run by busybox sh inside the containers.
private enum Script {
    /// Handles TERM by exiting 0.
    static let graceful = #"trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done"#
    /// Ignores TERM (inherited by the exec'd sleep), so only SIGKILL ends it.
    static let ignoresTerm = #"trap '' TERM; echo ready; exec sleep 300"#
    /// Reports USR1 and HUP on stdout.
    static let signals = #"trap 'echo got USR1' USR1; trap 'echo got HUP' HUP; echo ready; while :; do sleep 0.2; done"#
    /// Leaves 20 orphans (re-parented to PID 1) that exit after 1 s, then keeps running.
    static let orphans = #"for i in $(seq 20); do (usleep 1000000 &); done; echo spawned; exec sleep 300"#
}

private struct ZombieResult {
    var sawOrphansOfPID1: Bool
    var reaped: Bool
    var seconds: Double
    var leftover: [ProcEntry]
}

/// Waits until the 20 orphans of Script.orphans have exited and nothing is a zombie.
private func watchOrphans(_ f: Fixture, _ name: String, timeout: Double = 8) -> ZombieResult {
    let t0 = Date()
    var saw = false
    var last: [ProcEntry] = []
    let ok = eventually(timeout: timeout) {
        last = f.procs(name)
        if last.contains(where: { $0.comm == "usleep" && $0.ppid == 1 }) { saw = true }
        return !last.isEmpty && !last.contains(where: { $0.comm == "usleep" || $0.state == "Z" })
    }
    return ZombieResult(sawOrphansOfPID1: saw, reaped: ok, seconds: Date().timeIntervalSince(t0),
                        leftover: last.filter { $0.comm == "usleep" || $0.state == "Z" })
}

private struct StopResult {
    var seconds: Double
    var exitCode: Int32
    var logs: String
}

private func stopContainer(_ f: Fixture, _ name: String, timeout: Int) throws -> StopResult {
    let o = try f.podman(["stop", "-t", "\(timeout)", name], timeout: Double(timeout) + 30)
    return StopResult(seconds: o.seconds, exitCode: try f.exitCode(name), logs: f.logs(name))
}

// MARK: - Tests

@Suite("Containers: podman and runc end to end", .serialized,
       .enabled(if: ContainerEnv.enabled, "podman is not installed; set SWINIT_REQUIRE_CONTAINER=1 to make this a failure"))
struct ContainerTests {

    @Test("podman run: exit codes pass through swinit")
    func exitCodes() throws {
        let f = try Fixture.get()
        for (script, expected) in [("exit 0", 0), ("exit 3", 3), ("kill -TERM $$", 143), ("kill -KILL $$", 137)] as [(String, Int32)] {
            let o = try f.podman(["run", "--rm"] + f.runFlags + [Fixture.image, "/bin/sh", "-c", script])
            #expect(o.status == expected, "`\(script)`: \(o)")
        }
    }

    @Test("podman run: -e maps an exit code to 0")
    func exitCodeMapping() throws {
        let f = try Fixture.get()
        let o = try f.podman(["run", "--rm"] + f.runFlags
            + ["--entrypoint", jsonArray(["/sbin/swinit", "-e", "3", "--"]), Fixture.image, "/bin/sh", "-c", "exit 3"])
        #expect(o.status == 0, "\(o)")
    }

    @Test("podman stop: child handles SIGTERM and exits 0 at once")
    func gracefulStop() throws {
        let f = try Fixture.get()
        let c = try f.start("graceful", ["/bin/sh", "-c", Script.graceful])
        defer { f.remove(c) }
        #expect(f.waitForLog(c, "ready"), "never ready: \(f.logs(c))")
        let r = try stopContainer(f, c, timeout: 10)
        #expect(r.seconds < 3, "graceful stop took \(r.seconds) s")
        #expect(r.exitCode == 0)
        #expect(r.logs.contains("got TERM"), "\(r.logs)")
    }

    @Test("podman stop: child ignores SIGTERM, swinit's --stop-timeout 1s kills it before podman's 6 s")
    func stopEscalatedBySwinit() throws {
        let f = try Fixture.get()
        let c = try f.start("esc-swinit", entrypoint: ["/sbin/swinit", "--stop-timeout", "1s", "--"],
                            ["/bin/sh", "-c", Script.ignoresTerm])
        defer { f.remove(c) }
        #expect(f.waitForLog(c, "ready"), "never ready: \(f.logs(c))")
        let r = try stopContainer(f, c, timeout: 6)
        print("swinit --stop-timeout 1s, podman stop -t 6: \(String(format: "%.2f", r.seconds)) s, exit \(r.exitCode)")
        #expect(r.seconds >= 0.9, "stopped before the stop timeout: \(r.seconds) s")
        #expect(r.seconds < 4, "swinit did not escalate; podman's SIGKILL did after \(r.seconds) s")
        #expect(r.exitCode == 137)
    }

    @Test("podman stop -t 2: podman's own SIGKILL comes before swinit's default 10 s")
    func stopEscalatedByPodman() throws {
        let f = try Fixture.get()
        let c = try f.start("esc-podman", ["/bin/sh", "-c", Script.ignoresTerm])
        defer { f.remove(c) }
        #expect(f.waitForLog(c, "ready"), "never ready: \(f.logs(c))")
        let r = try stopContainer(f, c, timeout: 2)
        print("swinit default stop timeout, podman stop -t 2: \(String(format: "%.2f", r.seconds)) s, exit \(r.exitCode)")
        #expect(r.seconds >= 1.9, "stopped before podman's timeout: swinit must not kill early (\(r.seconds) s)")
        #expect(r.seconds < 5, "\(r.seconds) s")
        #expect(r.exitCode == 137)
    }

    @Test("podman kill -s SIGUSR1 / SIGHUP reach the child")
    func killForwarded() throws {
        let f = try Fixture.get()
        let c = try f.start("signals", ["/bin/sh", "-c", Script.signals])
        defer { f.remove(c) }
        #expect(f.waitForLog(c, "ready"), "never ready: \(f.logs(c))")
        try f.podman(["kill", "-s", "SIGUSR1", c])
        #expect(f.waitForLog(c, "got USR1", timeout: 5), "USR1 not forwarded: \(f.logs(c))")
        try f.podman(["kill", "-s", "SIGHUP", c])
        #expect(f.waitForLog(c, "got HUP", timeout: 5), "HUP not forwarded: \(f.logs(c))")
    }

    @Test("orphans of the main program are reaped: no zombies remain")
    func noZombies() throws {
        let f = try Fixture.get()
        let c = try f.start("zombies", ["/bin/sh", "-c", Script.orphans])
        defer { f.remove(c) }
        #expect(f.waitForLog(c, "spawned"), "never spawned: \(f.logs(c))")
        let z = watchOrphans(f, c)
        #expect(z.sawOrphansOfPID1, "the orphans were never seen re-parented to PID 1")
        #expect(z.reaped, "left after 8 s: \(z.leftover.map { "\($0.pid) \($0.comm) \($0.state)" })")
    }

    @Test("podman exec CTR initctl status")
    func initctlStatus() throws {
        let f = try Fixture.get()
        try #require(f.hasInitctl, "no initctl binary in \(f.binDir.path)")
        let c = try f.start("initctl", ["/bin/sh", "-c", "echo ready; exec sleep 300"])
        defer { f.remove(c) }
        #expect(f.waitForLog(c, "ready"))
        let o = try f.podman(["exec", c, "/sbin/initctl", "status"])
        #expect(o.status == 0, "\(o)")
        // The main program's unit is named after its argv[0] (`/bin/sh` → "sh").
        let row = o.out.split(separator: "\n").first { $0.hasPrefix("sh ") }
        #expect(row?.contains("running") == true, "status does not list the main program as running: \(o)")
    }

    @Test("comparison: swinit vs tini-static vs podman --init (catatonit): zombies and stop")
    func comparison() throws {
        let f = try Fixture.get()
        struct Variant { var name: String; var entrypoint: [String]; var extra: [String]; var argPrefix: [String] }
        var variants = [Variant(name: "swinit --stop-timeout 1s", entrypoint: ["/sbin/swinit", "--stop-timeout", "1s", "--"], extra: [], argPrefix: [])]
        if f.hasTini {
            variants.append(Variant(name: "tini-static", entrypoint: ["/sbin/tini", "-s", "--"], extra: [], argPrefix: []))
        } else {
            print("comparison: tini-static not installed, left out")
        }
        // podman --init puts catatonit (bind-mounted as /run/podman-init) in front of the entrypoint.
        variants.append(Variant(name: "podman --init (catatonit)", entrypoint: ["/bin/sh"], extra: ["--init"], argPrefix: []))
        var rows: [[String]] = []
        for v in variants {
            let tag = v.name.split(separator: " ").first!.lowercased()
            let sh: (String) -> [String] = { script in v.entrypoint == ["/bin/sh"] ? ["-c", script] : ["/bin/sh", "-c", script] }

            let cz = try f.start("cmp-z-\(tag)", entrypoint: v.entrypoint, extra: v.extra, sh(Script.orphans))
            let spawned = f.waitForLog(cz, "spawned")
            let pid1 = f.procs(cz).first(where: { $0.pid == 1 })?.comm ?? "?"
            let z = watchOrphans(f, cz)
            f.remove(cz)

            let cg = try f.start("cmp-g-\(tag)", entrypoint: v.entrypoint, extra: v.extra, sh(Script.graceful))
            _ = f.waitForLog(cg, "ready")
            let g = try stopContainer(f, cg, timeout: 10)
            f.remove(cg)

            let ce = try f.start("cmp-e-\(tag)", entrypoint: v.entrypoint, extra: v.extra, sh(Script.ignoresTerm))
            _ = f.waitForLog(ce, "ready")
            let e = try stopContainer(f, ce, timeout: 2)
            f.remove(ce)

            let who = e.seconds < 1.8 ? "init, \(String(format: "%.2f", e.seconds)) s" : "podman, \(String(format: "%.2f", e.seconds)) s"
            rows.append([v.name, pid1, spawned && z.reaped ? "none (\(String(format: "%.1f", z.seconds)) s)" : "\(z.leftover.count) LEFT",
                         "\(String(format: "%.2f", g.seconds)) s, exit \(g.exitCode)", "\(who), exit \(e.exitCode)"])
            #expect(spawned && z.reaped, "\(v.name): zombies left: \(z.leftover.map { "\($0.pid) \($0.comm) \($0.state)" })")
            #expect(g.exitCode == 0, "\(v.name): graceful stop exit \(g.exitCode)")
            #expect(e.exitCode == 137, "\(v.name): escalated stop exit \(e.exitCode)")
        }
        let head = ["init", "PID 1", "zombies after orphans exit", "stop -t 10 (TERM handled)", "stop -t 2 (TERM ignored): killed by"]
        let widths = head.indices.map { i in ([head] + rows).map { $0[i].count }.max()! }
        let fmt: ([String]) -> String = { r in r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        print(([fmt(head), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(fmt)).joined(separator: "\n"))
    }

    // MARK: runc with an OCI bundle

    /// Exports the image into a bundle and writes config.json for `args`.
    private func makeBundle(_ f: Fixture, _ name: String, args: [String]) throws -> URL {
        let bundle = f.work.appendingPathComponent("bundle-\(name)")
        let rootfs = bundle.appendingPathComponent("rootfs")
        let fm = FileManager.default
        try? fm.removeItem(at: bundle)
        try fm.createDirectory(at: rootfs, withIntermediateDirectories: true)
        let tar = f.work.appendingPathComponent("rootfs.tar")
        if !fm.fileExists(atPath: tar.path) {
            let cname = "swinit-ct-export-\(getpid())"
            _ = try? f.podman(["rm", "-f", cname])
            try f.podman(["create", "--name", cname, Fixture.image])
            defer { f.remove(cname) }
            let o = try f.podman(["export", "-o", tar.path, cname])
            guard o.status == 0 else { throw CommandError(description: "podman export: \(o)") }
        }
        let x = try run(["tar", "-xf", tar.path, "-C", rootfs.path])
        guard x.status == 0 else { throw CommandError(description: "tar: \(x)") }
        let spec = try run(["runc", "spec", "--bundle", bundle.path])
        guard spec.status == 0 else { throw CommandError(description: "runc spec: \(spec)") }
        let configURL = bundle.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        var process = config["process"] as! [String: Any]
        process["terminal"] = false
        process["args"] = args
        process["env"] = ["PATH=/sbin:/bin"]
        // Same reason as for podman: only limits we already have (the spec default lowers nofile
        // to 1024, which is allowed too, but keep what podman gets).
        let nofile = Fixture.limit(Fixture.rlimitNofile, cap: 20000).split(separator: ":").first.map { Int($0)! } ?? 1024
        process["rlimits"] = [["type": "RLIMIT_NOFILE", "hard": nofile, "soft": nofile]]
        config["process"] = process
        var root = config["root"] as! [String: Any]
        root["readonly"] = false
        config["root"] = root
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted]).write(to: configURL)
        return bundle
    }

    private func runcBase(_ f: Fixture) -> [String] {
        ["runc", "--root", f.work.appendingPathComponent("runc-state").path]
    }

    @Test("runc run (OCI bundle): exit code passes through")
    func runcExitCode() throws {
        let f = try Fixture.get()
        try #require(ContainerEnv.runc != nil, "runc is not installed")
        let bundle = try makeBundle(f, "exit", args: ["/sbin/swinit", "--", "/bin/sh", "-c", "exit 3"])
        let o = try run(runcBase(f) + ["run", "--bundle", bundle.path, "swinit-ct-runc-exit-\(getpid())"], timeout: 30)
        #expect(o.status == 3, "\(o)")
    }

    @Test("runc run (OCI bundle): signals forwarded, orphans reaped, SIGTERM gives 143")
    func runcLifecycle() throws {
        let f = try Fixture.get()
        try #require(ContainerEnv.runc != nil, "runc is not installed")
        let script = #"trap 'echo got USR1' USR1; for i in $(seq 20); do (usleep 1000000 &); done; echo ready; while :; do sleep 0.2; done"#
        let bundle = try makeBundle(f, "life", args: ["/sbin/swinit", "--", "/bin/sh", "-c", script])
        let id = "swinit-ct-runc-life-\(getpid())"
        let base = runcBase(f)
        let p = try Spawned(base + ["run", "--bundle", bundle.path, id])
        defer {
            _ = try? run(base + ["kill", id, "KILL"])
            p.kill()
            _ = try? run(base + ["delete", "-f", id])
        }
        #expect(eventually(timeout: 10) { p.out.contains("ready") }, "never ready: \(p.out) \(p.err)")
        var saw = false
        var last: [ProcEntry] = []
        let reaped = eventually(timeout: 8) {
            last = parseProcStat((try? run(base + ["exec", id, "/bin/sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null"]))?.out ?? "")
            if last.contains(where: { $0.comm == "usleep" && $0.ppid == 1 }) { saw = true }
            return !last.isEmpty && !last.contains(where: { $0.comm == "usleep" || $0.state == "Z" })
        }
        #expect(saw, "the orphans were never seen re-parented to PID 1")
        #expect(reaped, "left: \(last.filter { $0.comm == "usleep" || $0.state == "Z" }.map { "\($0.pid) \($0.comm) \($0.state)" })")
        // After the orphans: swinit forwards to the process group, so USR1 would kill them too.
        try run(base + ["kill", id, "USR1"])
        #expect(eventually(timeout: 5) { p.out.contains("got USR1") }, "USR1 not forwarded: \(p.out)")
        try run(base + ["kill", id, "TERM"])
        let o = p.wait(timeout: 10)
        #expect(o?.status == 143, "after SIGTERM: \(o.map { "\($0)" } ?? "still running after 10 s")")
    }
}
