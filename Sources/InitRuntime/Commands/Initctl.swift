import CSystem
import Glibc
import InitCore

/// `initctl`: inspect and drive a running swinit through its control channel.
///
/// Exit status: 0 success, 1 the request failed (unknown service, check not satisfied,
/// timeout in `wait`), 2 usage error, 3 swinit not reachable.
public enum Initctl {
    /// A failure already told to the user; only its exit code remains.
    struct Reported: Error { var code: Int32 }

    /// initctl's exit codes.
    enum Exit {
        static let success: Int32 = 0
        static let failed: Int32 = 1
        static let usage: Int32 = 2
        static let unreachable: Int32 = 3
    }

    /// Runs one initctl command line (without argv[0]) and returns the exit status.
    public static func main(arguments: [String]) -> Int32 {
        // swinit's main blocks every signal before it knows it was started as initctl: undo
        // that, so Ctrl-C ends `logs -f`. SIGPIPE is ignored: a swinit that goes away mid-write
        // is an EPIPE we report, not a silent death.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        signal(SIGPIPE, SIG_IGN)

        let environment = currentEnvironment().variables
        let parsed: InitctlArguments
        do {
            parsed = try InitctlArguments.parse(arguments)
        } catch {
            writeAll(2, "initctl: \(error.message)\n")
            return Exit.usage
        }
        let candidates = ControlPaths.candidates(explicit: controlDirectory(parsed, environment), environment: environment, uid: geteuid())
        switch parsed.command {
        case .help:
            writeAll(1, usage)
            return Exit.success
        case .version:
            return version(candidates, timeout: parsed.replyTimeout)
        case .top:
            guard isatty(0) != 0, isatty(1) != 0 else {
                writeAll(2, "initctl: top needs a terminal; use 'initctl status' (or 'status --json') instead\n")
                return Exit.usage
            }
        default:
            break
        }
        let client: ControlClient
        switch ControlClient.connect(candidates: candidates) {
        case .success(let c): client = c
        case .failure(let error): return fail(error)
        }
        let session = Session(client: client, timeout: parsed.replyTimeout, environment: environment)
        switch parsed.command {
        case .status(let names, let json): return session.status(names, json: json)
        case .start(let names, let all): return session.simple(.start(names: names, all: all))
        case .stop(let names, let all): return session.simple(.stop(names: names, all: all))
        case .restart(let names, let all): return session.simple(.restart(names: names, all: all))
        case .signal(let name, let signal): return session.simple(.signal(name: name, signal: signal))
        case .run(let task): return session.simple(.run(task: task))
        case .reload: return session.simple(.reload)
        case .shutdown(let code): return session.simple(.shutdown(exitCode: code))
        case .graph: return session.graph()
        case .logs(let name, let count, let follow): return session.logs(name, count: count, follow: follow)
        case .wait(let names, let level, let timeout): return session.wait(names, level: level, timeout: timeout)
        case .check(let level): return session.check(level)
        case .top: return session.top()
        case .help, .version: return Exit.success
        }
    }

