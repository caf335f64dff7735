/// `[tasks.NAME]` and service `window`s: the scheduling parts of the config.
extension ConfigLoader {
    public static let taskKeys = [
        "command", "shell", "workdir", "env", "env-file", "user", "group", "umask", "rlimits", "cpu-affinity",
        "no-new-privileges", "success-exit-codes", "stop-signal", "stop-timeout", "stdout", "stderr",
        "cron", "every", "jitter", "at", "days", "timezone", "overlap", "timeout", "on-shutdown",
        "on-success", "on-failure",
    ]

    /// Parses what `swinit schedule` and the `cron`/`every`/`at` keys accept:
    /// "*/5 * * * *", "@daily", "every 1h30m", "at 23:59", "at 7:00,19:00 on mon-fri".
    public static func parseSchedule(_ text: String) -> Result<Schedule, ScheduleError> {
        let trimmed = text.trimmingSpaces
        if trimmed.hasPrefix("every ") {
            switch DurationSyntax.parse(String(trimmed.dropFirst(6)).trimmingSpaces) {
            case .success(let span) where span.nanoseconds >= 1_000_000_000:
                return .success(.every(seconds: span.nanoseconds / 1_000_000_000, jitterSeconds: 0))
            case .success: return .failure(ScheduleError("every: the interval must be at least 1s"))
            case .failure(let failure): return .failure(ScheduleError("every: " + failure.message))
            }
        }
        if trimmed.hasPrefix("at ") {
            var rest = String(trimmed.dropFirst(3))
            var days = DaySet.all
            if let range = rest.split(separator: " ").firstIndex(of: "on") {
                let words = rest.split(separator: " ")
                do throws(ScheduleError) {
                    days = try Schedule.parseDays(words[(range + 1)...].map(String.init))
                } catch { return .failure(error) }
                rest = words[..<range].joined(separator: " ")
            }
            do throws(ScheduleError) {
                let times = try rest.split(separator: ",").map { s throws(ScheduleError) in try Schedule.parseTimeOfDay(String(s).trimmingSpaces) }
                if times.isEmpty { return .failure(ScheduleError("at: expected a time like 23:59")) }
                return .success(.at(times: times, days: days))
            } catch { return .failure(error) }
        }
        do throws(ScheduleError) {
            return .success(.cron(try CronExpression(parsing: trimmed)))
        } catch { return .failure(error) }
    }
}

extension Decoder {
    mutating func decodeTasks(_ node: TOMLNode) {
        for (name, table, path) in namedTables(node, section: "tasks", noun: "task") {
            if configuration.service(named: name) != nil {
                error(positions[path], path, "'\(name)' is already the name of a service")
                continue
            }
            if let task = decodeTask(name, table, path: path) { configuration.services.append(task) }
        }
    }

