/// Reads a TOML config (or a Procfile) into a `Configuration`, reporting every problem at once
/// with its file, line, column and key path. Pure: the caller supplies bytes and environment.
///
/// ```toml
/// stop-timeout = "20s"
///
/// [services.web]
/// command = ["nginx", "-g", "daemon off;"]
/// requires = ["db"]
/// ```
public enum ConfigLoader {
    public static let globalKeys = [
        "stop-timeout", "grace", "stdout", "stderr", "log-timestamps", "log-level",
        "control-dir", "control-group", "reload-on-hup", "services", "tasks",
        "events",
    ]
    public static let serviceKeys = [
        "command", "shell", "type", "workdir", "env", "env-file", "user", "group", "umask", "rlimits",
        "cpu-affinity", "no-new-privileges", "instances", "restart", "success-exit-codes", "backoff",
        "backoff-max", "backoff-reset", "start-retries", "start-time", "start-timeout", "stop-signal",
        "stop-delay", "stop-timeout", "after", "requires", "critical", "on-fatal", "stdout", "stderr",
        "window",
    ] + lifecycleServiceKeys

    /// Letters, digits, '-' and '_', at most 64: names that are safe in paths and messages.
    public static func isServiceName(_ name: String) -> Bool { Decoder.isServiceName(name) }

    /// Parses and validates a TOML config.
    public static func load(bytes: [UInt8], file: String, environment: [String: String]) -> LoadedConfiguration {
        var decoder = Decoder(file: file, environment: environment)
        let root: TOMLTable
        do {
            root = try TOML.parse(bytes)
        } catch {
            decoder.diagnostics.append(ConfigDiagnostic(file: file, position: error.position, keyPath: "", message: error.message))
            return decoder.result
        }
        decoder.decodeRoot(root)
        return decoder.result
    }

    /// A Procfile: `name: command` per line, `#` comments. Each command runs through /bin/sh -c,
    /// as foreman and honcho run them.
    public static func loadProcfile(bytes: [UInt8], file: String, environment: [String: String]) -> LoadedConfiguration {
        var decoder = Decoder(file: file, environment: environment)
        let text = String(decoding: bytes, as: UTF8.self)
        var line = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            line += 1
            let trimmed = raw.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            guard let colon = trimmed.firstIndex(of: ":") else {
                decoder.error(SourcePosition(line: line, column: 1), "", "expected 'name: command'")
                continue
            }
            let name = String(trimmed[..<colon]).trimmingSpaces
            let command = String(trimmed[trimmed.index(after: colon)...]).trimmingSpaces
            let position = SourcePosition(line: line, column: 1)
            if !Decoder.isServiceName(name) {
                decoder.error(position, name, "'\(name)' is not a valid service name (letters, digits, '-' and '_')")
                continue
            }
            if decoder.configuration.service(named: name) != nil {
                decoder.error(position, name, "service '\(name)' is defined twice")
                continue
            }
            if command.isEmpty { decoder.error(position, name, "empty command"); continue }
            let expanded = decoder.expand(command, position: position, keyPath: name)
            decoder.configuration.services.append(ServiceConfig(name: name, command: ["/bin/sh", "-c", expanded]))
        }
        decoder.checkDependencies()
        return decoder.result
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return String(s)
    }
}

