import Glibc
import InitCore

/// `file` and `file-age` checks: a stat or a directory scan, answered at once.
enum FileProbe {
    /// The path exists.
    static func exists(_ path: String) -> ProbeOutcome {
        var st = stat()
        if stat(path, &st) == 0 { return .passed }
        let code = errno
        return .failed("\(path): \(SystemError.describe(code))")
    }

    /// The newest mtime of `path` (or of its entries, for a directory) is younger than `maxAge`.
    static func fresh(_ path: String, maxAge: TimeSpan) -> ProbeOutcome {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            return .failed("\(path): \(SystemError.describe(code))")
        }
        var newest: Int64
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard let found = newestEntry(path) else { return .failed("\(path) has no entries") }
            newest = found
        } else {
            newest = nanoseconds(st.st_mtim)
        }
        let now = wallClockNow()
        let age = TimeSpan(nanoseconds: now.seconds * 1_000_000_000 + Int64(now.nanoseconds) - newest)
        if age < maxAge { return .passed }
        return .failed("\(path) was last modified \(DurationSyntax.format(TimeSpan(nanoseconds: age.nanoseconds / 1_000_000 * 1_000_000))) ago (max-age \(maxAge))")
    }

    private static func newestEntry(_ directory: String) -> Int64? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var newest: Int64? = nil
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var st = stat()
            guard stat(directory + "/" + name, &st) == 0 else { continue }
            let t = nanoseconds(st.st_mtim)
            if newest == nil || t > newest! { newest = t }
        }
        return newest
    }

    private static func nanoseconds(_ t: timespec) -> Int64 {
        Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
