/// The parts of /proc/PID/stat and /proc/PID/status that initctl shows. Parsing is pure; the
/// reading is initctl's (it runs in the container, so swinit itself never scans /proc).
public struct ProcStat: Sendable, Equatable {
    public var name: String
    /// R, S, D, Z, T…
    public var state: Character
    public var parentPid: Int32
    /// utime + stime, in clock ticks.
    public var cpuTicks: UInt64
    /// When the process started, in clock ticks after boot.
    public var startTicks: UInt64

    public init(name: String, state: Character, parentPid: Int32, cpuTicks: UInt64, startTicks: UInt64) {
        self.name = name
        self.state = state
        self.parentPid = parentPid
        self.cpuTicks = cpuTicks
        self.startTicks = startTicks
    }

    /// Parses /proc/PID/stat. The name sits in parentheses and may hold any byte, spaces and
    /// ')' included, so the fields are counted from the last ')'.
    public static func parse(_ text: String) -> ProcStat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let name = String(text[text.index(after: open)..<close])
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state(0) ppid(1) … utime(11) stime(12) … starttime(19).
        guard fields.count > 19, let state = fields[0].first, let ppid = Int32(fields[1]),
              let utime = UInt64(fields[11]), let stime = UInt64(fields[12]), let start = UInt64(fields[19]) else { return nil }
        return ProcStat(name: name, state: state, parentPid: ppid, cpuTicks: utime + stime, startTicks: start)
    }

    /// VmRSS from /proc/PID/status, in kB (nil for kernel threads and zombies).
    public static func residentKilobytes(status text: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" })
            return parts.first.flatMap { Int64($0) }
        }
        return nil
    }

    /// CPU percent of one CPU over the process's life (as `ps` shows it).
    public func lifetimeCPUPercent(uptimeSeconds: Double, ticksPerSecond: Double) -> Double? {
        let alive = uptimeSeconds - Double(startTicks) / ticksPerSecond
        guard alive > 0.05 else { return nil }
        return Double(cpuTicks) / ticksPerSecond / alive * 100
    }
}