    /// `--control-dir`, else SWINIT_CONTROL_DIR, else the config's `control-dir`
    /// (SWINIT_CONFIG or /etc/swinit/swinit.toml, when readable), else nil (the defaults).
    static func controlDirectory(_ arguments: InitctlArguments, _ environment: [String: String]) -> String? {
        if let dir = arguments.controlDir { return dir }
        if let dir = environment["SWINIT_CONTROL_DIR"], !dir.isEmpty { return dir }
        let path = environment["SWINIT_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? LaunchOptions.defaultConfigPath
        guard let bytes = try? readFile(path, limit: 1 << 20) else { return nil }
        return ConfigLoader.load(bytes: bytes, file: path, environment: environment).configuration.settings.controlDir
    }

    static func fail(_ error: ClientError) -> Int32 {
        writeAll(2, "initctl: \(error.description)\n")
        switch error {
        case .unreachable: return Exit.unreachable
        case .failed: return Exit.failed
        }
    }

    /// initctl's version, and swinit's when one answers (exit 0 either way).
    static func version(_ candidates: [String], timeout: TimeSpan) -> Int32 {
        writeAll(1, "initctl \(Version.string)\n")
        switch ControlClient.connect(candidates: candidates) {
        case .success(let client):
            switch client.request(.status(names: []), timeout: timeout) {
            case .success(let reply):
                if let s = reply.status {
                    writeAll(1, "swinit \(s.version) (pid \(s.pid), up \(StatusTable.age(s.uptimeMilliseconds))) at \(client.directory)\n")
                }
            case .failure(let error):
                writeAll(2, "initctl: \(error.description)\n")
            }
        case .failure(let error):
            writeAll(2, "initctl: \(error.description)\n")
        }
        return Exit.success
    }

    /// A connected initctl: the commands that talk to swinit.
    struct Session {
        let client: ControlClient
        let timeout: TimeSpan
        let environment: [String: String]

        func send(_ verb: ControlVerb) -> Result<ControlReply, ClientError> {
            client.request(verb, timeout: timeout)
        }

        /// Commands whose whole answer is a message.
        func simple(_ verb: ControlVerb) -> Int32 {
            switch send(verb) {
            case .failure(let error): return fail(error)
            case .success(let reply):
                if !reply.ok {
                    writeAll(2, "initctl: \(reply.message)\n")
                    return Exit.failed
                }
                if !reply.message.isEmpty { writeAll(1, reply.message + "\n") }
                return Exit.success
            }
        }

        func snapshot(_ names: [String]) -> Result<StatusSnapshot, Reported> {
            switch send(.status(names: names)) {
            case .failure(let error): return .failure(Reported(code: fail(error)))
            case .success(let reply):
                guard reply.ok, let status = reply.status else {
                    writeAll(2, "initctl: \(reply.ok ? "reply without a status" : reply.message)\n")
                    return .failure(Reported(code: Exit.failed))
                }
                return .success(status)
            }
        }

        var color: Bool {
            wantsColour(1) { environment[$0] }
        }

        func extras(_ snapshot: StatusSnapshot, sampler: inout ProcessSampler, interval: Bool, color: Bool) -> StatusTable.Extras {
            var extras = StatusTable.Extras()
            extras.color = color
            if ProcessSampler.samePidNamespace(snapshot) {
                extras.samples = sampler.samples(for: snapshot, interval: interval)
                extras.zombies = ProcessSampler.zombies()
            } else {
                extras.processNote = "CPU, RSS and zombies not shown: initctl runs outside swinit's pid namespace"
            }
            return extras
        }

        func status(_ names: [String], json: Bool) -> Int32 {
            switch snapshot(names) {
            case .failure(let reported): return reported.code
            case .success(let s):
                if json {
                    writeAll(1, s.json.encoded() + "\n")
                } else {
                    var sampler = ProcessSampler()
                    writeAll(1, StatusTable.render(s, extras(s, sampler: &sampler, interval: false, color: color)))
                }
                return Exit.success
            }
        }

        func graph() -> Int32 {
            switch send(.graph) {
            case .failure(let error): return fail(error)
            case .success(let reply):
                guard reply.ok, let dot = reply.dot else {
                    writeAll(2, "initctl: \(reply.message)\n")
                    return Exit.failed
                }
                writeAll(1, dot)
                return Exit.success
            }
        }

        /// The last lines; with `follow`, new ones as they come, by polling with the cursor
        /// every half second until interrupted.
        func logs(_ name: String, count: Int, follow: Bool) -> Int32 {
            var after: UInt64? = nil
            while true {
                switch send(.logs(LogQuery(name: name, count: after == nil ? count : ControlLimits.maxLogLines, after: after))) {
                case .failure(let error): return fail(error)
                case .success(let reply):
                    guard reply.ok, let slice = reply.logs else {
                        writeAll(2, "initctl: \(reply.message)\n")
                        return Exit.failed
                    }
                    if slice.dropped > 0 && after != nil { writeAll(2, "initctl: \(slice.dropped) lines were dropped before they could be shown\n") }
                    for line in slice.lines { writeAll(1, line + "\n") }
                    after = slice.next
                }
                if !follow { return Exit.success }
                pause(milliseconds: 500)
            }
        }

        /// Polls the status until every unit named is at `level`, one is beyond hope, or time is up.
        func wait(_ names: [String], level: CheckLevel, timeout: TimeSpan) -> Int32 {
            let deadline = monotonicNow() + timeout
            var last = ""
            while true {
                switch snapshot(names) {
                case .failure(let reported): return reported.code
                case .success(let s):
                    switch s.check(level, names: names) {
                    case .satisfied:
                        writeAll(1, "\(names.joined(separator: ", ")): \(level.rawValue)\n")
                        return Exit.success
                    case .failed(let reason):
                        writeAll(2, "initctl: \(reason)\n")
                        return Exit.failed
                    case .pending(let reason):
                        last = reason
                    }
                }
                let remaining = deadline - monotonicNow()
                if remaining <= .zero {
                    writeAll(2, "initctl: timed out after \(timeout): \(last)\n")
                    return Exit.failed
                }
                pause(milliseconds: Int32(clamping: min(100, remaining.millisecondsRoundedUp)))
            }
        }

        /// One status, one verdict: for HEALTHCHECK and exec probes.
        func check(_ level: CheckLevel) -> Int32 {
            switch snapshot([]) {
            case .failure(let reported): return reported.code
            case .success(let s):
                switch s.check(level) {
                case .satisfied:
                    let wanted = s.units.filter { $0.state != "stopped" }.count
                    writeAll(1, "ok: \(wanted) unit\(wanted == 1 ? "" : "s") \(level.rawValue)\n")
                    return Exit.success
                case .pending(let reason), .failed(let reason):
                    writeAll(2, "initctl: not \(level.rawValue): \(reason)\n")
                    return Exit.failed
                }
            }
        }

        /// A full-screen status refreshed every second; q, Ctrl-C or Ctrl-D quits.
        func top() -> Int32 {
            var saved = termios()
            guard tcgetattr(0, &saved) == 0 else {
                let code = errno
                writeAll(2, "initctl: \(SystemError(call: "tcgetattr", errno: code).description)\n")
                return Exit.usage
            }
            var raw = saved
            // No line buffering or echo; Ctrl-C arrives as a byte (ISIG off), so we always get
            // to restore the terminal ourselves.
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
            tcsetattr(0, TCSANOW, &raw)
            // Signals that would end us arrive on a signalfd instead, for the same reason.
            var set = sigset_t()
            sigemptyset(&set)
            for s in [SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGWINCH] { sigaddset(&set, s) }
            sigprocmask(SIG_BLOCK, &set, nil)
            let signals = cs_signalfd(&set)
            writeAll(1, "\u{1B}[?1049h\u{1B}[?25l")
            let failure = refresh(signals: signals)
            writeAll(1, "\u{1B}[?25h\u{1B}[?1049l")
            tcsetattr(0, TCSANOW, &saved)
            if signals >= 0 { close(signals) }
            sigprocmask(SIG_UNBLOCK, &set, nil)
            return failure.map(fail) ?? Exit.success
        }

        /// `top`'s loop: nil when the user quit, else why it stopped.
        func refresh(signals: Int32) -> ClientError? {
            var sampler = ProcessSampler()
            while true {
                let s: StatusSnapshot
                switch send(.status(names: [])) {
                case .failure(let error):
                    return error
                case .success(let reply):
                    guard let status = reply.status else { return .failed(reply.message) }
                    s = status
                }
                let table = StatusTable.render(s, extras(s, sampler: &sampler, interval: true, color: color))
                var frame = "\u{1B}[H"
                for line in table.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { frame += line + "\u{1B}[K\r\n" }
                frame += "\u{1B}[K\r\n(q to quit; refreshed every second)\u{1B}[K\u{1B}[J"
                writeAll(1, frame)
                var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
                let deadline = monotonicNow() + .seconds(1)
                var redraw = false
                while !redraw {
                    let remaining = deadline - monotonicNow()
                    if remaining <= .zero { break }
                    let n = poll(&fds, signals >= 0 ? 2 : 1, Int32(clamping: remaining.millisecondsRoundedUp))
                    if n <= 0 { continue }
                    if fds[0].revents != 0 {
                        var byte: UInt8 = 0
                        let got = read(0, &byte, 1)
                        if got <= 0 || byte == UInt8(ascii: "q") || byte == UInt8(ascii: "Q") || byte == 3 || byte == 4 { return nil }
                    }
                    if signals >= 0 && fds[1].revents != 0 {
                        var signo: Int32 = 0, sender: Int32 = 0, code: Int32 = 0
                        while cs_signalfd_read(signals, &signo, &sender, &code) == 1 {
                            if signo != SIGWINCH { return nil }
                            redraw = true
                        }
                    }
                }
            }
        }
    }

    /// Waits without spinning (client side only: swinit itself never sleeps).
    static func pause(milliseconds: Int32) {
        _ = poll(nil, 0, milliseconds)
    }

    static let usage = """
        usage: initctl [--control-dir DIR] COMMAND [ARGS]

        Commands:
          status [NAME...] [--json]     one row per service instance, with CPU/RSS and zombies
          start|stop|restart NAME...    (or --all: every service but the main program)
          signal NAME SIGNAL            send a signal (HUP, USR1, 10...) to a service's processes
          run TASK                      run a one-shot again
          reload                        re-read the configuration
          logs NAME [-n N] [-f]         recent output of a service (-f: follow)
          wait NAME... [--ready|--healthy] [--timeout D]
                                        until the services are up (default timeout 60s)
          check [--ready|--healthy]     exit 0 when every wanted service is up (for health checks)
          shutdown [--exit-code N]      stop everything; swinit exits with N (default 0)
          graph                         the dependency graph as Graphviz DOT
          top                           live status on a terminal (q quits)
          version                       initctl's version and the running swinit's

        Options:
          --control-dir DIR   where swinit's control FIFO is (SWINIT_CONTROL_DIR; default:
                              /run/swinit, then $XDG_RUNTIME_DIR/swinit, then /tmp/swinit-UID)
          --timeout D         how long to wait for a reply (5s); for 'wait', the whole wait
          --json              status as JSON

        Exit status: 0 success, 1 request failed, 2 usage error, 3 swinit not reachable.

        """
}
