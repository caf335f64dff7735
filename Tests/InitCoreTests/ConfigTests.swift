import Testing
@testable import InitCore

private func load(_ text: String, environment: [String: String] = [:]) -> LoadedConfiguration {
    ConfigLoader.load(bytes: Array(text.utf8), file: "swinit.toml", environment: environment)
}

@Suite("Config: valid files")
struct ValidConfigTests {
    @Test("a full service decodes into every field")
    func fullService() throws {
        let loaded = load("""
            stop-timeout = "20s"
            grace = "500ms"
            [services.db]
            command = "redis-server --port ${PORT:-6379} 'a b'"
            [services.web]
            command = ["server", "--db", "${DB}"]
            requires = ["db"]
            after = ["db"]
            env = { A = "1", B = "$$HOME" }
            user = "www"
            umask = "027"
            rlimits = { nofile = 1024, core = "unlimited", nproc = [10, 20] }
            cpu-affinity = "0-2,5"
            instances = 2
            restart = "on-failure"
            success-exit-codes = [0, 3]
            backoff = "2s"
            backoff-max = "1m"
            backoff-reset = "5m"
            start-retries = "unlimited"
            start-time = "3s"
            stop-signal = "SIGQUIT"
            stop-delay = "1s"
            stop-timeout = "30s"
            critical = true
            on-fatal = "shutdown"
            stdout = "json"
            stderr = { file = "/var/log/web.log", max-size = "1MiB", max-files = 3 }
            """, environment: ["DB": "redis://x"])
        #expect(loaded.diagnostics == [])
        let config = loaded.configuration
        #expect(config.settings.stopTimeout == .seconds(20))
        #expect(config.settings.grace == .milliseconds(500))
        let db = try #require(config.service(named: "db"))
        #expect(db.command == ["redis-server", "--port", "6379", "a b"])
        let web = try #require(config.service(named: "web"))
        #expect(web.command == ["server", "--db", "redis://x"])
        #expect(web.environment.map { $0.name + "=" + $0.value } == ["A=1", "B=$HOME"])
        #expect(web.umask == 0o027)
        #expect(web.rlimits == [ResourceLimit(name: "nofile", soft: 1024, hard: 1024), ResourceLimit(name: "core", soft: nil, hard: nil), ResourceLimit(name: "nproc", soft: 10, hard: 20)])
        #expect(web.cpuAffinity == [0, 1, 2, 5])
        #expect(web.instances == 2 && web.restart == .onFailure && web.successExitCodes == [0, 3])
        #expect(web.backoff.initial == .seconds(2) && web.backoff.maximum == .seconds(60) && web.backoff.resetAfter == .seconds(300))
        #expect(web.startRetries == nil && web.startTime == .seconds(3))
        #expect(web.stopSignal == Signals.quit && web.stopDelay == .seconds(1) && web.stopTimeout == .seconds(30))
        #expect(web.critical && web.onFatal == .shutdown)
        #expect(web.stdout == .json && web.stderr == .file(path: "/var/log/web.log", maxSize: 1 << 20, maxFiles: 3))
    }

    @Test("shell = true runs the string with /bin/sh -c")
    func shellCommand() {
        let loaded = load("[services.a]\ncommand = \"echo $HOME | tr a b\"\nshell = true\n")
        #expect(loaded.configuration.services[0].command == ["/bin/sh", "-c", "echo $HOME | tr a b"])
    }

    @Test("a oneshot restarts on failure by default")
    func oneshotDefaults() {
        let loaded = load("[services.m]\ncommand = [\"m\"]\ntype = \"oneshot\"\n")
        #expect(loaded.configuration.services[0].restart == .onFailure)
    }

    @Test("an unset variable without default expands to empty with a warning")
    func unsetVariableWarns() {
        let loaded = load("[services.a]\ncommand = [\"a\", \"${NOPE}\"]\n")
        #expect(loaded.errors.isEmpty)
        #expect(loaded.warnings.map(\.description) == ["swinit.toml:2:17: warning: services.a.command: ${NOPE} is not set and has no default (${NOPE:-default}); it expands to \"\""])
        #expect(loaded.configuration.services[0].command == ["a", ""])
    }