/// Walks the TOML tree; collects diagnostics instead of stopping at the first.
struct Decoder {
    let file: String
    let environment: [String: String]
    var configuration = Configuration()
    var diagnostics: [ConfigDiagnostic] = []
    var positions: [String: SourcePosition] = [:]

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    /// Diagnostics in file order (they are found in decoding order); unpositioned ones last.
    var result: LoadedConfiguration {
        let ordered = diagnostics.enumerated().sorted { a, b in
            switch (a.element.position, b.element.position) {
            case let (p?, q?): return (p.line, p.column, a.offset) < (q.line, q.column, b.offset)
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
        return LoadedConfiguration(configuration: configuration, diagnostics: ordered, positions: positions)
    }

    mutating func error(_ position: SourcePosition?, _ keyPath: String, _ message: String) {
        diagnostics.append(ConfigDiagnostic(file: file, position: position, keyPath: keyPath, message: message))
    }

    mutating func warning(_ position: SourcePosition?, _ keyPath: String, _ message: String) {
        diagnostics.append(ConfigDiagnostic(file: file, position: position, keyPath: keyPath, message: message, severity: .warning))
    }

    /// A value or key as an error message shows it: whole when short, cut when huge (a 10 MiB
    /// value must not come back as a 10 MiB message).
    static func shown(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > 64 else { return text }
        return String(String.UnicodeScalarView(scalars.prefix(48))) + "… (\(text.utf8.count) bytes)"
    }

    /// Reports keys not in `known`, with a suggestion; records positions of the rest.
    mutating func checkKeys(_ table: TOMLTable, known: [String], path: String) {
        for entry in table.entries {
            let keyPath = path.isEmpty ? entry.key : path + "." + entry.key
            positions[keyPath] = entry.keyPosition
            if !known.contains(entry.key) {
                let hint = Spelling.closest(to: entry.key, in: known).map { "; did you mean '\($0)'?" } ?? ""
                error(entry.keyPosition, path.isEmpty ? Decoder.shown(entry.key) : path + "." + Decoder.shown(entry.key), "unknown key '\(Decoder.shown(entry.key))'\(hint)")
            }
        }
    }

    // MARK: Root

    mutating func decodeRoot(_ root: TOMLTable) {
        checkKeys(root, known: ConfigLoader.globalKeys, path: "")
        var settings = GlobalSettings()
        if let d = duration(root, "stop-timeout", path: "") { settings.stopTimeout = d }
        if let d = duration(root, "grace", path: "") { settings.grace = d }
        if let mode = output(root, "stdout", path: "") { settings.stdout = mode }
        if let mode = output(root, "stderr", path: "") { settings.stderr = mode }
        if let b = bool(root, "log-timestamps", path: "") { settings.logTimestamps = b }
        if let level = oneOf(root, "log-level", ["error", "warning", "notice", "info", "debug"], path: "") {
            settings.verbosity = ["error": -2, "warning": -1, "notice": 0, "info": 1, "debug": 2][level] ?? 0
        }
        if let s = string(root, "control-dir", path: "") { settings.controlDir = s }
        if let s = string(root, "control-group", path: "") { settings.controlGroup = s }
        if let b = bool(root, "reload-on-hup", path: "") { settings.reloadOnHangup = b }
        if let node = root["events"] { settings.events = eventHooks(node, path: "events") }
        configuration.settings = settings

        if let node = root["services"] {
            for (name, table, path) in namedTables(node, section: "services", noun: "service") {
                if let service = decodeService(name, table, path: path) { configuration.services.append(service) }
            }
        }
        if let node = root["tasks"] { decodeTasks(node) }
        checkDependencies()
        checkTaskChains()
    }

    /// The `[SECTION.NAME]` tables of a section, each with a valid name; problems reported.
    mutating func namedTables(_ node: TOMLNode, section: String, noun: String) -> [(name: String, table: TOMLTable, path: String)] {
        guard case .table(let tables) = node.value else {
            error(node.position, section, "expected a table of \(section) ([\(section).NAME]), got \(node.value.typeName)")
            return []
        }
        var out: [(String, TOMLTable, String)] = []
        for entry in tables.entries {
            let path = section + "." + entry.key
            positions[path] = entry.keyPosition
            guard Decoder.isServiceName(entry.key) else {
                error(entry.keyPosition, path, "'\(entry.key)' is not a valid \(noun) name (letters, digits, '-' and '_')")
                continue
            }
            guard case .table(let table) = entry.node.value else {
                error(entry.node.position, path, "expected a table ([\(path)]), got \(entry.node.value.typeName)")
                continue
            }
            out.append((entry.key, table, path))
        }
        return out
    }

    static func isServiceName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.count <= 64 && name.unicodeScalars.allSatisfy {
            ($0.value >= 48 && $0.value <= 57) || ($0.value >= 65 && $0.value <= 90) || ($0.value >= 97 && $0.value <= 122) || $0 == "_" || $0 == "-"
        }
    }

    // MARK: Services

    mutating func decodeService(_ name: String, _ t: TOMLTable, path: String, checkingKeys: Bool = true) -> ServiceConfig? {
        if checkingKeys { checkKeys(t, known: ConfigLoader.serviceKeys, path: path) }
        var s = ServiceConfig(name: name, command: [])
        let shell = bool(t, "shell", path: path) ?? false
        if let node = t["command"] {
            s.command = command(node, shell: shell, path: path + ".command")
        } else {
            error(t.position, path, "missing key 'command'")
        }
        if let kind = oneOf(t, "type", ServiceKind.allCases.map(\.rawValue), path: path) {
            s.kind = ServiceKind(rawValue: kind)!
            if s.kind == .oneshot { s.restart = .onFailure }
        }
        s.workdir = string(t, "workdir", path: path)
        if let node = t["env"] {
            if case .table(let env) = node.value {
                for entry in env.entries {
                    let keyPath = path + ".env." + entry.key
                    guard Expansion.isName(entry.key) else { error(entry.keyPosition, keyPath, "'\(entry.key)' is not a valid variable name"); continue }
                    if case .string(let value) = entry.node.value {
                        s.environment.append((entry.key, expand(value, position: entry.node.position, keyPath: keyPath)))
                    } else {
                        error(entry.node.position, keyPath, "expected a string, got \(entry.node.value.typeName)")
                    }
                }
            } else {
                error(node.position, path + ".env", "expected a table like { NAME = \"value\" }, got \(node.value.typeName)")
            }
        }
        s.envFile = string(t, "env-file", path: path)
        s.user = string(t, "user", path: path)
        s.group = string(t, "group", path: path)
        if let node = t["umask"] { s.umask = umask(node, path: path + ".umask") }
        if let node = t["rlimits"] { s.rlimits = rlimits(node, path: path + ".rlimits") }
        if let node = t["cpu-affinity"] { s.cpuAffinity = cpus(node, path: path + ".cpu-affinity") }
        s.noNewPrivileges = bool(t, "no-new-privileges", path: path) ?? false
        if let n = integer(t, "instances", path: path, range: 1...1000) { s.instances = Int(n) }
        if let r = oneOf(t, "restart", RestartPolicy.allCases.map(\.rawValue), path: path) { s.restart = RestartPolicy(rawValue: r)! }
        if let node = t["success-exit-codes"] { s.successExitCodes = exitCodes(node, path: path + ".success-exit-codes") }
        if let d = duration(t, "backoff", path: path) { s.backoff.initial = d }
        if let d = duration(t, "backoff-max", path: path) { s.backoff.maximum = d }
        if let d = duration(t, "backoff-reset", path: path) { s.backoff.resetAfter = d }
        if s.backoff.maximum < s.backoff.initial, let position = positions[path + ".backoff-max"] ?? positions[path + ".backoff"] {
            error(position, path + ".backoff-max", "is \(s.backoff.maximum), shorter than backoff (\(s.backoff.initial))")
        }
        if let node = t["start-retries"] {
            if case .string("unlimited") = node.value { s.startRetries = nil } else if let n = integer(t, "start-retries", path: path, range: 0...1_000_000, hint: " or \"unlimited\"") {
                s.startRetries = Int(n)
            }
        }
        if let d = duration(t, "start-time", path: path) { s.startTime = d }
        if let node = t["stop-signal"] { s.stopSignal = signal(node, path: path + ".stop-signal") ?? s.stopSignal }
        if let d = duration(t, "stop-delay", path: path) { s.stopDelay = d }
        if let d = duration(t, "stop-timeout", path: path) { s.stopTimeout = d }
        if let names = stringArray(t, "after", path: path) { s.after = names }
        if let names = stringArray(t, "requires", path: path) { s.requires = names }
        s.critical = bool(t, "critical", path: path) ?? false
        if let f = oneOf(t, "on-fatal", FatalPolicy.allCases.map(\.rawValue), path: path) { s.onFatal = FatalPolicy(rawValue: f)! }
        s.stdout = output(t, "stdout", path: path)
        s.stderr = output(t, "stderr", path: path)
        if let node = t["window"] { s.window = window(node, path: path + ".window") }
        s.lifecycle = decodeLifecycle(t, path: path, kind: s.kind)
        return s
    }

    mutating func command(_ node: TOMLNode, shell: Bool, path: String) -> [String] {
        switch node.value {
        case .string(let text):
            let expanded = expand(text, position: node.position, keyPath: path)
            if expanded.allSatisfy({ $0 == " " || $0 == "\t" }) { error(node.position, path, "empty command"); return [] }
            if shell { return ["/bin/sh", "-c", expanded] }
            switch CommandWords.split(expanded) {
            case .success(let words): return words
            case .failure(let failure): error(node.position, path, failure.message); return []
            }
        case .array(let items):
            if shell { error(node.position, path, "with shell = true, command must be a string"); return [] }
            var words: [String] = []
            for item in items {
                guard case .string(let word) = item.value else {
                    error(item.position, path, "expected an array of strings, found \(item.value.typeName)")
                    return []
                }
                words.append(expand(word, position: item.position, keyPath: path))
            }
            if words.isEmpty || words[0].isEmpty { error(node.position, path, "empty command") }
            return words
        default:
            error(node.position, path, "expected a string or an array of strings, got \(node.value.typeName)")
            return []
        }
    }

    mutating func expand(_ text: String, position: SourcePosition, keyPath: String) -> String {
        let result = Expansion.expand(text, environment: environment)
        if let message = result.error { error(position, keyPath, message); return text }
        for name in result.unset {
            warning(position, keyPath, "${\(name)} is not set and has no default (${\(name):-default}); it expands to \"\"")
        }
        return result.text
    }

    // MARK: Dependencies

    /// Unknown names and cycles in after/requires, each reported once.
    mutating func checkDependencies() {
        let names = configuration.services.map(\.name)
        for service in configuration.services {
            for (key, list) in [("after", service.after), ("requires", service.requires)] {
                for name in list where !names.contains(name) {
                    let hint = Spelling.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                    error(positions["services.\(service.name).\(key)"], "services.\(service.name).\(key)", "no service named '\(name)'\(hint)")
                }
                if list.contains(service.name) {
                    error(positions["services.\(service.name).\(key)"], "services.\(service.name).\(key)", "a service cannot depend on itself")
                }
            }
        }
        if let cycle = DependencyGraph(configuration.services).cycle() {
            let first = cycle[0]
            error(positions["services.\(first).requires"] ?? positions["services.\(first).after"], "services.\(first)",
                  "dependency cycle: \(cycle.joined(separator: " → ")) → \(first)")
        }
    }

    // MARK: Typed getters (nil when absent or wrong; wrong is reported)

    mutating func typeError(_ node: TOMLNode, _ path: String, expected: String) {
        error(node.position, path, "expected \(expected), got \(node.value.typeName)")
    }

    mutating func string(_ t: TOMLTable, _ key: String, path: String) -> String? {
        guard let node = t[key] else { return nil }
        let keyPath = path.isEmpty ? key : path + "." + key
        guard case .string(let s) = node.value else { typeError(node, keyPath, expected: "a string"); return nil }
        return expand(s, position: node.position, keyPath: keyPath)
    }

    mutating func bool(_ t: TOMLTable, _ key: String, path: String) -> Bool? {
        guard let node = t[key] else { return nil }
        guard case .boolean(let b) = node.value else { typeError(node, path.isEmpty ? key : path + "." + key, expected: "true or false"); return nil }
        return b
    }

    mutating func integer(_ t: TOMLTable, _ key: String, path: String, range: ClosedRange<Int64>, hint: String = "") -> Int64? {
        guard let node = t[key] else { return nil }
        let keyPath = path + "." + key
        guard case .integer(let n) = node.value else { typeError(node, keyPath, expected: "an integer\(hint)"); return nil }
        guard range.contains(n) else { error(node.position, keyPath, "\(n) is out of range \(range.lowerBound)-\(range.upperBound)"); return nil }
        return n
    }

    mutating func duration(_ t: TOMLTable, _ key: String, path: String) -> TimeSpan? {
        guard let node = t[key] else { return nil }
        let keyPath = path.isEmpty ? key : path + "." + key
        guard case .string(let text) = node.value else {
            typeError(node, keyPath, expected: "a duration string like \"10s\" or \"1m30s\"")
            return nil
        }
        switch DurationSyntax.parse(text) {
        case .success(let span): return span
        case .failure(let failure): error(node.position, keyPath, failure.message); return nil
        }
    }

    /// A duration that must be longer than zero (timeouts, intervals, ages).
    mutating func positiveDuration(_ t: TOMLTable, _ key: String, path: String) -> TimeSpan? {
        guard let d = duration(t, key, path: path) else { return nil }
        if d <= .zero {
            error(t[key]!.position, (path.isEmpty ? "" : path + ".") + key, "must be longer than 0s")
            return nil
        }
        return d
    }

    mutating func oneOf(_ t: TOMLTable, _ key: String, _ allowed: [String], path: String) -> String? {
        guard let node = t[key] else { return nil }
        let keyPath = path.isEmpty ? key : path + "." + key
        let list = allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        guard case .string(let s) = node.value else { typeError(node, keyPath, expected: "one of \(list)"); return nil }
        guard allowed.contains(s) else {
            let hint = Spelling.closest(to: s, in: allowed).map { "; did you mean \"\($0)\"?" } ?? ""
            error(node.position, keyPath, "\"\(Decoder.shown(s))\" is not one of \(list)\(hint)")
            return nil
        }
        return s
    }

    mutating func stringArray(_ t: TOMLTable, _ key: String, path: String) -> [String]? {
        guard let node = t[key] else { return nil }
        let keyPath = path + "." + key
        guard case .array(let items) = node.value else { typeError(node, keyPath, expected: "an array of strings"); return nil }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item.value else { typeError(item, keyPath, expected: "a string"); return nil }
            out.append(s)
        }
        return out
    }

