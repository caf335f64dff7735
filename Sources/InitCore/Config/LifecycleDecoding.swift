/// Decoding of the readiness, health, hook and event keys of a service, and of `[events]`.
///
/// ```toml
/// [services.db]
/// command = "postgres"
/// ready = { tcp = "127.0.0.1:5432" }
/// ready-timeout = "30s"
/// health = { exec = ["pg_isready"], interval = "10s", retries = 3 }
/// pre-start = { command = "migrate", timeout = "2m" }
/// events = { on-fatal = "page-me" }
/// ```
extension ConfigLoader {
    /// The service keys this file decodes (appended to `serviceKeys`).
    public static let lifecycleServiceKeys = [
        "ready", "ready-timeout", "ready-interval", "health", "watchdog", "pidfile",
        "pre-start", "post-start", "pre-stop", "post-stop", "stop-command", "events",
    ]
    static let readyCheckKeys = ["notify", "fd", "tcp", "http", "file", "exec"]
    static let healthCheckKeys = ["exec", "tcp", "http", "file-age"]
    static let eventKeys = HookEvent.allCases.filter(\.isEvent).map(\.key)
}

extension Decoder {
    /// Everything of `LifecycleConfig` from a service table.
    mutating func decodeLifecycle(_ t: TOMLTable, path: String, kind: ServiceKind) -> LifecycleConfig {
        var life = LifecycleConfig()
        if let node = t["ready"], let check = probeCheck(node, allowed: ConfigLoader.readyCheckKeys, extra: [], path: path + ".ready") {
            var ready = ReadinessConfig(check: check.check)
            // start-timeout is another name for it: the time a start has to get ready.
            if t["ready-timeout"] != nil, let other = t["start-timeout"] {
                error(other.position, path + ".start-timeout", "is another name for 'ready-timeout': give one of them")
            } else if let d = positiveDuration(t, "ready-timeout", path: path) ?? positiveDuration(t, "start-timeout", path: path) {
                ready.timeout = d
            }
            if let d = positiveDuration(t, "ready-interval", path: path) { ready.interval = d }
            life.ready = ready
        } else {
            for key in ["ready-timeout", "ready-interval"] where t[key] != nil {
                error(t[key]!.position, path + "." + key, "has no effect without 'ready'")
            }
            // A warning, not an error: earlier versions accepted it alone (and ignored it).
            if let node = t["start-timeout"] { warning(node.position, path + ".start-timeout", "has no effect without 'ready'") }
        }
        if let node = t["health"] {
            let healthPath = path + ".health"
            let extra = ["interval", "timeout", "retries", "start-period", "on-unhealthy"]
            if let found = probeCheck(node, allowed: ConfigLoader.healthCheckKeys, extra: extra, path: healthPath), let table = found.table {
                var health = HealthConfig(check: found.check)
                if let d = positiveDuration(table, "interval", path: healthPath) { health.interval = d }
                if let d = positiveDuration(table, "timeout", path: healthPath) { health.timeout = d }
                if let n = integer(table, "retries", path: healthPath, range: 1...1000) { health.retries = Int(n) }
                if let d = duration(table, "start-period", path: healthPath) { health.startPeriod = d }
                if let p = oneOf(table, "on-unhealthy", UnhealthyPolicy.allCases.map(\.rawValue), path: healthPath) {
                    health.onUnhealthy = UnhealthyPolicy(rawValue: p)!
                }
                if health.interval <= .zero { error(node.position, healthPath + ".interval", "must be longer than 0s") }
                life.health = health
            }
        }
        if let d = duration(t, "watchdog", path: path) {
            if d <= .zero { error(positions[path + ".watchdog"], path + ".watchdog", "must be longer than 0s") } else { life.watchdog = d }
        }
        life.pidFile = string(t, "pidfile", path: path)
        for event in HookEvent.allCases where !event.isEvent {
            if let node = t[event.key], let hook = hookCommand(node, path: path + "." + event.key) { life.hooks[event] = hook }
        }
        if let node = t["events"] {
            for (event, hook) in eventHooks(node, path: path + ".events") { life.hooks[event] = hook }
        }
        if kind == .oneshot {
            for key in ["ready", "health", "watchdog", "pidfile"] where t[key] != nil {
                error(t[key]!.position, path + "." + key, "is for long-running services, not type = \"oneshot\"")
            }
        }
        return life
    }

