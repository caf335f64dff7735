/// CPU and memory of one process, as initctl reads them from /proc.
public struct ProcessSample: Sendable, Equatable {
    /// Percent of one CPU: over the process's life for `status`, over the last interval in `top`.
    public var cpuPercent: Double?
    public var rssKilobytes: Int64?
    public init(cpuPercent: Double?, rssKilobytes: Int64?) {
        self.cpuPercent = cpuPercent
        self.rssKilobytes = rssKilobytes
    }
}

/// A process that has exited and not been reaped, with the parent that fails to reap it.
public struct Zombie: Sendable, Equatable {
    public var pid: Int32
    public var name: String
    public var parentPid: Int32
    public var parentName: String?
    public init(pid: Int32, name: String, parentPid: Int32, parentName: String?) {
        self.pid = pid
        self.name = name
        self.parentPid = parentPid
        self.parentName = parentName
    }
}

/// `initctl status` and `initctl top` as text: a headline, one row per unit, the zombies.
public enum StatusTable {
    /// What to render besides the snapshot.
    public struct Extras: Sendable {
        public var samples: [Int32: ProcessSample] = [:]
        public var zombies: [Zombie] = []
        /// Why CPU/RSS are not shown, when they are not ("swinit is in another pid namespace").
        public var processNote: String? = nil
        public var color = false
        public init() {}
    }