    mutating func signal(_ node: TOMLNode, path: String) -> Int32? {
        let parsed: Int32?
        switch node.value {
        case .string(let s): parsed = Signals.parse(s)
        case .integer(let n): parsed = n > 0 && n <= Int64(Signals.realtimeMax) ? Int32(n) : nil
        default: typeError(node, path, expected: "a signal name like \"TERM\""); return nil
        }
        guard let parsed else { error(node.position, path, "not a signal name or number (like \"TERM\", \"SIGQUIT\" or 15)"); return nil }
        if parsed == Signals.stop { error(node.position, path, "SIGSTOP would only pause the service"); return nil }
        return parsed
    }

    mutating func exitCodes(_ node: TOMLNode, path: String) -> [Int32] {
        guard case .array(let items) = node.value else { typeError(node, path, expected: "an array of exit codes"); return [0] }
        var codes: [Int32] = []
        for item in items {
            guard case .integer(let n) = item.value, n >= 0, n <= 255 else {
                error(item.position, path, "expected exit codes from 0 to 255")
                return [0]
            }
            codes.append(Int32(n))
        }
        return codes
    }

    mutating func umask(_ node: TOMLNode, path: String) -> UInt32? {
        switch node.value {
        case .string(let s):
            guard !s.isEmpty, s.count <= 4, let v = UInt32(s, radix: 8), v <= 0o777 else {
                error(node.position, path, "\"\(Decoder.shown(s))\" is not an octal umask like \"022\"")
                return nil
            }
            return v
        case .integer(let n):
            guard n >= 0 && n <= 0o777 else { error(node.position, path, "\(n) is out of range 0-0o777"); return nil }
            return UInt32(n)
        default:
            typeError(node, path, expected: "an octal string like \"022\"")
            return nil
        }
    }