    @Test("the example config loads without a single diagnostic")
    func exampleConfigLoads() {
        let loaded = load(ExampleConfig.text)
        #expect(loaded.diagnostics == [])
        #expect(loaded.configuration.services.map(\.name) == ["migrate", "db", "web", "backup", "alert"])
        // Every documented service key appears in the example.
        for key in ConfigLoader.serviceKeys { #expect(ExampleConfig.text.contains("\n\(key) =") || ExampleConfig.text.contains("\n# \(key) ="), "example lacks \(key)") }
        for key in ConfigLoader.taskKeys { #expect(ExampleConfig.text.contains("\n\(key) =") || ExampleConfig.text.contains("# \(key) =") || ExampleConfig.text.contains("or: \(key) ="), "example lacks task key \(key)") }
        for key in ConfigLoader.globalKeys where key != "services" && key != "tasks" {
            #expect(ExampleConfig.text.contains("\n\(key) =") || ExampleConfig.text.contains("\n# \(key) ="), "example lacks \(key)")
        }
    }

    @Test("a Procfile gives one shell service per line")
    func procfile() {
        let loaded = ConfigLoader.loadProcfile(bytes: Array("# comment\nweb: bundle exec puma -p $PORT\n\nworker:  python worker.py\n".utf8), file: "Procfile", environment: [:])
        #expect(loaded.diagnostics == [])
        #expect(loaded.configuration.services.map(\.name) == ["web", "worker"])
        #expect(loaded.configuration.services[1].command == ["/bin/sh", "-c", "python worker.py"])
    }
}

@Suite("Config: every malformed file gets a precise message")
struct MalformedConfigTests {
    /// (config text, the first diagnostic exactly)
    static let cases: [(String, String)] = [
        // Syntax
        ("[services.a\ncommand = []", "swinit.toml:1:12: expected ']' to close the table header, found newline"),
        ("stop-timeout = ", "swinit.toml:1:16: expected a value, found end of file"),
        ("[services.a]\ncommand = \"unterminated", "swinit.toml:2:11: unterminated string (missing closing '\"')"),
        ("a = 1\na = 2", "swinit.toml:2:1: duplicate key 'a' (first defined at 1:1)"),
        ("[services.a]\ncommand=['x']\n[services.a]\n", "swinit.toml:3:1: duplicate table [services.a] (first defined at 1:1)"),
        ("x = \"\\q\"", "swinit.toml:1:6: invalid escape sequence '\\q' (valid escapes: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)"),
        ("[services.a]\ncommand = nope", "swinit.toml:2:11: invalid value 'nope' (strings must be quoted, e.g. \"nope\")"),
        ("grace = \"1s\" junk", "swinit.toml:1:14: expected a newline after the value, found 'j'"),
        ("x = 99999999999999999999", "swinit.toml:1:5: integer '99999999999999999999' is out of range for a 64-bit signed integer"),
        ("x = \"a\u{0}b\"", "swinit.toml:1:7: NUL byte (U+0000) is not allowed"),
        // Unknown keys
        ("stop-timout = \"1s\"", "swinit.toml:1:1: stop-timout: unknown key 'stop-timout'; did you mean 'stop-timeout'?"),
        ("[services.a]\ncommand = [\"a\"]\nrestrat = \"always\"", "swinit.toml:3:1: services.a.restrat: unknown key 'restrat'; did you mean 'restart'?"),
        ("[services.a]\ncommand = [\"a\"]\nenviron = {}", "swinit.toml:3:1: services.a.environ: unknown key 'environ'"),
        ("[services.a]\ncommand = [\"a\"]\nstderr = { file = \"/x\", rotate = 3 }", "swinit.toml:3:25: services.a.stderr.rotate: unknown key 'rotate'"),
        ("[service.a]\ncommand = [\"a\"]", "swinit.toml:1:2: service: unknown key 'service'; did you mean 'services'?"),
        // Wrong types
        ("stop-timeout = 10", "swinit.toml:1:16: stop-timeout: expected a duration string like \"10s\" or \"1m30s\", got integer"),
        ("log-timestamps = \"yes\"", "swinit.toml:1:18: log-timestamps: expected true or false, got string"),
        ("services = 3", "swinit.toml:1:12: services: expected a table of services ([services.NAME]), got integer"),
        ("services.a = \"x\"", "swinit.toml:1:14: services.a: expected a table ([services.a]), got string"),
        ("[services.a]\ncommand = 5", "swinit.toml:2:11: services.a.command: expected a string or an array of strings, got integer"),
        ("[services.a]\ncommand = [\"a\", 1]", "swinit.toml:2:17: services.a.command: expected an array of strings, found integer"),
        ("[services.a]\ncommand = []", "swinit.toml:2:11: services.a.command: empty command"),
        ("[services.a]\ncommand = \"  \"", "swinit.toml:2:11: services.a.command: empty command"),
        ("[services.a]\ncommand = [\"a\"]\nshell = true", "swinit.toml:2:11: services.a.command: with shell = true, command must be a string"),
        ("[services.a]\ncommand = \"a 'b\"", "swinit.toml:2:11: services.a.command: unterminated single quote in command"),
        ("[services.a]\ncommand = [\"a\"]\nenv = [\"A=1\"]", "swinit.toml:3:7: services.a.env: expected a table like { NAME = \"value\" }, got array"),
        ("[services.a]\ncommand = [\"a\"]\nenv = { A = 1 }", "swinit.toml:3:13: services.a.env.A: expected a string, got integer"),
        ("[services.a]\ncommand = [\"a\"]\nenv = { \"1A\" = \"x\" }", "swinit.toml:3:9: services.a.env.1A: '1A' is not a valid variable name"),
        ("[services.a]\ncommand = [\"a\"]\ninstances = 0", "swinit.toml:3:13: services.a.instances: 0 is out of range 1-1000"),
        ("[services.a]\ncommand = [\"a\"]\ninstances = \"2\"", "swinit.toml:3:13: services.a.instances: expected an integer, got string"),
        ("[services.a]\ncommand = [\"a\"]\nrestart = \"sometimes\"", "swinit.toml:3:11: services.a.restart: \"sometimes\" is not one of \"always\", \"on-failure\", \"never\""),
        ("[services.a]\ncommand = [\"a\"]\nrestart = \"alwys\"", "swinit.toml:3:11: services.a.restart: \"alwys\" is not one of \"always\", \"on-failure\", \"never\"; did you mean \"always\"?"),
        ("[services.a]\ncommand = [\"a\"]\ntype = \"forking\"", "swinit.toml:3:8: services.a.type: \"forking\" is not one of \"simple\", \"oneshot\""),
        ("[services.a]\ncommand = [\"a\"]\nsuccess-exit-codes = [0, 300]", "swinit.toml:3:26: services.a.success-exit-codes: expected exit codes from 0 to 255"),
        ("[services.a]\ncommand = [\"a\"]\nstart-retries = -1", "swinit.toml:3:17: services.a.start-retries: -1 is out of range 0-1000000"),
        ("[services.a]\ncommand = [\"a\"]\nstart-retries = \"lots\"", "swinit.toml:3:17: services.a.start-retries: expected an integer or \"unlimited\", got string"),
        ("[services.a]\ncommand = [\"a\"]\numask = \"999\"", "swinit.toml:3:9: services.a.umask: \"999\" is not an octal umask like \"022\""),
        ("[services.a]\ncommand = [\"a\"]\nrlimits = { files = 10 }", "swinit.toml:3:13: services.a.rlimits.files: unknown resource limit 'files'"),
        ("[services.a]\ncommand = [\"a\"]\nrlimits = { nofile = [20, 10] }", "swinit.toml:3:22: services.a.rlimits.nofile: soft limit 20 is above hard limit 10"),
        ("[services.a]\ncommand = [\"a\"]\nrlimits = { nofile = -5 }", "swinit.toml:3:22: services.a.rlimits.nofile: expected a number, \"unlimited\", or [soft, hard]"),
        ("[services.a]\ncommand = [\"a\"]\ncpu-affinity = \"3-1\"", "swinit.toml:3:16: services.a.cpu-affinity: \"3-1\" is not a CPU list like \"0-3,6\""),
        ("[services.a]\ncommand = [\"a\"]\nstdout = \"syslog\"", "swinit.toml:3:10: services.a.stdout: \"syslog\" is not one of \"inherit\", \"prefix\", \"json\", \"null\" or { file = PATH }"),
        ("[services.a]\ncommand = [\"a\"]\nstdout = { max-files = 2 }", "swinit.toml:3:10: services.a.stdout: a file output needs 'file = PATH'"),
        ("[services.a]\ncommand = [\"a\"]\nstdout = { file = \"/x\", max-size = \"big\" }", "swinit.toml:3:36: services.a.stdout.max-size: expected a size like \"10MiB\""),
        // Durations
        ("grace = \"10\"", "swinit.toml:1:9: grace: no unit in duration '10' (use ns, us, ms, s, m, h or d)"),
        ("grace = \"10 sec\"", "swinit.toml:1:9: grace: unknown unit ' sec' in duration '10 sec' (use ns, us, ms, s, m, h or d)"),
        ("grace = \"\"", "swinit.toml:1:9: grace: empty duration"),
        ("grace = \"s\"", "swinit.toml:1:9: grace: expected a number in duration 's' (like \"500ms\", \"10s\", \"1h30m\")"),
        ("grace = \"99999999999h\"", "swinit.toml:1:9: grace: duration '99999999999h' is too large"),
        ("[services.a]\ncommand = [\"a\"]\nbackoff = \"10s\"\nbackoff-max = \"1s\"", "swinit.toml:4:1: services.a.backoff-max: is 1s, shorter than backoff (10s)"),
        // Signals
        ("[services.a]\ncommand = [\"a\"]\nstop-signal = \"SIGFOO\"", "swinit.toml:3:15: services.a.stop-signal: not a signal name or number (like \"TERM\", \"SIGQUIT\" or 15)"),
        ("[services.a]\ncommand = [\"a\"]\nstop-signal = 99", "swinit.toml:3:15: services.a.stop-signal: not a signal name or number (like \"TERM\", \"SIGQUIT\" or 15)"),
        ("[services.a]\ncommand = [\"a\"]\nstop-signal = \"STOP\"", "swinit.toml:3:15: services.a.stop-signal: SIGSTOP would only pause the service"),
        // Names and dependencies
        ("[services.\"a b\"]\ncommand = [\"a\"]", "swinit.toml:1:11: services.a b: 'a b' is not a valid service name (letters, digits, '-' and '_')"),
        ("[services.a]\nrestart = \"always\"", "swinit.toml:1:1: services.a: missing key 'command'"),
        ("[services.web]\ncommand = [\"a\"]\nrequires = [\"bd\"]\n[services.db]\ncommand = [\"b\"]", "swinit.toml:3:1: services.web.requires: no service named 'bd'; did you mean 'db'?"),
        ("[services.a]\ncommand = [\"a\"]\nafter = [\"a\"]", "swinit.toml:3:1: services.a.after: a service cannot depend on itself"),
        ("[services.a]\ncommand = [\"a\"]\nrequires = [\"b\"]\n[services.b]\ncommand = [\"b\"]\nafter = [\"c\"]\n[services.c]\ncommand = [\"c\"]\nrequires = [\"a\"]",
         "swinit.toml:3:1: services.a: dependency cycle: a → b → c → a"),
        ("[services.a]\ncommand = [\"a\"]\nafter = \"b\"", "swinit.toml:3:9: services.a.after: expected an array of strings, got string"),
        ("[services.a]\ncommand = [\"${X\"]", "swinit.toml:2:12: services.a.command: unterminated '${' (write '$$' for a literal '$')"),
        ("[services.a]\ncommand = [\"${A-B}\"]", "swinit.toml:2:12: services.a.command: '${A-B}' is not a variable reference (names are letters, digits and '_')"),
        // Readiness and health
        ("[services.a]\ncommand = [\"a\"]\nready = { tcp = \"127.0.0.1:80\" }\nready-timeout = \"0s\"", "swinit.toml:4:17: services.a.ready-timeout: must be longer than 0s"),
        ("[services.a]\ncommand = [\"a\"]\nhealth = { tcp = \"127.0.0.1:80\", timeout = \"0\" }", "swinit.toml:3:44: services.a.health.timeout: must be longer than 0s"),
        // Tasks and windows
        ("[tasks.b]\ncommand = [\"b\"]\ncron = \"61 * * * *\"", "swinit.toml:3:8: tasks.b.cron: column 1: minute field: 61 is out of range 0-59"),
        ("[tasks.b]\ncommand = [\"b\"]\ncron = \"* * * *\"", "swinit.toml:3:8: tasks.b.cron: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 4"),
        ("[tasks.b]\ncommand = [\"b\"]\ncron = \"@daily\"\nevery = \"1h\"", "swinit.toml:4:9: tasks.b.every: a task has one schedule: 'cron', 'every' are all set"),
        ("[tasks.b]\ncommand = [\"b\"]\nevery = \"500ms\"", "swinit.toml:3:9: tasks.b.every: the interval must be at least 1s"),
        ("[tasks.b]\ncommand = [\"b\"]\nat = \"25:00\"", "swinit.toml:3:6: tasks.b.at: column 1: time of day \"25:00\": hour 25 is out of range 0-23"),
        ("[tasks.b]\ncommand = [\"b\"]\nat = \"09:00\"\ndays = [\"funday\"]", "swinit.toml:4:8: tasks.b.days: column 1: days \"funday\": unknown day 'funday' (expected sun, mon, tue, wed, thu, fri, sat)"),
        ("[tasks.b]\ncommand = [\"b\"]\ncron = \"@daily\"\ndays = [\"mon\"]", "swinit.toml:4:8: tasks.b.days: 'days' goes with 'at'; for cron, put the days in the expression"),
        ("[tasks.b]\ncommand = [\"b\"]\ncron = \"@daily\"\njitter = \"5s\"", "swinit.toml:4:10: tasks.b.jitter: 'jitter' goes with 'every'"),
        ("[tasks.b]\ncommand = [\"b\"]\noverlap = \"pile\"", "swinit.toml:3:11: tasks.b.overlap: \"pile\" is not one of \"skip\", \"queue\", \"replace\""),
        ("[tasks.b]\ncommand = [\"b\"]\nrestart = \"always\"", "swinit.toml:3:1: tasks.b.restart: unknown key 'restart'"),
        ("[tasks.b]\ncommand = [\"b\"]\non-success = [\"x\"]", "swinit.toml:3:1: tasks.b.on-success: no task named 'x'"),
        ("[tasks.a]\ncommand = [\"a\"]\non-success = [\"b\"]\n[tasks.b]\ncommand = [\"b\"]\non-failure = [\"a\"]", "swinit.toml:1:8: tasks.a: task chain loops: a → b → a"),
        ("[tasks.b]\ncron = \"@daily\"", "swinit.toml:1:1: tasks.b: missing key 'command'"),
        ("[tasks.t]\ncommand = [\"t\"]\non-success = [\"t\"]", "swinit.toml:1:8: tasks.t: task chain loops: t → t"),
        ("[services.b]\ncommand = [\"b\"]\n[tasks.b]\ncommand = [\"b\"]", "swinit.toml:3:8: tasks.b: 'b' is already the name of a service"),
        ("[services.s]\ncommand = [\"s\"]\nwindow = { start = \"08:00\" }", "swinit.toml:3:10: services.s.window: missing key 'stop'"),
        ("[services.s]\ncommand = [\"s\"]\nwindow = { start = \"8\", stop = \"9:00\" }", "swinit.toml:3:20: services.s.window.start: column 2: time of day \"8\": expected ':' and minutes (HH:MM)"),
    ]

    @Test("malformed config", arguments: cases)
    func malformed(text: String, expected: String) {
        let loaded = load(text)
        #expect(loaded.errors.first?.description == expected)
    }

    @Test("the table has at least 40 cases")
    func enoughCases() { #expect(Self.cases.count >= 40) }

    @Test("every error is reported at once")
    func allErrorsAtOnce() {
        let loaded = load("[services.a]\ncommand = []\nrestart = \"x\"\ninstances = 0\nbogus = 1\n")
        #expect(loaded.errors.count == 4)
    }
}

/// A machine made of tables, for `ConfigCheck`.
struct FakeSystem: SystemLookup {
    var accounts = Accounts(passwd: "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n", group: "root:x:0:\nwww:x:33:\nlogs:x:4:www\n")
    var executables: Set<String> = ["/bin/app", "app"]
    var directories: Set<String> = ["/srv", "/var/log"]
    var writable: Set<String> = ["/var/log"]
    var readable: Set<String> = ["/etc/app.env"]
    var isRoot = true
    func findsExecutable(_ program: String, searchPath: String) -> Bool { executables.contains(program) }
    func isSearchableDirectory(_ path: String) -> Bool { directories.contains(path) }
    func isReadableFile(_ path: String) -> Bool { readable.contains(path) }
    func isWritableDirectory(_ path: String) -> Bool { writable.contains(path) }
}

@Suite("Config: checks against the machine")
struct ConfigCheckTests {
    func check(_ text: String) -> [String] {
        let loaded = load(text)
        #expect(loaded.errors.isEmpty)
        return ConfigCheck.check(loaded, file: "swinit.toml", environment: [:], lookup: FakeSystem()).map(\.description)
    }

    @Test("a correct service passes")
    func passes() {
        #expect(check("[services.a]\ncommand = [\"app\"]\nuser = \"www\"\nworkdir = \"/srv\"\nenv-file = \"/etc/app.env\"\nstdout = { file = \"/var/log/a.log\" }") == [])
    }

    @Test("machine problems", arguments: [
        ("[services.a]\ncommand = [\"app\"]\nuser = \"bob\"", "swinit.toml:3:1: services.a.user: no user 'bob' in /etc/passwd"),
        ("[services.a]\ncommand = [\"app\"]\ngroup = \"wheel\"", "swinit.toml:3:1: services.a.group: no group 'wheel' in /etc/group"),
        ("[services.a]\ncommand = [\"app\"]\nworkdir = \"/nope\"", "swinit.toml:3:1: services.a.workdir: '/nope' is not a directory swinit can enter"),
        ("[services.a]\ncommand = [\"nope\"]", "swinit.toml:2:1: services.a.command: 'nope' was not found on PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)"),
        ("[services.a]\ncommand = [\"/bin/nope\"]", "swinit.toml:2:1: services.a.command: '/bin/nope' is not an executable file"),
        ("[services.a]\ncommand = [\"app\"]\nenv-file = \"/secret\"", "swinit.toml:3:1: services.a.env-file: '/secret' cannot be read"),
        ("[services.a]\ncommand = [\"app\"]\npre-start = { command = [\"migrat\"] }", "swinit.toml:3:1: services.a.pre-start: 'migrat' was not found on PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)"),
        ("[services.a]\ncommand = [\"app\"]\nevents = { on-exit = [\"/bin/nope\"] }", "swinit.toml:3:12: services.a.events.on-exit: '/bin/nope' is not an executable file"),
        ("[services.a]\ncommand = [\"app\"]\nready = { exec = [\"probe\"] }", "swinit.toml:3:11: services.a.ready.exec: 'probe' was not found on PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)"),
        ("[services.a]\ncommand = [\"app\"]\nhealth = { exec = [\"probe\"] }", "swinit.toml:3:12: services.a.health.exec: 'probe' was not found on PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)"),
        ("[events]\non-fatal = [\"page-me\"]\n[services.a]\ncommand = [\"app\"]", "swinit.toml:2:1: events.on-fatal: 'page-me' was not found on PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)"),
        ("[services.a]\ncommand = [\"app\"]\nstderr = { file = \"/ro/a.log\" }", "swinit.toml:3:12: services.a.stderr.file: cannot write log files in '/ro'"),
    ])
    func machineProblems(text: String, expected: String) {
        #expect(check(text) == [expected])
    }

    @Test("users resolve with supplementary groups; numeric users need no passwd entry")
    func identities() throws {
        let accounts = FakeSystem().accounts
        #expect(try accounts.identity(user: "www", group: nil).get() == Accounts.Identity(uid: 33, gid: 33, groups: [33, 4], name: "www", home: "/var/www"))
        #expect(try accounts.identity(user: "1000", group: "logs").get().uid == 1000)
        #expect(try accounts.identity(user: "1000", group: "logs").get().gid == 4)
    }
}

@Suite("Command line")
struct LaunchOptionsTests {
    func parse(_ args: [String], _ env: [String: String] = [:]) throws(UsageError) -> LaunchOptions {
        try LaunchOptions.parse(arguments: args, environment: env)
    }

    @Test("tini-style use")
    func tiniStyle() throws {
        let o = try parse(["-v", "-t", "30s", "-e", "143", "-r", "TERM:QUIT", "--", "app", "--flag"])
        #expect(o.program == ["app", "--flag"])
        #expect(o.verbosity == 1 && o.stopTimeout == .seconds(30))
        #expect(o.signals.exitCodesAsSuccess == [143] && o.signals.rewrite == [15: 3])
    }

    @Test("a program without -- is accepted, and its own options are left alone")
    func programWithoutDashes() throws {
        #expect(try parse(["app", "-v"]).program == ["app", "-v"])
    }

    @Test("environment variables set the same options; argv wins")
    func environment() throws {
        let o = try parse(["-t", "5s", "--", "x"], ["SWINIT_STOP_TIMEOUT": "20s", "SWINIT_EXIT_ZERO": "130,143", "SWINIT_SINGLE_CHILD": "1", "SWINIT_VERBOSE": "2"])
        #expect(o.stopTimeout == .seconds(5))
        #expect(o.signals.exitCodesAsSuccess == [130, 143] && !o.signals.toGroup && o.verbosity == 2)
    }

    @Test("usage errors", arguments: [
        (["--bogus"], "unknown option '--bogus' (see swinit --help)"),
        (["--stop-timout", "3s"], "unknown option '--stop-timout'; did you mean '--stop-timeout'? (see swinit --help)"),
        (["-t"], "option -t needs a value"),
        (["-t", "soon"], "-t: expected a number in duration 'soon' (like \"500ms\", \"10s\", \"1h30m\")"),
        (["-e", "256"], "-e: '256' is not an exit code from 0 to 255"),
        (["-r", "TERM"], "-r: 'TERM' is not FROM:TO, like TERM:QUIT or 15:3"),
        (["-r", "KILL:TERM"], "-r: SIGKILL cannot be caught, so it cannot be rewritten"),
        (["-p", "NOPE"], "-p: 'NOPE' is not a signal name or number"),
    ])
    func usageErrors(args: [String], message: String) {
        #expect(throws: UsageError(message)) { try parse(args) }
    }

    @Test("bad SWINIT_ variables are usage errors too")
    func badEnvironment() {
        #expect(throws: UsageError("SWINIT_STOP_TIMEOUT: no unit in duration '10' (use ns, us, ms, s, m, h or d)")) { try parse(["x"], ["SWINIT_STOP_TIMEOUT": "10"]) }
    }
}

@Suite("Values")
struct ValueSyntaxTests {
    @Test("durations", arguments: [
        ("500ms", Int64(500_000_000)), ("10s", 10_000_000_000), ("1h30m", 5_400_000_000_000), ("1.5s", 1_500_000_000),
        ("0", 0), ("0s", 0), ("2d", 172_800_000_000_000), ("100us", 100_000), ("1m0.25s", 60_250_000_000),
    ])
    func durations(text: String, nanoseconds: Int64) throws {
        #expect(try DurationSyntax.parse(text).get() == TimeSpan(nanoseconds: nanoseconds))
    }

    @Test("long fractions of large units do not overflow (fuzzer finds)", arguments: [
        ("1.5000001h", Int64(5_400_000_360_000)), (".106752d", 9_223_372_800_000), ("0.999999999m", 59_999_999_940),
    ])
    func durationFractions(text: String, nanoseconds: Int64) throws {
        #expect(try DurationSyntax.parse(text).get() == TimeSpan(nanoseconds: nanoseconds))
    }

    @Test("absurd real-time signal offsets are rejected, not overflowed (fuzzer find)")
    func realtimeOverflow() {
        #expect(Signals.parse("RTMIN+2147483647") == nil)
        #expect(Signals.parse("RTMAX-2147483647") == nil)
        #expect(Signals.parse("RTMIN+30") == 64)
        #expect(Signals.parse(Signals.name(32)) == 32, "names round-trip")
    }

    @Test("durations render back exactly", arguments: ["0s", "250ms", "1s", "1m30s", "2h", "1.5s", "60s"])
    func durationRoundTrip(text: String) throws {
        let span = try DurationSyntax.parse(text).get()
        #expect(try DurationSyntax.parse(span.description).get() == span)
    }

    @Test("signal names", arguments: [("TERM", Int32(15)), ("SIGTERM", 15), ("sigkill", 9), ("15", 15), ("RTMIN+2", 36), ("RTMAX", 64), ("WINCH", 28)])
    func signalNames(text: String, number: Int32) {
        #expect(Signals.parse(text) == number)
    }

    @Test("expansion", arguments: [
        ("${A}", "1"), ("${B:-dflt}", "dflt"), ("${E:-dflt}", "dflt"), ("$$A", "$A"), ("$A", "$A"), ("x${A}y", "x1y"), ("${A:-}", "1"),
    ])
    func expansion(text: String, expected: String) {
        #expect(Expansion.expand(text, environment: ["A": "1", "E": ""]).text == expected)
    }

    @Test("command strings split like a shell, without expanding", arguments: [
        ("a b  c", ["a", "b", "c"]), ("a 'b c' d", ["a", "b c", "d"]), ("a \"b \\\" c\"", ["a", "b \" c"]),
        ("a\\ b", ["a b"]), ("''", [""]), ("echo $HOME", ["echo", "$HOME"]),
    ])
    func commandWords(text: String, words: [String]) throws {
        #expect(try CommandWords.split(text).get() == words)
    }

    @Test("env files")
    func envFiles() throws {
        let pairs = try EnvFile.parse("# c\nA=1\nexport B = \"two words\"\n\nC='x'\n").get()
        #expect(pairs.map { $0.0 + "=" + $0.1 } == ["A=1", "B=two words", "C=x"])
    }
}

@Suite("Config: huge input (hostile-input finds)")
struct HugeInputTests {
    @Test("a 1 MiB wrong value is reported quickly, with the value cut in the message")
    func hugeValue() {
        let huge = String(repeating: "x", count: 1 << 20)
        let clock = ContinuousClock()
        let started = clock.now
        let loaded = load("[services.a]\ncommand = [\"a\"]\nrestart = \"\(huge)\"\n\(huge) = 1\n")
        #expect(clock.now - started < .seconds(2))
        #expect(loaded.errors.count == 2)
        for error in loaded.errors { #expect(error.description.utf8.count < 400, "\(error.description.prefix(200))") }
        #expect(loaded.errors.contains { $0.message.contains("xxxxxxxx… (1048576 bytes)") })
    }

    @Test("suggestions skip words that cannot be typos")
    func suggestions() {
        #expect(Spelling.closest(to: String(repeating: "a", count: 100), in: ["always"]) == nil)
        #expect(Spelling.closest(to: "alwys", in: ["always", "never"]) == "always")
    }
}
