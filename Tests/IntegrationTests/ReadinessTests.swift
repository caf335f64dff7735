import Foundation
import Testing

// swinit as PID 1 in a new PID namespace, with readiness, health, hooks, events and pid files.
// Every wait is bounded and waits for an event (a log line, a file, an exit), never a bare sleep.
// Helpers are private and prefixed `ready` (the shared harness lives on main).

/// One swinit run: its directory, its log, and the unshare process around it.
private final class ReadyRun {
    let dir: String
    let process: Process
    let logPath: String

    init(config: (String) -> String) throws {
        dir = NSTemporaryDirectory() + "swinit-ready-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let configPath = dir + "/swinit.toml"
        try config(dir).write(toFile: configPath, atomically: true, encoding: .utf8)
        logPath = dir + "/swinit.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        // --kill-child: if the test dies, PID 1 and with it the namespace go too.
        process.arguments = ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child",
                             readySwinitPath, "--config", configPath, "-v", "--control-dir", dir + "/control"]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: dir)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func file(_ name: String) -> String? { try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) }

    func lines(_ name: String) -> [String] { (file(name) ?? "").split(separator: "\n").map(String.init) }

    /// Waits until `condition` holds, at most `seconds`; records the log on failure.
    @discardableResult
    func wait(_ what: String, seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        if condition() { return true }
        Issue.record("timed out waiting for \(what); swinit log:\n\(log)")
        return false
    }

    func waitLog(_ text: String, count: Int = 1, seconds: Double = 10) -> Bool {
        wait("'\(text)' ×\(count) in the log", seconds: seconds) { log.components(separatedBy: text).count - 1 >= count }
    }

    /// SIGTERM to swinit (unshare's child), then waits for it to exit.
    func stop() {
        let children = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children", encoding: .utf8)) ?? ""
        if let pid = children.split(separator: " ").first.flatMap({ Int32($0) }) { kill(pid, SIGTERM) }
        wait("swinit to exit", seconds: 15) { !process.isRunning }
    }
}

private let readySwinitPath: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent(".build/debug/swinit").path
}()

private func readyJSON(_ line: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
}

private let readyPython = "/usr/bin/python3"

@Suite("Integration: readiness, health, hooks, events", .serialized, .timeLimit(.minutes(2)))
struct ReadinessIntegrationTests {
    @Test("web requires db with a tcp check: web starts only after db accepts on its port")
    func webWaitsForDatabasePort() throws {
        let run = try ReadyRun { dir in """
            [services.db]
            command = ["\(readyPython)", "-c", "import socket,time; time.sleep(1.0); s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 18431)); s.listen(); open('\(dir)/db-listening','w').close(); time.sleep(600)"]
            ready = { tcp = "127.0.0.1:18431" }
            ready-interval = "100ms"
            [services.web]
            command = ["sh", "-c", "if [ -e \(dir)/db-listening ]; then echo yes; else echo no; fi > \(dir)/web-saw-db; exec sleep 600"]
            requires = ["db"]
            """ }
        run.wait("web to start") { run.file("web-saw-db") != nil }
        #expect(run.file("web-saw-db") == "yes\n")
        #expect(run.log.contains("db is ready"))
        run.stop()
    }

    @Test("a notify service that never sends READY=1 fails at ready-timeout and is restarted")
    func notifyWithoutReadyIsRestarted() throws {
        let run = try ReadyRun { dir in """
            [services.mute]
            command = ["sh", "-c", "echo start >> \(dir)/starts; [ -n \\"$NOTIFY_SOCKET\\" ] && exec sleep 600"]
            ready = { notify = true }
            ready-timeout = "1s"
            backoff = "100ms"
            """ }
        #expect(run.waitLog("mute was not ready within 1s"))
        run.wait("a second start") { run.lines("starts").count >= 2 }
        run.stop()
    }

    @Test("a notify service that sends READY=1 and STATUS is ready; another service cannot mark it ready")
    func oneServiceCannotMarkAnotherReady() throws {
        let sender = "import socket,os,sys,time; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)"
        let run = try ReadyRun { dir in """
            [services.victim]
            command = ["sh", "-c", "exec sleep 600"]
            ready = { notify = true }
            ready-timeout = "3s"
            restart = "never"
            [services.liar]
            command = ["\(readyPython)", "-c", "\(sender); d=os.path.dirname(os.environ['NOTIFY_SOCKET']); s.sendto(b'READY=1', d + '/victim'); s.sendto(b'READY=1\\\\nSTATUS=serving', os.environ['NOTIFY_SOCKET']); time.sleep(600)"]
            ready = { notify = true }
            [services.dependant]
            command = ["sh", "-c", "touch \(dir)/dependant-started; exec sleep 600"]
            requires = ["victim"]
            """ }
        #expect(run.waitLog("liar is ready"))
        #expect(run.waitLog("victim: ignored a notification from pid"))
        #expect(run.waitLog("victim was not ready within 3s"))
        #expect(run.file("dependant-started") == nil)
        #expect(!run.log.contains("victim is ready"))
        run.stop()
    }

