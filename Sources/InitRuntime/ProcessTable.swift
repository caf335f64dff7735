import Glibc

/// What /proc says about processes.
public enum ProcessTable {
    /// Every pid in /proc with its parent pid.
    public static func parents() -> [(pid: Int32, ppid: Int32)] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var result: [(Int32, Int32)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let ppid = parentPid(of: pid) else { continue }
            result.append((pid, ppid))
        }
        return result
    }

    /// The parent pid from /proc/PID/stat (the field after the last ')': the name may hold any byte).
    public static func parentPid(of pid: Int32) -> Int32? {
        guard let stat = statFields(of: pid), stat.count > 1 else { return nil }
        return Int32(stat[1])
    }

    /// The fields of /proc/PID/stat after the command name: state, ppid, pgrp, …
    public static func statFields(of pid: Int32) -> [Substring]? {
        guard let bytes = try? readFile("/proc/\(pid)/stat", limit: 4096),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let text = String(decoding: bytes[(close + 1)...], as: UTF8.self)
        return text.split(separator: " ")
    }

    /// Every process below `root`, deepest last.
    public static func descendants(of root: Int32) -> [Int32] {
        let table = parents()
        var result: [Int32] = []
        var frontier = [root]
        while let parent = frontier.popLast() {
            for entry in table where entry.ppid == parent && entry.pid != root {
                result.append(entry.pid)
                frontier.append(entry.pid)
            }
        }
        return result
    }
}
