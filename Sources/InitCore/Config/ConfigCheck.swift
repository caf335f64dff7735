/// What `swinit check` needs to know about the machine; the runtime answers from the real
/// filesystem, tests from a table.
public protocol SystemLookup {
    var accounts: Accounts { get }
    /// An executable regular file named `program` on `searchPath` (or at that path when it has a '/').
    func findsExecutable(_ program: String, searchPath: String) -> Bool
    /// A directory we can enter.
    func isSearchableDirectory(_ path: String) -> Bool
    func isReadableFile(_ path: String) -> Bool
    /// Can create files in the directory.
    func isWritableDirectory(_ path: String) -> Bool
    var isRoot: Bool { get }
    /// The rules of a zone ("Europe/Berlin"), nil when unknown.
    func timeZone(_ name: String) -> TimeZoneRules?
}

extension SystemLookup {
    public func timeZone(_ name: String) -> TimeZoneRules? { name == "UTC" ? .utc : nil }
}

/// The checks that need the machine: users, directories, executables, log paths.
public enum ConfigCheck {
    public static func check<L: SystemLookup>(_ loaded: LoadedConfiguration, file: String, environment: [String: String], lookup: L) -> [ConfigDiagnostic] {
        var out: [ConfigDiagnostic] = []
        func report(_ keyPath: String, _ message: String, severity: ConfigDiagnostic.Severity = .error) {
            let position = loaded.positions[keyPath] ?? loaded.positions[keyPath.split(separator: ".").dropLast().joined(separator: ".")]
            out.append(ConfigDiagnostic(file: file, position: position, keyPath: keyPath, message: message, severity: severity))
        }
        let searchPath = environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        func checkProgram(_ command: [String], _ keyPath: String, path: String) {
            guard let program = command.first, !program.isEmpty, !lookup.findsExecutable(program, searchPath: path) else { return }
            report(keyPath, program.contains("/") ? "'\(program)' is not an executable file" : "'\(program)' was not found on PATH (\(path))")
        }
        for s in loaded.configuration.services where !s.isMain {
            let base = s.task != nil ? "tasks.\(s.name)" : "services.\(s.name)"
            if case .failure(let failure) = lookup.accounts.identity(user: s.user, group: s.group) {
                switch failure {
                case .noUser: report(base + ".user", failure.description)
                case .noGroup: report(base + ".group", failure.description)
                }
            } else if (s.user != nil || s.group != nil) && !lookup.isRoot {
                report(base + ".user", "swinit is not running as root, so user/group will not be applied", severity: .warning)
            }
            if let workdir = s.workdir, !lookup.isSearchableDirectory(workdir) {
                report(base + ".workdir", "'\(workdir)' is not a directory swinit can enter")
            }
            // Hooks and exec probes run with the service's environment, so with its PATH.
            let path = s.environment.last { $0.name == "PATH" }?.value ?? searchPath
            checkProgram(s.command, base + ".command", path: path)
            for event in HookEvent.allCases {
                guard let hook = s.lifecycle.hooks[event] else { continue }
                checkProgram(hook.command, base + (event.isEvent ? ".events." : ".") + event.key, path: path)
            }
            if case .exec(let command)? = s.lifecycle.ready?.check { checkProgram(command, base + ".ready.exec", path: path) }
            if case .exec(let command)? = s.lifecycle.health?.check { checkProgram(command, base + ".health.exec", path: path) }
            if let envFile = s.envFile, !lookup.isReadableFile(envFile) {
                report(base + ".env-file", "'\(envFile)' cannot be read")
            }
            for (key, mode) in [("stdout", s.stdout), ("stderr", s.stderr)] {
                if case .file(let path, _, _)? = mode { checkLogPath(path, base + "." + key, lookup, report) }
            }
        }
        for s in loaded.configuration.services {
            let base = s.task != nil ? "tasks.\(s.name)" : "services.\(s.name)"
            if let zone = s.task?.timezone, lookup.timeZone(zone) == nil { report(base + ".timezone", "unknown time zone '\(zone)' (no zoneinfo file)") }
            if let zone = s.window?.timezone, lookup.timeZone(zone) == nil { report(base + ".window.timezone", "unknown time zone '\(zone)' (no zoneinfo file)") }
        }
        for event in HookEvent.allCases {
            if let hook = loaded.configuration.settings.events[event] { checkProgram(hook.command, "events." + event.key, path: searchPath) }
        }
        for (key, mode) in [("stdout", loaded.configuration.settings.stdout), ("stderr", loaded.configuration.settings.stderr)] {
            if case .file(let path, _, _) = mode { checkLogPath(path, key, lookup, report) }
        }
        return out
    }

    static func checkLogPath<L: SystemLookup>(_ path: String, _ keyPath: String, _ lookup: L, _ report: (String, String, ConfigDiagnostic.Severity) -> Void) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        if !lookup.isWritableDirectory(directory.isEmpty ? "/" : directory) {
            report(keyPath + ".file", "cannot write log files in '\(directory.isEmpty ? "/" : directory)'", .error)
        }
    }
}
