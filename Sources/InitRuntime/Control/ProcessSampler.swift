import Glibc
import InitCore

/// Reads CPU, memory and zombies from /proc for initctl (never for swinit: PID 1 stays lean).
struct ProcessSampler {
    let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    /// Ticks seen at the previous sample, for `top`'s per-interval CPU.
    private var previous: [Int32: (ticks: UInt64, start: UInt64, at: Double)] = [:]

    /// Whether initctl sees the same pids as the swinit that sent `snapshot`.
    static func samePidNamespace(_ snapshot: StatusSnapshot) -> Bool {
        guard let theirs = snapshot.pidNamespace else { return false }
        return ControlChannel.readLink("/proc/self/ns/pid") == theirs
    }

    /// CPU % and RSS of each unit's pid: over its life, or (`interval`) since the last call.
    mutating func samples(for snapshot: StatusSnapshot, interval: Bool) -> [Int32: ProcessSample] {
        let uptime = ProcessSampler.uptimeSeconds()
        var result: [Int32: ProcessSample] = [:]
        var seen: [Int32: (ticks: UInt64, start: UInt64, at: Double)] = [:]
        for unit in snapshot.units {
            guard let pid = unit.pid, let stat = ProcessSampler.stat(pid) else { continue }
            var cpu = stat.lifetimeCPUPercent(uptimeSeconds: uptime, ticksPerSecond: ticksPerSecond)
            if interval, let before = previous[pid], before.start == stat.startTicks, uptime > before.at {
                cpu = Double(stat.cpuTicks - min(stat.cpuTicks, before.ticks)) / ticksPerSecond / (uptime - before.at) * 100
            }
            seen[pid] = (stat.cpuTicks, stat.startTicks, uptime)
            let status = (try? readFile("/proc/\(pid)/status", limit: 64 << 10)).map { String(decoding: $0, as: UTF8.self) }
            result[pid] = ProcessSample(cpuPercent: cpu, rssKilobytes: status.flatMap(ProcStat.residentKilobytes))
        }
        previous = seen
        return result
    }

    /// Every zombie in /proc, with its parent (who fails to reap it).
    static func zombies() -> [Zombie] {
        var result: [Zombie] = []
        for (pid, _) in ProcessTable.parents() {
            guard let stat = stat(pid), stat.state == "Z" else { continue }
            result.append(Zombie(pid: pid, name: stat.name, parentPid: stat.parentPid, parentName: self.stat(stat.parentPid)?.name))
        }
        return result.sorted { $0.pid < $1.pid }
    }

    static func stat(_ pid: Int32) -> ProcStat? {
        guard let bytes = try? readFile("/proc/\(pid)/stat", limit: 4096) else { return nil }
        return ProcStat.parse(String(decoding: bytes, as: UTF8.self))
    }

    static func uptimeSeconds() -> Double {
        guard let bytes = try? readFile("/proc/uptime", limit: 256) else { return 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
    }
}