    mutating func rlimits(_ node: TOMLNode, path: String) -> [ResourceLimit] {
        guard case .table(let table) = node.value else { typeError(node, path, expected: "a table like { nofile = 1024 }"); return [] }
        var out: [ResourceLimit] = []
        for entry in table.entries {
            let keyPath = path + "." + entry.key
            guard ResourceLimit.resources[entry.key] != nil else {
                let names = ResourceLimit.resources.keys.sorted()
                let hint = Spelling.closest(to: entry.key, in: names).map { "; did you mean '\($0)'?" } ?? ""
                error(entry.keyPosition, keyPath, "unknown resource limit '\(Decoder.shown(entry.key))'\(hint)")
                continue
            }
            func value(_ n: TOMLNode) -> UInt64?? {
                switch n.value {
                case .integer(let v) where v >= 0: return .some(UInt64(v))
                case .string("unlimited"), .string("infinity"): return .some(nil)
                default: return nil
                }
            }
            switch entry.node.value {
            case .array(let pair) where pair.count == 2:
                guard let soft = value(pair[0]), let hard = value(pair[1]) else {
                    error(entry.node.position, keyPath, "expected [soft, hard] with numbers or \"unlimited\"")
                    continue
                }
                if let s = soft, let h = hard, s > h { error(entry.node.position, keyPath, "soft limit \(s) is above hard limit \(h)"); continue }
                out.append(ResourceLimit(name: entry.key, soft: soft, hard: hard))
            default:
                guard let both = value(entry.node) else {
                    error(entry.node.position, keyPath, "expected a number, \"unlimited\", or [soft, hard]")
                    continue
                }
                out.append(ResourceLimit(name: entry.key, soft: both, hard: both))
            }
        }
        return out
    }