    mutating func decodeTask(_ name: String, _ t: TOMLTable, path: String) -> ServiceConfig? {
        checkKeys(t, known: ConfigLoader.taskKeys, path: path)
        // The keys a task shares with services are read by the service decoder, minus its checks.
        let allowed = Set(ConfigLoader.taskKeys)
        var shared = TOMLTable(position: t.position)
        for e in t.entries where allowed.contains(e.key) && ConfigLoader.serviceKeys.contains(e.key) {
            shared.updateValue(e.node, forKey: e.key, keyPosition: e.keyPosition)
        }
        let before = diagnostics.count
        guard var s = decodeService(name, shared, path: path, checkingKeys: false) else { return nil }
        if diagnostics.count > before, diagnostics[before...].contains(where: { $0.message == "missing key 'command'" }) {
            diagnostics.removeAll { $0.keyPath == path && $0.message == "missing key 'command'" }
            error(t.position, path, "missing key 'command'")
        }
        s.restart = .never
        s.startRetries = nil
        var task = TaskSettings()
        let given = ["cron", "every", "at"].filter { t[$0] != nil }
        if given.count > 1 {
            error(t[given[1]]!.position, path + "." + given[1], "a task has one schedule: \(given.map { "'\($0)'" }.joined(separator: ", ")) are all set")
        }
        if let text = string(t, "cron", path: path) {
            switch ConfigLoader.parseSchedule(text) {
            case .success(.cron(let expression)):
                task.schedule = expression.isReboot ? nil : .cron(expression)
                task.atBoot = expression.isReboot
                task.scheduleText = text
            case .success: error(t["cron"]!.position, path + ".cron", "expected a cron expression like \"*/5 * * * *\"")
            case .failure(let failure): error(t["cron"]!.position, path + ".cron", failure.description)
            }
        }
        if let span = duration(t, "every", path: path) {
            if span.nanoseconds < 1_000_000_000 {
                error(t["every"]!.position, path + ".every", "the interval must be at least 1s")
            } else {
                task.schedule = .every(seconds: span.nanoseconds / 1_000_000_000, jitterSeconds: 0)
                task.scheduleText = "every \(span)"
            }
        }
        if let node = t["at"] {
            var texts: [String] = []
            switch node.value {
            case .string(let one): texts = [one]
            case .array: texts = stringArray(t, "at", path: path) ?? []
            default: typeError(node, path + ".at", expected: "a time like \"23:59\" or a list of them")
            }
            var times: [TimeOfDay] = []
            for text in texts {
                do throws(ScheduleError) { times.append(try Schedule.parseTimeOfDay(text)) } catch {
                    self.error(node.position, path + ".at", error.description)
                }
            }
            var days = DaySet.all
            if let list = stringArray(t, "days", path: path) {
                do throws(ScheduleError) { days = try Schedule.parseDays(list) } catch {
                    self.error(t["days"]!.position, path + ".days", error.description)
                }
            }
            if !times.isEmpty {
                task.schedule = .at(times: times, days: days)
                task.scheduleText = "at " + texts.joined(separator: ",") + (t["days"] != nil ? " on " + (stringArray(t, "days", path: path) ?? []).joined(separator: ",") : "")
            }
        } else if let node = t["days"] {
            error(node.position, path + ".days", "'days' goes with 'at'; for cron, put the days in the expression")
        }
        if let jitter = duration(t, "jitter", path: path) {
            if case .every(let seconds, _)? = task.schedule {
                task.schedule = .every(seconds: seconds, jitterSeconds: jitter.nanoseconds / 1_000_000_000)
                task.jitter = jitter
            } else {
                error(t["jitter"]!.position, path + ".jitter", "'jitter' goes with 'every'")
            }
        }
        task.timezone = string(t, "timezone", path: path)
        if let o = oneOf(t, "overlap", OverlapPolicy.allCases.map(\.rawValue), path: path) { task.overlap = OverlapPolicy(rawValue: o)! }
        task.timeout = duration(t, "timeout", path: path)
        if let o = oneOf(t, "on-shutdown", ["stop", "wait"], path: path) { task.waitOnShutdown = o == "wait" }
        task.onSuccess = stringArray(t, "on-success", path: path) ?? []
        task.onFailure = stringArray(t, "on-failure", path: path) ?? []
        s.task = task
        return s
    }

    mutating func window(_ node: TOMLNode, path: String) -> ServiceWindow? {
        guard case .table(let t) = node.value else {
            typeError(node, path, expected: "a table like { start = \"08:00\", stop = \"18:00\" }")
            return nil
        }
        checkKeys(t, known: ["start", "stop", "days", "timezone"], path: path)
        func time(_ key: String) -> TimeOfDay? {
            guard let text = string(t, key, path: path) else {
                if t[key] == nil { error(node.position, path, "missing key '\(key)'") }
                return nil
            }
            do throws(ScheduleError) { return try Schedule.parseTimeOfDay(text) } catch {
                self.error(t[key]!.position, path + "." + key, error.description)
                return nil
            }
        }
        guard let start = time("start"), let stop = time("stop") else { return nil }
        if start == stop { error(node.position, path, "start and stop are the same time") }
        var w = ServiceWindow(start: start, stop: stop)
        if let list = stringArray(t, "days", path: path) {
            do throws(ScheduleError) { w.days = try Schedule.parseDays(list) } catch {
                self.error(t["days"]!.position, path + ".days", error.description)
            }
        }
        w.timezone = string(t, "timezone", path: path)
        return w
    }

    /// Chains name tasks, and do not loop.
    mutating func checkTaskChains() {
        let tasks = configuration.services.filter { $0.task != nil }
        let names = tasks.map(\.name)
        for t in tasks {
            for (key, list) in [("on-success", t.task!.onSuccess), ("on-failure", t.task!.onFailure)] {
                for name in list where !names.contains(name) {
                    let hint = Spelling.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                    error(positions["tasks.\(t.name).\(key)"], "tasks.\(t.name).\(key)", "no task named '\(name)'\(hint)")
                }
            }
        }
        for t in tasks where t.task!.onSuccess.contains(t.name) || t.task!.onFailure.contains(t.name) {
            error(positions["tasks.\(t.name)"], "tasks.\(t.name)", "task chain loops: \(t.name) → \(t.name)")
        }
        let chained = tasks.map { t in
            var s = ServiceConfig(name: t.name, command: [])
            s.after = t.task!.onSuccess + t.task!.onFailure
            return s
        }
        if let cycle = DependencyGraph(chained).cycle() {
            error(positions["tasks.\(cycle[0])"], "tasks.\(cycle[0])", "task chain loops: \(cycle.joined(separator: " → ")) → \(cycle[0])")
        }
    }
}
