import CSystem
import Glibc
import InitCore

/// `swinit`: argv and environment → mode → run the loop → exit code.
public enum SwinitCommand {
    public static func main(arguments: [String]) -> Int32 {
        // Read once: in order for the children, as a dictionary for lookups and expansion.
        let (environment, variables) = currentEnvironment()
        let options: LaunchOptions
        do {
            options = try LaunchOptions.parse(arguments: arguments, environment: variables)
        } catch {
            writeAll(2, "swinit: \(error.message)\n")
            return 2
        }
        switch options.mode {
        case .help:
            writeAll(1, usage)
            return 0
        case .version:
            writeAll(1, "swinit \(Version.string)\n")
            return 0
        case .check:
            return check(options, variables: variables)
        case .exampleConfig:
            writeAll(1, ExampleConfig.text)
            return 0
        case .schedule(let expression, let from, let count, let zoneName):
            return schedule(expression, from: from, count: count, zoneName: zoneName, variables: variables)
        case .run:
            return run(options, environment: environment, variables: variables)
        }
    }

    static func run(_ options: LaunchOptions, environment: [[UInt8]], variables: [String: String]) -> Int32 {
        var options = options
        // The children start in this directory; swinit itself moves to "/" below, so reloads
        // must find the same files by absolute paths.
        let workdir = currentDirectory()
        if let cwd = workdir {
            func absolute(_ path: String?) -> String? { path.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } }
            options.configPath = absolute(options.configPath)
            options.procfilePath = absolute(options.procfilePath)
        }
        var console = Console(verbosity: options.verbosity)
        let source: ConfigSource.Loaded
        switch ConfigSource.load(options, environment: variables) {
        case .success(let loaded): source = loaded
        case .failure(let problems):
            for message in problems.messages { writeAll(2, message + "\n") }
            return 1
        }
        if let warnings = source.loaded?.warnings { for w in warnings { writeAll(2, w.description + "\n") } }
        let configuration = source.configuration
        if configuration.services.isEmpty {
            console.log(.error, "nothing to run: give a program after '--' (swinit -- myapp args), or services in \(source.file ?? LaunchOptions.defaultConfigPath)")
            return 2
        }
        if options.verbosity == 0 { console.verbosity = configuration.settings.verbosity }
        let accounts = configuration.services.contains { $0.user != nil || $0.group != nil } ? SystemFiles().accounts : Accounts(passwd: "", group: "")

        let isPID1 = getpid() == 1
        let listenDescriptors = socketActivationDescriptors(variables)
        // Descriptors we inherited are not ours to keep open (they would leak into every
        // service); socket-activation ones are kept for the main program.
        cs_close_from(3 + listenDescriptors)
        if options.subreaper && !isPID1 {
            if cs_set_child_subreaper() == 0 {
                console.log(.info, "not PID 1: registered as child subreaper, so orphans are reaped here")
            } else {
                console.log(.warning, SystemError(call: "prctl(PR_SET_CHILD_SUBREAPER)", errno: errno).description + "; orphans will not be reaped")
            }
        }
        if let signal = options.parentDeathSignal, cs_set_parent_death_signal(signal) != 0 {
            console.log(.warning, SystemError(call: "prctl(PR_SET_PDEATHSIG)", errno: errno).description)
        }
        if workdir != nil { _ = chdir("/") }