    mutating func cpus(_ node: TOMLNode, path: String) -> [Int] {
        var out: [Int] = []
        switch node.value {
        case .array(let items):
            for item in items {
                guard case .integer(let n) = item.value, n >= 0, n < 1024 else { error(item.position, path, "expected CPU numbers from 0 to 1023"); return [] }
                out.append(Int(n))
            }
        case .string(let text):
            for part in text.split(separator: ",") {
                let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), let lo = Int(bounds[0]), let hi = Int(bounds[bounds.count - 1]),
                      lo >= 0, lo <= hi, hi < 1024 else {
                    error(node.position, path, "\"\(Decoder.shown(text))\" is not a CPU list like \"0-3,6\"")
                    return []
                }
                out.append(contentsOf: lo...hi)
            }
        default:
            typeError(node, path, expected: "a CPU list like [0, 1] or \"0-3\"")
        }
        return out
    }

    mutating func output(_ t: TOMLTable, _ key: String, path: String) -> OutputMode? {
        guard let node = t[key] else { return nil }
        let keyPath = path.isEmpty ? key : path + "." + key
        switch node.value {
        case .string(let s):
            switch s {
            case "inherit": return .inherit
            case "prefix": return .prefix
            case "json": return .json
            case "null": return .null
            default:
                let hint = Spelling.closest(to: s, in: ["inherit", "prefix", "json", "null"]).map { "; did you mean \"\($0)\"?" } ?? ""
                error(node.position, keyPath, "\"\(Decoder.shown(s))\" is not one of \"inherit\", \"prefix\", \"json\", \"null\" or { file = PATH }\(hint)")
                return nil
            }
        case .table(let table):
            checkKeys(table, known: ["file", "max-size", "max-files"], path: keyPath)
            guard let file = string(table, "file", path: keyPath) else {
                error(node.position, keyPath, "a file output needs 'file = PATH'")
                return nil
            }
            var maxSize: Int64 = 10 << 20
            if let sizeNode = table["max-size"] {
                if case .string(let text) = sizeNode.value, let size = SizeSyntax.parse(text) { maxSize = size } else if case .integer(let n) = sizeNode.value, n > 0 { maxSize = n } else {
                    error(sizeNode.position, keyPath + ".max-size", "expected a size like \"10MiB\"")
                }
            }
            let maxFiles = integer(table, "max-files", path: keyPath, range: 0...1000) ?? 5
            return .file(path: file, maxSize: maxSize, maxFiles: Int(maxFiles))
        default:
            typeError(node, keyPath, expected: "\"inherit\", \"prefix\", \"json\", \"null\" or { file = PATH }")
            return nil
        }
    }
}

/// Sizes: "512", "64KiB", "10MiB", "1GB", "100k".
public enum SizeSyntax {
    public static func parse(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isNumber }
        guard !digits.isEmpty, let n = Int64(digits) else { return nil }
        let unit = text.dropFirst(digits.count).lowercased().trimmingSpaces
        let factor: Int64
        switch unit {
        case "", "b": factor = 1
        case "k", "kb": factor = 1000
        case "kib": factor = 1024
        case "m", "mb": factor = 1_000_000
        case "mib": factor = 1 << 20
        case "g", "gb": factor = 1_000_000_000
        case "gib": factor = 1 << 30
        default: return nil
        }
        let (product, overflow) = n.multipliedReportingOverflow(by: factor)
        return overflow || product <= 0 ? nil : product
    }
}

extension ResourceLimit {
    /// Linux RLIMIT_* numbers by the names used in the config (as in `ulimit` and systemd).
    public static let resources: [String: Int32] = [
        "cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7,
        "memlock": 8, "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
    ]
}