    @Test("ready = { fd = 3 }: a newline on descriptor 3 (the s6 convention) makes the service ready")
    func notificationDescriptor() throws {
        let run = try ReadyRun { dir in """
            [services.s6]
            command = ["sh", "-c", "touch \(dir)/before; sleep 0.3; echo >&3; exec 3>&-; exec sleep 600"]
            ready = { fd = 3 }
            [services.after]
            command = ["sh", "-c", "touch \(dir)/after-started; exec sleep 600"]
            requires = ["s6"]
            """ }
        #expect(run.waitLog("s6 is ready"))
        run.wait("the dependant") { run.file("after-started") != nil }
        run.stop()
    }

    @Test("the watchdog restarts a service that stops sending WATCHDOG=1")
    func watchdogRestarts() throws {
        let run = try ReadyRun { dir in """
            [services.dog]
            command = ["\(readyPython)", "-c", "import socket,os,time; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); p=os.environ['NOTIFY_SOCKET']; open('\(dir)/usec','a').write(os.environ['WATCHDOG_USEC']+'\\\\n'); s.sendto(b'READY=1', p); [(s.sendto(b'WATCHDOG=1', p), time.sleep(0.3)) for _ in range(5)]; time.sleep(600)"]
            ready = { notify = true }
            watchdog = "1s"
            backoff = "100ms"
            """ }
        #expect(run.waitLog("dog: no WATCHDOG=1 for 1s; restarting it", seconds: 15))
        run.wait("the restarted process") { run.lines("usec").count >= 2 }
        #expect(run.lines("usec").first == "1000000")
        run.stop()
    }

    @Test("an http health check turning to 500 makes the service unhealthy after retries; on-unhealthy runs and it restarts")
    func httpHealthRestarts() throws {
        let server = """
            import http.server,sys
            n=[0]
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    n[0]+=1
                    self.send_response(200 if n[0] <= 3 else 500); self.end_headers()
                def log_message(self, *a): pass
            open(sys.argv[1],'a').write('start\\n')
            http.server.HTTPServer(('127.0.0.1', 18432), H).serve_forever()
            """
        let run = try ReadyRun { dir in
            try? server.write(toFile: dir + "/server.py", atomically: true, encoding: .utf8)
            return """
            [services.api]
            command = ["\(readyPython)", "\(dir)/server.py", "\(dir)/starts"]
            ready = { http = "http://127.0.0.1:18432/ready" }
            ready-interval = "100ms"
            health = { http = "http://localhost:18432/health", interval = "200ms", timeout = "1s", retries = 2 }
            backoff = "100ms"
            events = { on-unhealthy = ["sh", "-c", "cat >> \(dir)/unhealthy.jsonl"] }
            """
        }
        #expect(run.waitLog("api is unhealthy: http://127.0.0.1:18432/health answered HTTP 500; restarting it"))
        run.wait("a restart") { run.lines("starts").count >= 2 }
        run.wait("the on-unhealthy record") { !run.lines("unhealthy.jsonl").isEmpty }
        let record = readyJSON(run.lines("unhealthy.jsonl")[0])
        #expect(record["event"] as? String == "unhealthy")
        #expect(record["service"] as? String == "api")
        #expect(record["reason"] as? String == "http://127.0.0.1:18432/health answered HTTP 500")
        #expect((record["pid"] as? Int ?? 0) > 1)
        run.stop()
    }

    @Test("a file-age heartbeat going stale makes the service unhealthy and restarts it")
    func staleHeartbeatRestarts() throws {
        let run = try ReadyRun { dir in """
            [services.beat]
            command = ["sh", "-c", "echo start >> \(dir)/starts; for i in 1 2 3 4 5; do touch \(dir)/hb/beat; sleep 0.2; done; exec sleep 600"]
            pre-start = ["mkdir", "-p", "\(dir)/hb"]
            health = { file-age = { path = "\(dir)/hb", max-age = "700ms" }, interval = "250ms", retries = 2 }
            backoff = "100ms"
            """ }
        #expect(run.waitLog("beat is unhealthy: \(run.dir)/hb was last modified"))
        run.wait("a restart") { run.lines("starts").count >= 2 }
        run.stop()
    }

    @Test("a failing pre-start aborts the start attempt, which is retried under the restart policy")
    func preStartFailureIsRetried() throws {
        let run = try ReadyRun { dir in """
            [services.app]
            command = ["sh", "-c", "echo $SWINIT_SERVICE >> \(dir)/app-started; exec sleep 600"]
            pre-start = ["sh", "-c", "echo $SWINIT_EVENT >> \(dir)/pre; [ $(wc -l < \(dir)/pre) -ge 2 ]"]
            backoff = "100ms"
            """ }
        run.wait("the app to start") { run.file("app-started") != nil }
        #expect(run.lines("pre") == ["pre-start", "pre-start"])
        #expect(run.lines("app-started") == ["app"])
        #expect(run.log.contains("app: pre-start failed (exited with code 1)"))
        run.stop()
    }