    static let headers = ["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "READY", "HEALTH", "CPU%", "RSS", "NOTE"]
    /// Columns aligned right (numbers).
    static let rightAligned: Set<Int> = [2, 3, 4, 8, 9]

    /// The whole table, newline-terminated.
    public static func render(_ snapshot: StatusSnapshot, _ extras: Extras = Extras()) -> String {
        var out = headline(snapshot) + "\n"
        var rows: [[String]] = [headers]
        var colors: [String?] = [nil]
        for unit in snapshot.units {
            let sample = unit.pid.flatMap { extras.samples[$0] }
            rows.append([
                unit.name,
                unit.state + (unit.retryInMilliseconds.map { " (\(age($0)))" } ?? ""),
                unit.pid.map(String.init) ?? "-",
                unit.uptimeMilliseconds.map(age) ?? "-",
                String(unit.restarts),
                lastExit(unit.lastExit),
                unit.ready.map { $0 ? "yes" : "no" } ?? "-",
                unit.health ?? "-",
                sample?.cpuPercent.map(percent) ?? "-",
                sample?.rssKilobytes.map(memory) ?? "-",
                unit.note,
            ])
            colors.append(extras.color ? stateColor(unit) : nil)
        }
        var widths = [Int](repeating: 0, count: headers.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for (r, row) in rows.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                var shown = rightAligned.contains(i) ? pad + cell : cell + (i == row.count - 1 ? "" : pad)
                if i == 1, let color = colors[r] { shown = color + shown + reset }
                if r == 0 && extras.color { shown = bold + shown + reset }
                line += (i == 0 ? "" : "  ") + shown
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        if let note = extras.processNote { out += "(\(note))\n" }
        if !extras.zombies.isEmpty {
            out += "zombies (\(extras.zombies.count)): exited processes their parent has not reaped\n"
            for z in extras.zombies {
                out += "  pid \(z.pid) (\(z.name)), parent \(z.parentPid) (\(z.parentName ?? "?"))\n"
            }
        }
        return out
    }

    /// "swinit 0.1.0 (pid 1), up 5m03s, running; 3 units: 2 running, 1 exited".
    public static func headline(_ s: StatusSnapshot) -> String {
        var counts: [(String, Int)] = []
        for u in s.units {
            if let i = counts.firstIndex(where: { $0.0 == u.state }) { counts[i].1 += 1 } else { counts.append((u.state, 1)) }
        }
        let summary = counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        return "swinit \(s.version) (pid \(s.pid)), up \(age(s.uptimeMilliseconds)), \(s.phase); \(s.units.count) unit\(s.units.count == 1 ? "" : "s")"
            + (summary.isEmpty ? "" : ": " + summary)
    }

    /// "0", "1", "SIGKILL", "SIGSEGV (core)", or "-" before any exit.
    public static func lastExit(_ status: WaitStatus?) -> String {
        switch status {
        case nil: return "-"
        case .exited(let code): return String(code)
        case .signaled(let signal, let core): return "SIG" + Signals.name(signal) + (core ? " (core)" : "")
        }
    }

    /// A compact age: "850ms", "12s", "5m03s", "2h05m", "3d04h".
    public static func age(_ milliseconds: Int64) -> String {
        let ms = max(0, milliseconds)
        if ms < 1000 { return "\(ms)ms" }
        let s = ms / 1000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : String(n) }
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(two(s % 60))s" }
        if s < 86400 { return "\(s / 3600)h\(two(s / 60 % 60))m" }
        return "\(s / 86400)d\(two(s / 3600 % 24))h"
    }

    /// One decimal: "0.3", "12.0".
    public static func percent(_ value: Double) -> String {
        let tenths = Int64((max(0, value) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// "812K", "4.1M", "1.2G".
    public static func memory(_ kilobytes: Int64) -> String {
        if kilobytes < 1024 { return "\(kilobytes)K" }
        func oneDecimal(_ v: Int64, _ unit: Int64, _ suffix: String) -> String {
            let tenths = (v * 10 + unit / 2) / unit
            return tenths >= 100 ? "\(tenths / 10)\(suffix)" : "\(tenths / 10).\(tenths % 10)\(suffix)"
        }
        if kilobytes < 1024 * 1024 { return oneDecimal(kilobytes, 1024, "M") }
        return oneDecimal(kilobytes, 1024 * 1024, "G")
    }

    static let reset = "\u{1B}[0m"
    static let bold = "\u{1B}[1m"

    static func stateColor(_ unit: UnitStatus) -> String? {
        switch unit.state {
        case "running": return "\u{1B}[32m"
        case "starting", "waiting", "backoff", "stopping": return "\u{1B}[33m"
        case "fatal": return "\u{1B}[31m"
        case "exited": return unit.up ? "\u{1B}[32m" : "\u{1B}[31m"
        case "stopped": return "\u{1B}[2m"
        default: return nil
        }
    }
}

/// What `initctl check` and `initctl wait` ask of units.
public enum CheckLevel: String, Sendable, Equatable {
    /// Running (one-shots: exited with a success code).
    case running
    /// Running and ready (no readiness check: running counts as ready).
    case ready
    /// Ready and not unhealthy (no health check: ready counts as healthy).
    case healthy
}

/// The verdict of `check`/`wait`: fine, not yet, or never (a unit gave up).
public enum CheckVerdict: Sendable, Equatable {
    case satisfied
    /// Not now; it may become true ("web is starting").
    case pending(String)
    /// It cannot become true without outside help ("web is fatal").
    case failed(String)

    public var isSatisfied: Bool { self == .satisfied }
}

extension StatusSnapshot {
    /// Whether every unit (or every unit named) is at `level`. Units stopped on purpose are
    /// not wanted and do not count, unless named. The reason names the first unit that fails.
    public func check(_ level: CheckLevel, names: [String] = []) -> CheckVerdict {
        if phase != "running" { return .failed("swinit is \(phase)") }
        let (selected, missing) = selecting(names)
        if let name = missing.first { return .failed("no service named '\(name)'") }
        var pending: [String] = []
        for unit in selected.units {
            if unit.state == "stopped" && names.isEmpty { continue }
            switch unitVerdict(unit, level) {
            case .satisfied: continue
            case .failed(let reason): return .failed(reason)
            case .pending(let reason): pending.append(reason)
            }
        }
        if pending.isEmpty { return .satisfied }
        return .pending(pending.count == 1 ? pending[0] : pending[0] + " (and \(pending.count - 1) more)")
    }

    func unitVerdict(_ unit: UnitStatus, _ level: CheckLevel) -> CheckVerdict {
        if unit.kind == "oneshot" {
            if unit.up { return .satisfied }
            if unit.state == "exited" { return .failed("\(unit.name) \(StatusTable.describe(unit.lastExit))") }
        } else if unit.state == "running" {
            if level != .running && unit.ready == false { return .pending("\(unit.name) is running but not ready") }
            if level == .healthy && unit.health == "unhealthy" { return .pending("\(unit.name) is unhealthy") }
            return .satisfied
        }
        switch unit.state {
        case "fatal": return .failed("\(unit.name) is fatal (\(StatusTable.describe(unit.lastExit)); start retries used up)")
        case "exited": return .failed("\(unit.name) \(StatusTable.describe(unit.lastExit)) and will not restart")
        case "backoff":
            return .pending("\(unit.name) is in backoff after it \(StatusTable.describe(unit.lastExit)) (restarts: \(unit.restarts))")
        default: return .pending("\(unit.name) is \(unit.state)")
        }
    }
}

extension StatusTable {
    /// "exited with code 1", "killed by SIGKILL", "has not run".
    public static func describe(_ status: WaitStatus?) -> String {
        status.map { $0.description } ?? "has not run"
    }
}
