/// What `swinit` was asked to do, from argv and `SWINIT_*` variables (argv wins).
public struct LaunchOptions: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// Supervise: the `--` program and/or the config's services.
        case run
        /// `swinit check`: validate the config and print a summary.
        case check
        /// `swinit example-config`.
        case exampleConfig
        /// `swinit schedule EXPR`: print the next run times.
        case schedule(expression: String, from: String?, count: Int, timezone: String?)
        case help
        case version
    }

    public var mode: Mode = .run
    public var program: [String] = []
    public var configPath: String? = nil
    public var procfilePath: String? = nil
    public var stopTimeout: TimeSpan? = nil
    public var grace: TimeSpan? = nil
    public var signals = SignalPolicy()
    public var newSession = false
    public var parentDeathSignal: Int32? = nil
    public var subreaper = true
    public var verbosity = 0
    public var controlDir: String? = nil

    public init() {}
}

/// A usage error: exit status 2, before anything is started.
public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension LaunchOptions {
    /// Parses `swinit`'s arguments (without argv[0]) and environment.
    ///
    /// ```
    /// swinit [-v] [-t 30s] [-e 143] [-r TERM:QUIT] -- myapp --port 80
    /// ```
    public static func parse(arguments: [String], environment: [String: String]) throws(UsageError) -> LaunchOptions {
        var o = LaunchOptions()
        try o.apply(environment: environment)
        var args = arguments[...]
        if let first = args.first, !first.hasPrefix("-") {
            switch first {
            case "check": o.mode = .check; args.removeFirst()
            case "example-config": o.mode = .exampleConfig; args.removeFirst()
            case "schedule": args.removeFirst(); return try parseSchedule(Array(args), base: o)
            case "help": o.mode = .help; return o
            case "version": o.mode = .version; return o
            default: break   // a program without `--`, as tini accepts
            }
        }
        while let arg = args.first {
            args.removeFirst()
            if arg == "--" { o.program = Array(args); args = []; break }
            if !arg.hasPrefix("-") || arg == "-" { o.program = [arg] + Array(args); args = []; break }
            var name = arg
            var inlineValue: String? = nil
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inlineValue = String(arg[arg.index(after: eq)...])
            }
            func value() throws(UsageError) -> String {
                if let inlineValue { return inlineValue }
                guard let next = args.first else { throw UsageError("option \(name) needs a value") }
                args.removeFirst()
                return next
            }
            switch name {
            case "-h", "--help": o.mode = .help; return o
            case "-V", "--version": o.mode = .version; return o
            case "-v", "--verbose": o.verbosity += 1
            case "-vv": o.verbosity += 2
            case "-vvv": o.verbosity += 3
            case "--config": o.configPath = try value()
            case "--procfile": o.procfilePath = try value()
            case "-t", "--stop-timeout": o.stopTimeout = try duration(try value(), option: name)
            case "--grace": o.grace = try duration(try value(), option: name)
            case "-e", "--exit-zero": o.signals.exitCodesAsSuccess.insert(try exitCode(try value(), option: name))
            case "-r", "--rewrite": try o.addRewrite(try value(), option: name)
            case "-c", "--single-child": o.signals.toGroup = false
            case "-g": o.signals.toGroup = true          // tini's -g: already the default
            case "--setsid": o.newSession = true
            case "-p", "--pdeath-signal": o.parentDeathSignal = try signal(try value(), option: name)
            case "-s", "--subreaper": o.subreaper = true  // tini's -s: already the default
            case "--no-subreaper": o.subreaper = false
            case "--control-dir": o.controlDir = try value()
            case "--no-resume": o.signals.resumeTerminalStops = false
            default:
                throw UsageError("unknown option '\(arg)'\(suggestion(for: name)) (see swinit --help)")
            }
        }
        return o
    }

    public static let defaultConfigPath = "/etc/swinit/swinit.toml"

    /// `SWINIT_*` variables: the same settings as the options, for images and orchestrators.
    mutating func apply(environment env: [String: String]) throws(UsageError) {
        if let v = env["SWINIT_CONFIG"], !v.isEmpty { configPath = v }
        if let v = env["SWINIT_STOP_TIMEOUT"], !v.isEmpty { stopTimeout = try Self.duration(v, option: "SWINIT_STOP_TIMEOUT") }
        if let v = env["SWINIT_GRACE"], !v.isEmpty { grace = try Self.duration(v, option: "SWINIT_GRACE") }
        if let v = env["SWINIT_VERBOSE"], !v.isEmpty {
            guard let n = Int(v), n >= 0, n <= 3 else { throw UsageError("SWINIT_VERBOSE: '\(v)' is not a level from 0 to 3") }
            verbosity = n
        }
        if let v = env["SWINIT_EXIT_ZERO"], !v.isEmpty {
            for part in v.split(separator: ",") { signals.exitCodesAsSuccess.insert(try Self.exitCode(String(part), option: "SWINIT_EXIT_ZERO")) }
        }
        if let v = env["SWINIT_REWRITE"], !v.isEmpty {
            for part in v.split(separator: ",") { try addRewrite(String(part), option: "SWINIT_REWRITE") }
        }
        if let v = env["SWINIT_SINGLE_CHILD"] { signals.toGroup = !Self.truthy(v) }
        if let v = env["SWINIT_SETSID"] { newSession = Self.truthy(v) }
        if let v = env["SWINIT_PDEATH_SIGNAL"], !v.isEmpty { parentDeathSignal = try Self.signal(v, option: "SWINIT_PDEATH_SIGNAL") }
        if let v = env["SWINIT_CONTROL_DIR"], !v.isEmpty { controlDir = v }
    }

    mutating func addRewrite(_ text: String, option: String) throws(UsageError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let from = Signals.parse(String(parts[0])) else {
            throw UsageError("\(option): '\(text)' is not FROM:TO, like TERM:QUIT or 15:3")
        }
        if Signals.isUncatchable(from) { throw UsageError("\(option): SIG\(Signals.name(from)) cannot be caught, so it cannot be rewritten") }
        let to: Int32
        if parts[1] == "0" { to = 0 } else {
            guard let parsed = Signals.parse(String(parts[1])) else { throw UsageError("\(option): '\(parts[1])' is not a signal") }
            to = parsed
        }
        signals.rewrite[from] = to
    }

    public static func truthy(_ v: String) -> Bool { ["1", "true", "yes", "on"].contains(v.lowercased()) }

    static func duration(_ text: String, option: String) throws(UsageError) -> TimeSpan {
        switch DurationSyntax.parse(text) {
        case .success(let span): return span
        case .failure(let error): throw UsageError("\(option): \(error.message)")
        }
    }

    static func exitCode(_ text: String, option: String) throws(UsageError) -> Int32 {
        guard let code = Int32(text), code >= 0, code <= 255 else { throw UsageError("\(option): '\(text)' is not an exit code from 0 to 255") }
        return code
    }

    static func signal(_ text: String, option: String) throws(UsageError) -> Int32 {
        guard let number = Signals.parse(text) else { throw UsageError("\(option): '\(text)' is not a signal name or number") }
        return number
    }

    static let knownOptions = [
        "--help", "--version", "--verbose", "--config", "--procfile", "--stop-timeout", "--grace",
        "--exit-zero", "--rewrite", "--single-child", "--setsid", "--pdeath-signal", "--subreaper",
        "--no-subreaper", "--control-dir", "--no-resume",
    ]

    static func suggestion(for name: String) -> String {
        guard name.hasPrefix("--"), let best = Spelling.closest(to: name, in: knownOptions) else { return "" }
        return "; did you mean '\(best)'?"
    }

    static func parseSchedule(_ args: [String], base: LaunchOptions) throws(UsageError) -> LaunchOptions {
        var o = base
        var expression: String? = nil
        var from: String? = nil, zone: String? = nil
        var count = 5
        var rest = args[...]
        while let arg = rest.first {
            rest.removeFirst()
            func value() throws(UsageError) -> String {
                guard let next = rest.first else { throw UsageError("option \(arg) needs a value") }
                rest.removeFirst()
                return next
            }
            switch arg {
            case "--from": from = try value()
            case "--timezone": zone = try value()
            case "--count", "-n":
                let text = try value()
                guard let n = Int(text), n > 0, n <= 10_000 else { throw UsageError("--count: '\(text)' is not a number from 1 to 10000") }
                count = n
            default:
                if arg.hasPrefix("-") && arg.count > 1 { throw UsageError("unknown option '\(arg)' for swinit schedule") }
                if expression != nil { throw UsageError("swinit schedule takes one expression; quote it: swinit schedule '*/5 * * * *'") }
                expression = arg
            }
        }
        guard let expression else { throw UsageError("swinit schedule needs an expression, like '*/5 * * * *', 'every 1h' or 'at 23:59 on mon-fri'") }
        o.mode = .schedule(expression: expression, from: from, count: count, timezone: zone)
        return o
    }
}

/// "Did you mean" suggestions by edit distance.
public enum Spelling {
    /// The candidate nearest to `word`, if it is close enough to be a likely typo. Words longer
    /// than any name are not typos: they are skipped before any distance is computed, so a
    /// huge value in a config costs nothing here.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let w = Array(word.unicodeScalars)
        guard !w.isEmpty, w.count <= 64 else { return nil }
        let limit = max(2, w.count / 3)
        var best: (String, Int)? = nil
        for candidate in candidates {
            let c = Array(candidate.unicodeScalars)
            if abs(c.count - w.count) > limit { continue }
            let d = distance(w, c)
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        // Close enough to be a typo, and not a rewrite of a very short word ("x" is not "b").
        guard let (candidate, d) = best, d <= limit, d < w.count else { return nil }
        return candidate
    }

    /// Edits between the words, a swap of neighbours counting as one ("bd" → "db").
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