    @Test("stop-command replaces the stop signal at shutdown")
    func stopCommandStopsTheService() throws {
        let run = try ReadyRun { dir in """
            [services.db]
            command = ["\(readyPython)", "-c", "import signal,os,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.signal(signal.SIGUSR1, lambda *a: (open('\(dir)/usr1','w').close(), os._exit(0))); open('\(dir)/db.pid','w').write(str(os.getpid())); time.sleep(600)"]
            stop-command = ["sh", "-c", "echo $SWINIT_EVENT > \(dir)/stop-ran; kill -USR1 $(cat \(dir)/db.pid)"]
            stop-timeout = "20s"
            """ }
        run.wait("db to run") { run.file("db.pid") != nil }
        let started = Date()
        run.stop()
        #expect(run.file("stop-ran") == "stop\n")
        #expect(run.file("usr1") != nil)
        #expect(Date().timeIntervalSince(started) < 10, "the stop-command stopped it, not the 20s timeout")
    }

    @Test("on-exit, on-restart and on-fatal each get one JSON record, field by field")
    func eventRecords() throws {
        let run = try ReadyRun { dir in """
            [events]
            on-fatal = ["sh", "-c", "cat >> \(dir)/events.jsonl"]
            [services.crash]
            command = ["sh", "-c", "echo $$$$ >> \(dir)/pids; exit 3"]
            start-retries = 1
            backoff = "100ms"
            events = { on-exit = ["sh", "-c", "cat >> \(dir)/events.jsonl"], on-restart = ["sh", "-c", "cat >> \(dir)/events.jsonl"] }
            """ }
        run.wait("four event records") { run.lines("events.jsonl").count >= 4 }
        let records = run.lines("events.jsonl").map(readyJSON)
        let pids = run.lines("pids").compactMap { Int($0) }
        #expect(Set(records.map { $0["event"] as? String ?? "?" }) == ["exit", "restart", "fatal"])
        #expect(records.filter { $0["event"] as? String == "exit" }.count == 2)
        let now = Int(Date().timeIntervalSince1970)
        for record in records {
            #expect(record["service"] as? String == "crash")
            #expect(record["unit"] as? String == "crash")
            #expect(record["instance"] is NSNull)
            #expect(record["exit_code"] as? Int == 3)
            #expect(record["signal"] is NSNull)
            #expect(pids.contains(record["pid"] as? Int ?? -1))
            #expect(record["stderr_base64"] as? String == "")
            let unix = record["unix_time"] as? Int ?? 0
            #expect(abs(unix - now) < 60)
            let time = record["time"] as? String ?? ""
            #expect(time.count == 20 && time.hasSuffix("Z") && time.contains("T"))
        }
        let restart = records.first { $0["event"] as? String == "restart" }
        #expect(restart?["restarts"] as? Int == 1)
        let fatal = records.first { $0["event"] as? String == "fatal" }
        #expect(fatal?["pid"] as? Int == pids.last)
        run.stop()
    }

    @Test("a hook that sleeps forever is killed at its timeout and supervision goes on")
    func hangingHookIsKilled() throws {
        let run = try ReadyRun { dir in """
            [services.app]
            command = ["sh", "-c", "echo start >> \(dir)/starts; sleep 1.5; exit 1"]
            post-start = { command = ["sh", "-c", "echo $$$$ > \(dir)/hook.pid; exec sleep 600"], timeout = "500ms" }
            backoff = "100ms"
            start-retries = "unlimited"
            """ }
        #expect(run.waitLog("app: post-start command did not finish within 500ms: killing it"))
        #expect(run.waitLog("app: post-start command timed out after 500ms"))
        run.wait("the app to be restarted meanwhile") { run.lines("starts").count >= 2 }
        run.stop()
    }

    @Test("a daemonising program with a pidfile is supervised, and restarted when the daemon dies")
    func pidFileDaemon() throws {
        let run = try ReadyRun { dir in """
            [services.legacy]
            command = ["sh", "-c", "(setsid sh -c 'echo $$$$ > \(dir)/d.pid; while [ ! -e \(dir)/kill-daemon ]; do sleep 0.05; done; rm \(dir)/kill-daemon; exit 1' &); exit 0"]
            pidfile = "\(dir)/d.pid"
            backoff = "100ms"
            [services.client]
            command = ["sh", "-c", "touch \(dir)/client-started; exec sleep 600"]
            requires = ["legacy"]
            """ }
        #expect(run.waitLog("legacy: supervising daemon pid"))
        run.wait("the dependant to start") { run.file("client-started") != nil }
        FileManager.default.createFile(atPath: run.dir + "/kill-daemon", contents: nil)
        #expect(run.waitLog("legacy: supervising daemon pid", count: 2))
        #expect(run.log.contains("legacy exited with code 1; restarting"))
        run.stop()
    }
}
