/// An `initctl` command line, parsed. Pure, so every form is unit-tested.
public struct InitctlArguments: Sendable, Equatable {
    /// What initctl is asked to do.
    public enum Command: Sendable, Equatable {
        case status(names: [String], json: Bool)
        case start(names: [String], all: Bool)
        case stop(names: [String], all: Bool)
        case restart(names: [String], all: Bool)
        case signal(name: String, signal: Int32)
        case run(task: String)
        case reload
        case logs(name: String, count: Int, follow: Bool)
        case wait(names: [String], level: CheckLevel, timeout: TimeSpan)
        case check(CheckLevel)
        case shutdown(exitCode: Int32?)
        case graph
        case top
        case version
        case help
    }

    public var command: Command
    /// `--control-dir DIR` (else SWINIT_CONTROL_DIR, else the default places).
    public var controlDir: String?
    /// `--timeout D` for the reply to one request (default 5s); `wait` has its own.
    public var replyTimeout: TimeSpan = .seconds(5)

    public init(command: Command, controlDir: String? = nil) {
        self.command = command
        self.controlDir = controlDir
    }

    static let commands = ["status", "start", "stop", "restart", "signal", "run", "reload", "logs", "wait", "check",
                           "shutdown", "graph", "top", "version", "help"]

    /// Parses the arguments after `initctl`. Options may come before or after the command.
    public static func parse(_ arguments: [String]) throws(UsageError) -> InitctlArguments {
        var controlDir: String? = nil
        var flags: [String: String] = [:]
        var switches: Set<String> = []
        var positional: [String] = []
        let valued: Set<String> = ["--control-dir", "-n", "--lines", "--timeout", "--exit-code"]
        let known: Set<String> = ["--json", "--all", "-f", "--follow", "--ready", "--healthy", "--help", "-h", "--version", "-V"]
        var rest = arguments[...]
        var onlyPositional = false
        while let arg = rest.popFirst() {
            if onlyPositional || !arg.hasPrefix("-") || arg == "-" || isNegativeNumber(arg) && !positional.isEmpty {
                positional.append(arg)
                continue
            }
            if arg == "--" { onlyPositional = true; continue }
            var name = arg
            var inline: String? = nil
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            if valued.contains(name) {
                guard let value = inline ?? rest.popFirst() else { throw UsageError("option \(name) needs a value") }
                if name == "--control-dir" { controlDir = value } else { flags[name == "--lines" ? "-n" : name] = value }
            } else if known.contains(name), inline == nil {
                switches.insert(name == "--follow" ? "-f" : name == "-h" ? "--help" : name == "-V" ? "--version" : name)
            } else {
                // Sorted: a Set's order changes between runs, and ties would pick differently.
                let hint = Spelling.closest(to: name, in: (Array(valued) + Array(known)).sorted()).map { "; did you mean \($0)?" } ?? ""
                throw UsageError("unknown option \(name)\(hint)")
            }
        }
        if switches.contains("--help") { return InitctlArguments(command: .help, controlDir: controlDir) }
        if switches.contains("--version") && positional.isEmpty { return InitctlArguments(command: .version, controlDir: controlDir) }
        guard let word = positional.first else { throw UsageError("no command given (try 'initctl help')") }
        let names = Array(positional.dropFirst())
        var allowed: Set<String> = []
        var allowedFlags: Set<String> = []
        func noNames() throws(UsageError) {
            if !names.isEmpty { throw UsageError("\(word) takes no arguments (got '\(names[0])')") }
        }
        func checkNames(_ list: [String]) throws(UsageError) {
            for n in list where !ControlRequest.isUnitName(n) { throw UsageError("'\(n)' is not a service name") }
        }
        func targets() throws(UsageError) -> ([String], Bool) {
            allowed = ["--all"]
            let all = switches.contains("--all")
            if all && !names.isEmpty { throw UsageError("\(word): give service names or --all, not both") }
            if !all && names.isEmpty { throw UsageError("\(word) needs service names (or --all)") }
            try checkNames(names)
            return (names, all)
        }
        let command: Command
        switch word {
        case "status":
            allowed = ["--json"]
            try checkNames(names)
            command = .status(names: names, json: switches.contains("--json"))
        case "start": let (n, a) = try targets(); command = .start(names: n, all: a)
        case "stop": let (n, a) = try targets(); command = .stop(names: n, all: a)
        case "restart": let (n, a) = try targets(); command = .restart(names: n, all: a)
        case "signal":
            guard names.count == 2 else { throw UsageError("usage: initctl signal NAME SIGNAL (like: initctl signal web HUP)") }
            try checkNames([names[0]])
            guard let signal = Signals.parse(names[1]) else { throw UsageError("'\(names[1])' is not a signal name or number") }
            command = .signal(name: names[0], signal: signal)
        case "run":
            guard names.count == 1 else { throw UsageError("usage: initctl run TASK") }
            try checkNames(names)
            command = .run(task: names[0])
        case "reload": try noNames(); command = .reload
        case "logs":
            allowed = ["-f"]
            allowedFlags = ["-n"]
            guard names.count == 1 else { throw UsageError("usage: initctl logs NAME [-n N] [-f]") }
            try checkNames(names)
            var count = 50
            if let text = flags["-n"] {
                guard let n = Int(text), n >= 1, n <= ControlLimits.maxLogLines else {
                    throw UsageError("-n: '\(text)' is not a number from 1 to \(ControlLimits.maxLogLines)")
                }
                count = n
            }
            command = .logs(name: names[0], count: count, follow: switches.contains("-f"))
        case "wait":
            allowed = ["--ready", "--healthy"]
            allowedFlags = ["--timeout"]
            if names.isEmpty { throw UsageError("usage: initctl wait NAME... [--ready] [--timeout D]") }
            try checkNames(names)
            var timeout = TimeSpan.seconds(60)
            if let text = flags["--timeout"] { timeout = try duration(text) }
            command = .wait(names: names, level: level(switches), timeout: timeout)
        case "check":
            allowed = ["--ready", "--healthy"]
            try noNames()
            command = .check(level(switches))
        case "shutdown":
            allowedFlags = ["--exit-code"]
            try noNames()
            var code: Int32? = nil
            if let text = flags["--exit-code"] {
                guard let n = Int32(text), n >= 0, n <= 255 else { throw UsageError("--exit-code: '\(text)' is not a number from 0 to 255") }
                code = n
            }
            command = .shutdown(exitCode: code)
        case "graph": try noNames(); command = .graph
        case "top": try noNames(); command = .top
        case "version": try noNames(); command = .version
        case "help": command = .help
        default:
            let hint = Spelling.closest(to: word, in: commands).map { "; did you mean '\($0)'?" } ?? ""
            throw UsageError("unknown command '\(word)'\(hint)")
        }
        for s in switches.sorted() where !allowed.contains(s) {
            throw UsageError("\(s) does not apply to '\(word)'")
        }
        var result = InitctlArguments(command: command, controlDir: controlDir)
        for f in flags.keys.sorted() where !allowedFlags.contains(f) {
            if f == "--timeout" {
                result.replyTimeout = try duration(flags[f]!)
            } else {
                throw UsageError("\(f) does not apply to '\(word)'")
            }
        }
        return result
    }

    static func level(_ switches: Set<String>) -> CheckLevel {
        switches.contains("--healthy") ? .healthy : switches.contains("--ready") ? .ready : .running
    }

    static func duration(_ text: String) throws(UsageError) -> TimeSpan {
        switch DurationSyntax.parse(text) {
        case .success(let span) where span > .zero: return span
        case .success: throw UsageError("--timeout must be more than 0")
        case .failure(let error): throw UsageError("--timeout: \(error.message)")
        }
    }

    static func isNegativeNumber(_ s: String) -> Bool {
        s.count > 1 && s.hasPrefix("-") && s.dropFirst().allSatisfy { $0.isNumber }
    }
}