        var context = LaunchContext(
            workdir: workdir, environment: environment, terminal: foregroundTerminal(),
            newSession: options.newSession, listenDescriptors: listenDescriptors, isPID1: isPID1)
        context.rawProgram = rawProgram(count: options.program.count)
        var supervisor = Supervisor(configuration: configuration, policy: options.signals)
        supervisor.logLevel = console.maximumLevel
        do {
            let reloader = source.file == nil ? nil : ConfigReloader(options: options, environment: variables)
            let runtime = try Runtime(supervisor: supervisor, context: context, console: console, accounts: accounts, reloader: reloader)
            runtime.writesStatusFile = source.file != nil || variables["SWINIT_STATUS_FILE"].map(LaunchOptions.truthy) == true
            let groups = configuration.settings.controlGroup == nil ? accounts : SystemFiles().accounts
            // Before anything starts: a service may run `initctl wait` as its first step.
            runtime.openControl(ControlSettings.resolve(option: options.controlDir, settings: configuration.settings,
                                                        environment: variables, accounts: groups, console: console))
            return runtime.run()
        } catch {
            console.log(.error, error.description)
            return 1
        }
    }

    /// `swinit check`: every problem at once, then a line per service; exit 0 or 1.
    static func check(_ options: LaunchOptions, variables: [String: String]) -> Int32 {
        let console = Console(verbosity: options.verbosity)
        let path = options.procfilePath ?? options.configPath ?? LaunchOptions.defaultConfigPath
        let loaded: LoadedConfiguration
        switch ConfigSource.parse(path, procfile: options.procfilePath != nil, environment: variables) {
        case .success(let parsed): loaded = parsed
        case .failure(let error):
            console.log(.error, "cannot read config: \(error.description)")
            return 1
        }
        var diagnostics = loaded.diagnostics
        if loaded.errors.isEmpty {
            diagnostics += ConfigCheck.check(loaded, file: path, environment: variables, lookup: SystemFiles(environment: variables))
        }
        for d in diagnostics { writeAll(2, d.description + "\n") }
        let errors = diagnostics.filter { $0.severity == .error }.count
        if errors > 0 {
            writeAll(2, "\(path): \(errors) error\(errors == 1 ? "" : "s")\n")
            return 1
        }
        writeAll(1, ConfigSummary.render(loaded.configuration, file: path))
        return 0
    }

    /// `swinit schedule EXPR`: the next run times, one RFC 3339 time per line.
    static func schedule(_ expression: String, from: String?, count: Int, zoneName: String?, variables: [String: String]) -> Int32 {
        let zone: TimeZoneRules
        if let zoneName {
            switch TimeZones.load(zoneName, environment: variables) {
            case .success(let rules): zone = rules
            case .failure(let error):
                writeAll(2, "swinit: unknown time zone '\(zoneName)': \(error.description)\n")
                return 2
            }
        } else {
            zone = TimeZones.defaultZone(environment: variables)
        }
        var start = wallClockNow().seconds
        if let from {
            do throws(ScheduleError) { start = try CivilTime.parseRFC3339(from).unixSeconds } catch {
                writeAll(2, "swinit: --from: \(error.description)\n")
                return 2
            }
        }
        let schedule: Schedule
        switch ConfigLoader.parseSchedule(expression) {
        case .success(let parsed): schedule = parsed
        case .failure(let error):
            writeAll(2, "swinit: '\(expression)': \(error.description)\n")
            return 2
        }
        if case .cron(let cron) = schedule, cron.isReboot {
            writeAll(1, "@reboot runs once, when swinit starts\n")
            return 0
        }
        var after = start - 1
        var out = ""
        for _ in 0..<count {
            guard let next = schedule.next(after: after, start: start, in: zone) else { break }
            out += CivilTime.formatRFC3339(unixSeconds: next, offsetSeconds: zone.offset(atUnix: next)) + "\n"
            after = next
        }
        if out.isEmpty {
            writeAll(2, "swinit: '\(expression)' never runs\n")
            return 1
        }
        writeAll(1, out)
        return 0
    }

    /// LISTEN_FDS when LISTEN_PID names us (systemd socket activation), else 0.
    static func socketActivationDescriptors(_ variables: [String: String]) -> Int32 {
        guard let pid = variables["LISTEN_PID"].flatMap({ Int32($0) }), pid == getpid(),
              let count = variables["LISTEN_FDS"].flatMap({ Int32($0) }),
              count > 0, count <= 250 else { return 0 }   // within CS_MAX_FD_MAP with 0-2
        return count
    }

    /// The last `count` entries of our argv, as bytes: the `--` program always ends the
    /// command line, and CommandLine.arguments has replaced bytes that are not UTF-8.
    static func rawProgram(count: Int) -> [[UInt8]] {
        let argc = Int(CommandLine.argc)
        guard count > 0, count < argc else { return [] }
        return (argc - count..<argc).map { i in
            guard let arg = CommandLine.unsafeArgv[i] else { return [] }
            return Array(UnsafeRawBufferPointer(start: arg, count: strlen(arg)))
        }
    }

    /// stdin when it is a terminal and our process group is in its foreground.
    static func foregroundTerminal() -> Int32? {
        guard isatty(0) != 0, tcgetpgrp(0) == getpgrp() else { return nil }
        return 0
    }

    static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(cString: buffer)
    }

    static let usage = """
        usage: swinit [OPTIONS] -- PROGRAM [ARGS...]
               swinit [OPTIONS] [--config FILE]
               swinit check [--config FILE]
               swinit example-config
               swinit schedule EXPR [--from TIME] [--count N] [--timezone ZONE]

        A PID 1 for containers: forwards signals, reaps zombies, supervises services.

        Options (each also read from the SWINIT_* variable shown):
          --config FILE           services from a TOML file            SWINIT_CONFIG
                                  (default /etc/swinit/swinit.toml)
          --procfile FILE         services from a Procfile
          -t, --stop-timeout DUR  SIGKILL this long after the stop signal (10s)
                                                                       SWINIT_STOP_TIMEOUT
          --grace DUR             leftovers: SIGTERM, this long, SIGKILL (2s)
                                                                       SWINIT_GRACE
          -e, --exit-zero CODE    report the program's exit CODE as 0 (repeatable)
                                                                       SWINIT_EXIT_ZERO=143,130
          -r, --rewrite FROM:TO   forward signal FROM as TO; TO=0 drops it
                                                                       SWINIT_REWRITE=TERM:QUIT
          -c, --single-child      signal the program alone, not its process group
                                                                       SWINIT_SINGLE_CHILD=1
          --setsid                run the program in a new session     SWINIT_SETSID=1
          -p, --pdeath-signal SIG act as if sent SIG when our parent dies
                                                                       SWINIT_PDEATH_SIGNAL
          --no-subreaper          when not PID 1, do not adopt orphans
          --no-resume             leave a program stopped by Ctrl-Z stopped
          --control-dir DIR       control FIFOs (/run/swinit)         SWINIT_CONTROL_DIR
          -v, -vv                 more messages on stderr              SWINIT_VERBOSE=1
          -h, --help; -V, --version

        Exit status: the program's (128+N if killed by signal N); 127 if it was not found,
        126 if it could not be run; 2 for a usage error.

        """
}