    /// `[events]` or `events = { on-exit = …, … }`.
    mutating func eventHooks(_ node: TOMLNode, path: String) -> [HookEvent: HookCommand] {
        guard case .table(let table) = node.value else {
            typeError(node, path, expected: "a table like { on-exit = [\"notify-exit\"] }")
            return [:]
        }
        checkKeys(table, known: ConfigLoader.eventKeys, path: path)
        var out: [HookEvent: HookCommand] = [:]
        for event in HookEvent.allCases where event.isEvent {
            if let node = table[event.key], let hook = hookCommand(node, path: path + "." + event.key) { out[event] = hook }
        }
        return out
    }

    /// A command (string or array), or `{ command = …, shell = true, timeout = "5s" }`.
    mutating func hookCommand(_ node: TOMLNode, path: String) -> HookCommand? {
        switch node.value {
        case .string, .array:
            let words = command(node, shell: false, path: path)
            return words.isEmpty ? nil : HookCommand(command: words)
        case .table(let table):
            checkKeys(table, known: ["command", "shell", "timeout"], path: path)
            let shell = bool(table, "shell", path: path) ?? false
            guard let commandNode = table["command"] else { error(node.position, path, "missing key 'command'"); return nil }
            let words = command(commandNode, shell: shell, path: path + ".command")
            guard !words.isEmpty else { return nil }
            var hook = HookCommand(command: words)
            if let d = duration(table, "timeout", path: path) {
                if d <= .zero { error(table["timeout"]!.position, path + ".timeout", "must be longer than 0s") } else { hook.timeout = d }
            }
            return hook
        default:
            typeError(node, path, expected: "a command (string or array) or { command = …, timeout = \"30s\" }")
            return nil
        }
    }

    /// One check key from `allowed` in an inline table; `extra` keys are the caller's.
    mutating func probeCheck(_ node: TOMLNode, allowed: [String], extra: [String], path: String) -> (check: ProbeCheck, table: TOMLTable?)? {
        let forms = allowed.map { "{ \($0) = … }" }.joined(separator: ", ")
        guard case .table(let table) = node.value else {
            typeError(node, path, expected: "one of \(forms)")
            return nil
        }
        checkKeys(table, known: allowed + extra, path: path)
        let present = table.entries.filter { allowed.contains($0.key) }
        guard present.count == 1, let entry = present.first else {
            error(node.position, path, present.isEmpty ? "needs one of \(forms)" : "has more than one check (\(present.map(\.key).joined(separator: ", ")))")
            return nil
        }
        let keyPath = path + "." + entry.key
        let value = entry.node
        func text() -> String? {
            guard case .string(let s) = value.value else { typeError(value, keyPath, expected: "a string"); return nil }
            return expand(s, position: value.position, keyPath: keyPath)
        }
        let check: ProbeCheck?
        switch entry.key {
        case "notify":
            guard case .boolean(let on) = value.value else { typeError(value, keyPath, expected: "true"); return nil }
            if !on { error(value.position, keyPath, "notify = false is not a check; remove 'ready'") }
            check = on ? .notify : nil
        case "fd":
            guard let n = integer(table, "fd", path: path, range: 3...1023) else { return nil }
            check = .descriptor(Int32(n))
        case "tcp":
            guard let s = text() else { return nil }
            switch HostPort.parse(s) {
            case .success(let hp): check = .tcp(host: hp.host, port: hp.port)
            case .failure(let failure): error(value.position, keyPath, failure.message); check = nil
            }
        case "http":
            guard let s = text() else { return nil }
            switch HTTPTarget.parse(s) {
            case .success(let target): check = .http(target)
            case .failure(let failure): error(value.position, keyPath, failure.message); check = nil
            }
        case "file":
            guard let s = text() else { return nil }
            check = s.isEmpty ? nil : .file(s)
            if s.isEmpty { error(value.position, keyPath, "empty path") }
        case "file-age":
            guard case .table(let ageTable) = value.value else {
                typeError(value, keyPath, expected: "a table like { path = \"/run/app/heartbeat\", max-age = \"30s\" }")
                return nil
            }
            checkKeys(ageTable, known: ["path", "max-age"], path: keyPath)
            let filePath = string(ageTable, "path", path: keyPath)
            let maxAge = positiveDuration(ageTable, "max-age", path: keyPath)
            if filePath == nil && ageTable["path"] == nil { error(value.position, keyPath, "missing key 'path'") }
            if maxAge == nil && ageTable["max-age"] == nil { error(value.position, keyPath, "missing key 'max-age'") }
            guard let filePath, let maxAge else { return nil }
            check = .fileAge(path: filePath, maxAge: maxAge)
        default:
            let words = command(value, shell: false, path: keyPath)
            check = words.isEmpty ? nil : .exec(words)
        }
        return check.map { ($0, table) }
    }
}
